/**
 * Per-token scores of text blocks, each scored after a left context whose tokens are not reported. This is the
 * scoring behind every lint pass (CLI, language server, benchmarks): one batching loop (Engine.scoreRows through the scoring
 * head when the model has one, so no vocabulary-sized logits reach JavaScript) and a KV-prefix path for the
 * edit-sized requests of typing.
 */
import type { Engine, HeadOutputs, KvCache, ScoringRow } from '../engine';
import { positionStats } from './math';

/** One piece of text to score, after an optional left context whose tokens are not reported. */
export interface ScoreItem {
  /** Opaque cache key chosen by the caller; echoed back. */
  key: string;
  /** Text before `text` that conditions it (may be empty). Context and text are scored as one string. */
  context: string;
  /** The text whose tokens are reported. */
  text: string;
}

/**
 * Per-token scores of one {@link ScoreItem}, as parallel arrays (cheap to post between processes).
 * Offsets are UTF-16 code units relative to the start of `text`; `[starts[i], ends[i])` tile the text.
 */
export interface BlockScore {
  key: string;
  starts: Int32Array;
  ends: Int32Array;
  /** Surprisal -log2 P(token | left) in bits. */
  bits: Float32Array;
  /** 1-based position of each token after BOS in the scored sequence (context tokens included). */
  positions: Int32Array;
  /** 1-based rank of the token under the model's distribution. */
  ranks: Int32Array;
  /** Entropy of the predictive distribution in nats. */
  entropy: Float32Array;
  /** Top-k alternatives, row-major [tokens, k]: token ids and probabilities. */
  topK: number;
  topIds: Int32Array;
  topProbs: Float32Array;
  /** Display text of every token id that appears in `topIds`. */
  vocab: Record<number, string>;
  /** Time spent on this item. */
  ms: number;
}

export function emptyBlockScore(key: string, n: number, k: number): BlockScore {
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

/** Index of the first token that reaches past `contextChars` (the first reported token). */
function firstReported(ends: ArrayLike<number>, contextChars: number): number {
  let f = 0;
  while (f < ends.length && ends[f] <= contextChars) f++;
  return f;
}

/** Fills token `i` of `b` from one position's statistics. */
function put(
  e: Engine,
  b: BlockScore,
  i: number,
  at: { start: number; end: number; position: number },
  logprob: number,
  rank: number,
  entropy: number,
  top: { id: number; prob: number }[],
): void {
  const k = b.topK;
  b.starts[i] = at.start;
  b.ends[i] = at.end;
  b.bits[i] = -logprob / Math.LN2;
  b.positions[i] = at.position;
  b.ranks[i] = rank;
  b.entropy[i] = entropy;
  for (let j = 0; j < k; j++) {
    const a = top[j];
    b.topIds[i * k + j] = a ? a.id : -1;
    b.topProbs[i * k + j] = a ? a.prob : 0;
    if (a && !(a.id in b.vocab)) b.vocab[a.id] = e.tokenizer.tokenText(a.id);
  }
}

/** Reads position `at` of a scoring-head batch. */
function headAt(head: HeadOutputs, at: number, k: number): { logprob: number; rank: number; entropy: number; top: { id: number; prob: number }[] } {
  const K = head.k;
  const top: { id: number; prob: number }[] = [];
  for (let j = 0; j < Math.min(k, K); j++) top.push({ id: Number(head.topId[at * K + j]), prob: Math.exp(head.topLogprob[at * K + j]) });
  return { logprob: head.logprob[at], rank: head.greater.length ? head.greater[at] + 1 : 0, entropy: head.negEntropy.length ? -head.negEntropy[at] : 0, top };
}

/**
 * Scores items as `context + text` (one string, so tokenisation at the seam is natural) in padded batches, reporting
 * only the tokens that reach into `text`.
 */
export async function scoreItems(e: Engine, items: ScoreItem[], k: number): Promise<BlockScore[]> {
  const toks = items.map((it) => e.tokenize(it.context + it.text));
  const firsts = toks.map((t, i) => firstReported(t.ends, items[i].context.length));
  const blocks = items.map((it, i) => emptyBlockScore(it.key, toks[i].ids.length - firsts[i], k));
  const rows: ScoringRow[] = e.plan(toks.map((t) => [e.bosId, ...t.ids]));
  const visit = (row: ScoringRow, p: number, stats: { logprob: number; rank: number; entropy: number; top: { id: number; prob: number }[] }) => {
    const idx = row.seqOffset + (p - row.first) - 1; // token index (no BOS)
    if (idx < firsts[row.seq]) return;
    const tok = toks[row.seq];
    const ctxLen = items[row.seq].context.length;
    const at = { start: Math.max(0, tok.starts[idx] - ctxLen), end: Math.max(0, tok.ends[idx] - ctxLen), position: idx + 1 };
    put(e, blocks[row.seq], idx - firsts[row.seq], at, stats.logprob, stats.rank, stats.entropy, stats.top);
  };
  if (e.info.hasScoringHead) {
    await e.scoreRows(rows, Math.max(1, k), (row, head, base) => {
      for (let p = row.first; p < row.ids.length; p++) visit(row, p, headAt(head, base + p - 1, k));
    });
  } else {
    await e.runRows(rows, (row, logits, base, V) => {
      for (let p = row.first; p < row.ids.length; p++) visit(row, p, positionStats(logits, base + (p - 1) * V, V, row.ids[p], k));
    });
  }
  return blocks;
}

/**
 * KV caches of recent left contexts, so that typing in one block re-runs only that block's tokens. Bounded by entries
 * and bytes; one instance per engine.
 */
export class PrefixCache {
  private readonly entries = new Map<string, { cache: KvCache; bytes: number }>();
  private bytes = 0;
  constructor(
    private readonly engine: Engine,
    private readonly maxEntries = 24,
    private readonly maxBytes = 48 * 1024 * 1024,
  ) {}

  async get(prefix: number[]): Promise<KvCache> {
    const key = prefix.join(',');
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.cache;
    }
    const r = await this.engine.forward(prefix, { presents: true, logits: false });
    const cache = r.presents!;
    const bytes = [...cache.keys, ...cache.values].reduce((a, t) => a + t.size * 4, 0);
    this.entries.set(key, { cache, bytes });
    this.bytes += bytes;
    for (const [k2, old] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (k2 === key) continue;
      this.entries.delete(k2);
      this.bytes -= old.bytes;
      this.engine.releaseCache(old.cache);
    }
    return cache;
  }

  /** Bytes of KV tensors held. */
  get heldBytes(): number {
    return this.bytes;
  }

  clear(): void {
    for (const { cache } of this.entries.values()) this.engine.releaseCache(cache);
    this.entries.clear();
    this.bytes = 0;
  }
}

/**
 * Scores one item reusing the KV cache of its left context (all but its last token, run once and cached). Returns
 * undefined when the model has no KV inputs, the context is tiny, or the item needs sliding windows.
 */
export async function scoreItemWithPrefix(e: Engine, prefixes: PrefixCache, item: ScoreItem, k: number): Promise<BlockScore | undefined> {
  if (!e.info.hasKvCache) return undefined;
  const tok = e.tokenize(item.context + item.text);
  const ctxLen = item.context.length;
  const first = firstReported(tok.ends, ctxLen);
  if (first < 8 || first >= tok.ids.length || 1 + tok.ids.length > e.maxWindow) return undefined;
  const past = await prefixes.get([e.bosId, ...tok.ids.slice(0, first - 1)]);
  // The last context token is run again so that its output predicts the block's first token.
  const rest = tok.ids.slice(first - 1);
  const n = tok.ids.length - first;
  const b = emptyBlockScore(item.key, n, k);
  const at = (i: number) => ({
    start: Math.max(0, tok.starts[first + i] - ctxLen),
    end: Math.max(0, tok.ends[first + i] - ctxLen),
    position: first + i + 1,
  });
  if (e.info.hasScoringHead) {
    const targets = [...rest.slice(1), rest[rest.length - 1]];
    const r = await e.forward(rest, { past, scoring: { targets: [targets], k: Math.max(1, k) } });
    for (let i = 0; i < n; i++) {
      const s = headAt(r.scoring!, i, k);
      put(e, b, i, at(i), s.logprob, s.rank, s.entropy, s.top);
    }
  } else {
    const r = await e.forward(rest, { past });
    const V = r.vocabSize;
    for (let i = 0; i < n; i++) {
      const s = positionStats(r.logits!, i * V, V, tok.ids[first + i], k);
      put(e, b, i, at(i), s.logprob, s.rank, s.entropy, s.top);
    }
  }
  return b;
}

export interface GroupOptions {
  /** Items per forward batch: small enough to cancel quickly, large enough to batch a cold pass. */
  batch: number;
  /** Requests of at most this many items (typing: the edited block and its successor) use the KV prefix path. */
  prefixMaxItems: number;
  /** Throws when the request was cancelled; called after each yield to the event loop. */
  throwIfCancelled: () => void;
  /** Each scored block, in order, with `ms` set to its share of its group's time. */
  onBlock: (b: BlockScore) => void;
}

/**
 * Scores items group by group, yielding to the event loop between groups so that a cancellation message gets in;
 * blocks finished before a cancellation have already been handed to `onBlock`. The one scoring loop of the linter
 * and of the benchmarks.
 */
export async function scoreItemsInGroups(e: Engine, prefixes: PrefixCache, items: ScoreItem[], k: number, opts: GroupOptions): Promise<void> {
  for (let i = 0; i < items.length; i += opts.batch) {
    await new Promise((r) => setImmediate(r));
    opts.throwIfCancelled();
    const group = items.slice(i, i + opts.batch);
    const t0 = performance.now();
    let blocks: BlockScore[];
    if (items.length <= opts.prefixMaxItems) {
      blocks = [];
      for (const it of group) blocks.push((await scoreItemWithPrefix(e, prefixes, it, k)) ?? (await scoreItems(e, [it], k))[0]);
    } else blocks = await scoreItems(e, group, k);
    const ms = (performance.now() - t0) / group.length;
    for (const b of blocks) {
      b.ms = ms;
      opts.onBlock(b);
    }
  }
}
