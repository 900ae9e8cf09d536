/**
 * The engine worker (bundled as dist/worker.js): owns the ONNX session and answers the requests of
 * {@link ./protocol}. It runs requests one at a time, in order. A `cancel` for a queued request drops it; for the
 * running one, the request stops at the next item boundary (items are scored in small batches and the worker yields
 * to its event loop in between, so cancel messages get through).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Engine, providerLabel } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { LintCancelledError } from '../core/lint/linter';
import { PrefixCache, scoreItemsInGroups } from '../core/scoring/blockScore';
import { lintDocument, releaseAllDocuments, releaseDocument } from './lint';
import { handleRewrite, isRewriteMethod } from './rewriteMethods';
import { handleGen, isGenMethod } from './gen';
import { handleDiscrim, isDiscrimMethod } from './discrim';
import {
  LoadParams,
  Methods,
  ModelInfo,
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

class Cancelled {}

function checkCancelled(id: number): void {
  if (cancelled.has(id)) throw new Cancelled();
}

async function load(params: LoadParams, id: number): Promise<ModelInfo> {
  const t0 = performance.now();
  if (engine) {
    const old = engine;
    prefixes?.clear();
    prefixes = undefined;
    releaseAllDocuments();
    engine = undefined;
    await old.dispose().catch(() => undefined);
  }
  post({ type: 'progress', id, message: `Loading ${basename(params.modelDir)}…` });
  const threads = params.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
  const e = await Engine.load(params.modelDir, {
    // `auto` is expanded by the engine (core/model/providers: probe order cuda, dml, coreml, webgpu, then cpu).
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
/** Requests with at most this many items use the KV prefix path (typing: the edited block and its successor). */
const PREFIX_PATH_MAX_ITEMS = 3;

let prefixes: PrefixCache | undefined;

function prefixCache(e: Engine): PrefixCache {
  prefixes ??= new PrefixCache(e);
  return prefixes;
}

async function score(params: ScoreParams, id: number): Promise<ScoreResult> {
  const e = engine;
  if (!e) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
  let scored = 0;
  await scoreItemsInGroups(e, prefixCache(e), params.items, params.topK, {
    batch: ITEMS_PER_BATCH,
    prefixMaxItems: PREFIX_PATH_MAX_ITEMS,
    throwIfCancelled: () => checkCancelled(id),
    onBlock: (block) => {
      scored++;
      post({ type: 'partial', id, block });
    },
  });
  return { scored };
}

function ping(collect: boolean): Methods['ping']['result'] {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) gc();
  const m = process.memoryUsage();
  const mb = (n: number) => n / 1048576;
  return { pid: process.pid, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), gcRan: collect && !!gc };
}

async function handle(req: Extract<WorkerRequest, { type: 'request' }>): Promise<unknown> {
  if (isRewriteMethod(req.method)) return handleRewrite(engine, req.method, req.params, () => cancelled.has(req.id));
  if (isGenMethod(req.method)) return handleGen(engine, req.method, req.params, () => cancelled.has(req.id));
  if (isDiscrimMethod(req.method))
    return handleDiscrim(engine, req.method, req.params, () => cancelled.has(req.id), (message) => post({ type: 'progress', id: req.id, message }));
  switch (req.method) {
    case 'load':
      return load(req.params, req.id);
    case 'score':
      return score(req.params, req.id);
    case 'lint': {
      if (!engine) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
      const abort = new AbortController();
      const poll = setInterval(() => cancelled.has(req.id) && abort.abort(), 5);
      try {
        return await lintDocument(engine, prefixCache(engine), req.params, abort.signal, (block) => post({ type: 'partial', id: req.id, block }));
      } catch (e) {
        if (e instanceof LintCancelledError) throw new Cancelled();
        throw e;
      } finally {
        clearInterval(poll);
      }
    }
    case 'release':
      releaseDocument(req.params.doc);
      return undefined;
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
