/**
 * The engine worker (bundled as dist/worker.js): owns the ONNX session and answers the requests of
 * {@link ./protocol}. It runs requests one at a time, in order. A `cancel` for a queued request drops it; for the
 * running one, the request stops at the next item boundary (items are scored in small batches and the worker yields
 * to its event loop in between, so cancel messages get through).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Engine, KvCache, providerLabel } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { positionStats } from '../core/math';
import { findSpans } from '../core/spans';
import { toTextScore } from './textscore';
import { handleGen, isGenMethod } from './gen';
import { handleDiscrim, isDiscrimMethod } from './discrim';
import {
  BlockScore,
  LoadParams,
  Methods,
  ModelInfo,
  ScoreItem,
  ScoreParams,
  ScoreResult,
  SerializedError,
  WorkerEvent,
  WorkerRequest,
  WorkerResponse,
} from './protocol';

// The engine client forks this script with an IPC channel (src/worker/client.ts).
if (!process.send) throw new Error('worker.js must be started by the engine client (child_process.fork with IPC)');

let engine: Engine | undefined;
const queue: Extract<WorkerRequest, { type: 'request' }>[] = [];
const cancelled = new Set<number>();
let running: number | undefined;

function post(m: WorkerResponse | WorkerEvent): void {
  if (process.connected) process.send!(m);
}

function serialize(e: unknown): SerializedError {
  if (e instanceof PlausibilityError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

class Cancelled {}

function checkCancelled(id: number): void {
  if (cancelled.has(id)) throw new Cancelled();
}

async function load(params: LoadParams, id: number): Promise<ModelInfo> {
  const t0 = performance.now();
  if (engine) {
    const old = engine;
    clearPrefixCache(old);
    engine = undefined;
    await old.dispose().catch(() => undefined);
  }
  post({ type: 'progress', id, message: `Loading ${basename(params.modelDir)}…` });
  const threads = params.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
  const e = await Engine.load(params.modelDir, {
    // `auto` is expanded by the engine (core/providers: probe order cuda, dml, coreml, webgpu, then cpu).
    executionProviders: [params.executionProvider],
    variant: params.variant,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    log: (message) => post({ type: 'log', level: 'info', message }),
  });
  engine = e;
  let name = basename(e.info.modelDir);
  if (name === 'default') name = 'bundled';
  return {
    name,
    dir: e.info.modelDir,
    provider: providerLabel(e.info),
    contextLength: e.maxWindow,
    vocabSize: e.vocabSize,
    stats: e.stats,
    skippedProviders: e.info.skippedProviders,
    loadMs: performance.now() - t0,
  };
}

/** Items per forward batch: small enough to cancel quickly, large enough to batch a full-document pass. */
const ITEMS_PER_BATCH = 4;

async function score(params: ScoreParams, id: number): Promise<ScoreResult> {
  const e = engine;
  if (!e) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
  let scored = 0;
  for (let i = 0; i < params.items.length; i += ITEMS_PER_BATCH) {
    await yieldToLoop();
    checkCancelled(id);
    const group = params.items.slice(i, i + ITEMS_PER_BATCH);
    const t0 = performance.now();
    // Edit-sized requests go item by item through the KV prefix cache; larger ones are batched.
    let blocks: BlockScore[];
    if (params.items.length <= PREFIX_PATH_MAX_ITEMS) {
      blocks = [];
      for (const it of group) blocks.push((await scoreWithPrefix(e, it, params.topK)) ?? (await scoreGroup(e, [it], params.topK))[0]);
    } else blocks = await scoreGroup(e, group, params.topK);
    const ms = (performance.now() - t0) / group.length;
    group.forEach((it, k) => {
      const block = blocks[k];
      block.ms = ms;
      if (params.spans) {
        block.spans = findSpans(toTextScore(it.text, block), e.stats, {
          thresholdBits: params.spans.thresholdBits,
          markdown: params.spans.markdown,
          suggestions: 3,
        });
      }
      scored++;
      post({ type: 'partial', id, block });
    });
  }
  return { scored };
}

/**
 * Scores items as `context + text` (one string, so tokenisation at the seam is natural) in one padded batch, and
 * computes rank, entropy and alternatives only for the tokens that reach into `text`: the context's tokens are
 * run through the model but not reported, which saves most of the per-token vocabulary scans.
 */
async function scoreGroup(e: Engine, items: ScoreItem[], k: number): Promise<BlockScore[]> {
  const toks = items.map((it) => e.tokenize(it.context + it.text));
  const firsts = toks.map((t, i) => {
    const ctxLen = items[i].context.length;
    let f = 0;
    while (f < t.ids.length && t.ends[f] <= ctxLen) f++;
    return f;
  });
  const blocks = items.map((it, i) => emptyBlock(it.key, toks[i].ids.length - firsts[i], k));
  const seqs = toks.map((t) => [e.bosId, ...t.ids]);
  const rows = e.plan(seqs);
  await e.runRows(rows, (row, logits, base, V) => {
    const tok = toks[row.seq];
    const first = firsts[row.seq];
    const ctxLen = items[row.seq].context.length;
    const b = blocks[row.seq];
    for (let p = row.first; p < row.ids.length; p++) {
      const idx = row.seqOffset + (p - row.first) - 1; // token index (no BOS)
      if (idx < first) continue;
      const st = positionStats(logits, base + (p - 1) * V, V, row.ids[p], k);
      const i = idx - first;
      b.starts[i] = Math.max(0, tok.starts[idx] - ctxLen);
      b.ends[i] = Math.max(0, tok.ends[idx] - ctxLen);
      b.bits[i] = -st.logprob / Math.LN2;
      b.positions[i] = idx + 1;
      b.ranks[i] = st.rank;
      b.entropy[i] = st.entropy;
      for (let j = 0; j < k; j++) {
        const a = st.top[j];
        b.topIds[i * k + j] = a ? a.id : -1;
        b.topProbs[i * k + j] = a ? a.prob : 0;
        if (a && !(a.id in b.vocab)) b.vocab[a.id] = e.tokenizer.tokenText(a.id);
      }
    }
  });
  return blocks;
}

/** Requests with at most this many items use the KV prefix path (typing: the edited block and its successor). */
const PREFIX_PATH_MAX_ITEMS = 3;
/** KV caches of recent left contexts, most recent last. Bounded by entries and bytes. */
const prefixCache = new Map<string, { cache: KvCache; bytes: number }>();
const PREFIX_CACHE_MAX_ENTRIES = 24;
const PREFIX_CACHE_MAX_BYTES = 48 * 1024 * 1024;
let prefixCacheBytes = 0;

function clearPrefixCache(e: Engine | undefined): void {
  for (const { cache } of prefixCache.values()) e?.releaseCache(cache);
  prefixCache.clear();
  prefixCacheBytes = 0;
}

/**
 * Scores one item reusing the KV cache of its left context: the context (all but its last token) is run once and
 * cached; later requests with the same context (the user typing in the same block) only run the block's tokens.
 * Returns undefined when the model has no KV inputs, the context is tiny, or the item needs sliding windows.
 */
async function scoreWithPrefix(e: Engine, item: ScoreItem, k: number): Promise<BlockScore | undefined> {
  if (!e.info.hasKvCache) return undefined;
  const tok = e.tokenize(item.context + item.text);
  const ctxLen = item.context.length;
  let first = 0;
  while (first < tok.ids.length && tok.ends[first] <= ctxLen) first++;
  if (first < 8 || first >= tok.ids.length || 1 + tok.ids.length > e.maxWindow) return undefined;
  const prefix = [e.bosId, ...tok.ids.slice(0, first - 1)];
  const key = prefix.join(',');
  let entry = prefixCache.get(key);
  if (entry) {
    prefixCache.delete(key);
    prefixCache.set(key, entry);
  } else {
    const r = await e.forward(prefix, { presents: true, logits: false });
    const cache = r.presents!;
    const bytes = [...cache.keys, ...cache.values].reduce((a, t) => a + t.size * 4, 0);
    entry = { cache, bytes };
    prefixCache.set(key, entry);
    prefixCacheBytes += bytes;
    for (const [k2, old] of prefixCache) {
      if (prefixCache.size <= PREFIX_CACHE_MAX_ENTRIES && prefixCacheBytes <= PREFIX_CACHE_MAX_BYTES) break;
      if (k2 === key) continue;
      prefixCache.delete(k2);
      prefixCacheBytes -= old.bytes;
      e.releaseCache(old.cache);
    }
  }
  // The last context token is run again so that its logits predict the block's first token.
  const rest = tok.ids.slice(first - 1);
  const r = await e.forward(rest, { past: entry.cache });
  const logits = r.logits!;
  const V = r.vocabSize;
  const n = tok.ids.length - first;
  const b = emptyBlock(item.key, n, k);
  for (let i = 0; i < n; i++) {
    const idx = first + i;
    const st = positionStats(logits, i * V, V, tok.ids[idx], k);
    b.starts[i] = Math.max(0, tok.starts[idx] - ctxLen);
    b.ends[i] = Math.max(0, tok.ends[idx] - ctxLen);
    b.bits[i] = -st.logprob / Math.LN2;
    b.positions[i] = idx + 1;
    b.ranks[i] = st.rank;
    b.entropy[i] = st.entropy;
    for (let j = 0; j < k; j++) {
      const a = st.top[j];
      b.topIds[i * k + j] = a ? a.id : -1;
      b.topProbs[i * k + j] = a ? a.prob : 0;
      if (a && !(a.id in b.vocab)) b.vocab[a.id] = e.tokenizer.tokenText(a.id);
    }
  }
  return b;
}

function emptyBlock(key: string, n: number, k: number): BlockScore {
  return {
    key,
    starts: new Int32Array(n),
    ends: new Int32Array(n),
    bits: new Float32Array(n),
    positions: new Int32Array(n),
    ranks: new Int32Array(n),
    entropy: new Float32Array(n),
    topK: k,
    topIds: new Int32Array(n * k),
    topProbs: new Float32Array(n * k),
    vocab: {},
    ms: 0,
  };
}

function ping(collect: boolean): Methods['ping']['result'] {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) gc();
  const m = process.memoryUsage();
  const mb = (n: number) => n / 1048576;
  return { pid: process.pid, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), gcRan: collect && !!gc };
}

async function handle(req: Extract<WorkerRequest, { type: 'request' }>): Promise<unknown> {
  if (isGenMethod(req.method)) return handleGen(engine, req.method, req.params, () => cancelled.has(req.id));
  if (isDiscrimMethod(req.method))
    return handleDiscrim(engine, req.method, req.params, () => cancelled.has(req.id), (message) => post({ type: 'progress', id: req.id, message }));
  switch (req.method) {
    case 'load':
      return load(req.params, req.id);
    case 'score':
      return score(req.params, req.id);
    case 'ping':
      return ping(req.params.gc === true);
    case 'crash':
      if (req.params.how === 'exit') process.exit(3);
      setImmediate(() => {
        throw new Error('crash requested');
      });
      return undefined;
  }
}

async function pump(): Promise<void> {
  if (running !== undefined) return;
  for (let req = queue.shift(); req; req = queue.shift()) {
    running = req.id;
    try {
      checkCancelled(req.id);
      const result = await handle(req);
      checkCancelled(req.id);
      post({ type: 'response', id: req.id, ok: true, result });
    } catch (err) {
      if (err instanceof Cancelled) post({ type: 'response', id: req.id, ok: false, cancelled: true });
      else post({ type: 'response', id: req.id, ok: false, error: serialize(err) });
    } finally {
      cancelled.delete(req.id);
      running = undefined;
    }
  }
}

// The host went away (extension host closed or crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));

process.on('message', (m: WorkerRequest) => {
  // Message handlers run only between onnxruntime calls, so exiting here is always safe (see protocol.ts).
  if (m.type === 'shutdown') process.exit(m.code);
  if (m.type === 'cancel') {
    const i = queue.findIndex((q) => q.id === m.id);
    if (i >= 0) {
      queue.splice(i, 1);
      post({ type: 'response', id: m.id, ok: false, cancelled: true });
    } else if (running === m.id) cancelled.add(m.id);
    return;
  }
  queue.push(m);
  void pump();
});
