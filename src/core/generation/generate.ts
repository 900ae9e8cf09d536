/**
 * Text generation with the engine: a KV-cached decoding loop with temperature, top-k, top-p, greedy decoding, a
 * seeded random number generator, stop conditions (EOS, newline, end of sentence, max tokens, the context window)
 * and cancellation through an AbortSignal.
 *
 * The loop samples from a {@link TokenDistribution}: one model context here ({@link ContextDistribution}), or a
 * product of experts (src/core/generation/poe.ts). Several samples of the same distribution can be drawn at once: each sample is
 * one row of a batch, so the model runs once per step for all of them.
 */
import type * as ortTypes from 'onnxruntime-node';
import { ort } from '../model/ort';
import type { Engine, KvCache } from '../engine';
import { InputError, PlausibilityError } from '../errors';
import { topK } from '../scoring/math';

/** When to stop a sample (EOS always stops it). */
export interface StopOptions {
  /** Stop before a token that contains a line break (the token is not kept). Default false. */
  newline?: boolean;
  /** Stop after the token that ends a sentence (`.`, `!`, `?`, optionally followed by closing quotes). Default false. */
  sentence?: boolean;
  /** Stop at the end-of-sequence token (default true). */
  eos?: boolean;
}

/** Sampling options. */
export interface SamplingOptions {
  /** Softmax temperature; 0 means greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). Default 0. */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p (1 = all). Default 1. */
  topP?: number;
  /** Seed of the random number generator (same seed, same options: same tokens). Default: a random seed. */
  seed?: number;
  /** Always take the most likely token. */
  greedy?: boolean;
  /** Most tokens to generate per sample. Default 32. */
  maxTokens?: number;
  stop?: StopOptions;
  /** Cancels generation; the promise rejects with an AbortError-named error. */
  signal?: AbortSignal;
  /** Number of samples drawn together (rows of one batch). Default 1. */
  samples?: number;
  /** Reuse the key/value cache between steps (default true). `false` recomputes the whole prefix every step. */
  useCache?: boolean;
}

export type StopReason = 'eos' | 'newline' | 'sentence' | 'max_tokens' | 'context';

/** One generated sample. */
export interface Sample {
  /** Decoded text of the generated tokens. */
  text: string;
  ids: number[];
  /** log P(token) under the (combined) model distribution at temperature 1, before top-k/top-p, in nats. */
  logprobs: number[];
  /** For each component of the distribution (one for a plain context, one per expert), log P(token). */
  componentLogprobs: number[][];
  stopReason: StopReason;
}

/** Result of {@link sample}. */
export interface GenerationResult {
  samples: Sample[];
  /** The seed actually used. */
  seed: number;
}

/**
 * A next-token distribution over rows (samples). `start` returns the first distribution of every row; `advance`
 * appends one token per row and returns the next distributions. `components` holds, per row, the log-probability
 * rows of each component (for reporting each expert's own likelihood).
 */
export interface TokenDistribution {
  start(rows: number): Promise<Step>;
  advance(tokens: number[]): Promise<Step>;
  /** How many more tokens fit in the context window. */
  remaining(): number;
}

/** Log-probabilities for one step: `logp[row]` is a normalised log-softmax over the vocabulary. */
export interface Step {
  logp: Float64Array[];
  /** components[row][c]: component c's log-softmax (the same array as logp[row] for a single context). */
  components: Float64Array[][];
}

/** Mulberry32: a small, fast, seedable PRNG with good statistical quality for sampling. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** log-softmax of src[off .. off+V) in float64. */
export function logSoftmax(src: ArrayLike<number>, off: number, V: number): Float64Array {
  const out = new Float64Array(V);
  let max = -Infinity;
  for (let j = 0; j < V; j++) if (src[off + j] > max) max = src[off + j];
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(src[off + j] - max);
  const lse = max + Math.log(sum);
  for (let j = 0; j < V; j++) out[j] = src[off + j] - lse;
  return out;
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let j = 1; j < a.length; j++) if (a[j] > a[best]) best = j;
  return best;
}

/**
 * Picks a token from a log-probability row: greedy (temperature 0), or a draw from softmax(logp / T) restricted to
 * the top-k tokens and the top-p nucleus. Consumes exactly one random number unless greedy.
 */
export function chooseToken(logp: Float64Array, opts: SamplingOptions, rng: Rng): number {
  const T = opts.temperature ?? 1;
  if (opts.greedy || T <= 0) return argmax(logp);
  const V = logp.length;
  const k = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const p = opts.topP !== undefined && opts.topP > 0 && opts.topP < 1 ? opts.topP : 1;
  let cand: number[];
  if (k < V) {
    cand = topK(logp, 0, logp.length, k);
  } else if (p < 1) {
    cand = Array.from({ length: V }, (_, j) => j).filter((j) => logp[j] > -Infinity);
    cand.sort((a, b) => logp[b] - logp[a] || a - b);
  } else {
    cand = [];
    for (let j = 0; j < V; j++) if (logp[j] > -Infinity) cand.push(j);
  }
  let max = -Infinity;
  for (const j of cand) if (logp[j] / T > max) max = logp[j] / T;
  const w = cand.map((j) => Math.exp(logp[j] / T - max));
  let total = w.reduce((a, b) => a + b, 0);
  if (p < 1) {
    // The candidates are sorted: keep the smallest prefix whose mass reaches p.
    let acc = 0;
    let n = 0;
    while (n < w.length) {
      acc += w[n++];
      if (acc >= p * total) break;
    }
    cand = cand.slice(0, n);
    w.length = n;
    total = acc;
  }
  let u = rng.next() * total;
  for (let i = 0; i < cand.length; i++) {
    u -= w[i];
    if (u < 0) return cand[i];
  }
  return cand[cand.length - 1];
}

/** Repeats a [1, ...] tensor along the batch axis. */
function tileTensor(t: ortTypes.Tensor, n: number): ortTypes.Tensor {
  if (n === 1) return t;
  const src = t.data as Float32Array | Uint16Array;
  const Ctor = src.constructor as { new (len: number): Float32Array | Uint16Array };
  const out = new Ctor(src.length * n);
  for (let r = 0; r < n; r++) out.set(src, r * src.length);
  return new ort.Tensor(t.type as 'float32', out as Float32Array, [n, ...t.dims.slice(1)]);
}

/** Repeats a batch-1 cache n times (all rows share one primed context). */
export function tileCache(cache: KvCache, n: number): KvCache {
  if (cache.batch !== 1) throw new PlausibilityError('tileCache needs a batch-1 cache', 'BAD_BATCH');
  return { length: cache.length, batch: n, keys: cache.keys.map((k) => tileTensor(k, n)), values: cache.values.map((v) => tileTensor(v, n)) };
}

/**
 * The model conditioned on one prefix (BOS first), for `rows` samples at once. With the KV cache, the prefix runs
 * once and each step feeds only the new tokens; without it, each step reruns the whole sequence (for checking and
 * benchmarking the cache).
 */
export class ContextStream {
  private cache: KvCache | undefined;
  private seqs: number[][] = [];
  private readonly useCache: boolean;
  /** log P(prefix[i+1] | prefix[..i]) for every prefix token after BOS (from the priming pass). */
  prefixLogprobs: number[] = [];

  constructor(
    readonly engine: Engine,
    readonly prefix: number[],
    useCache = true,
  ) {
    if (prefix.length === 0) throw new InputError('a generation prefix needs at least the BOS token', 'EMPTY_INPUT');
    this.useCache = useCache && engine.info.hasKvCache;
  }

  /** Current sequence length (prefix + generated). */
  get length(): number {
    return this.seqs[0]?.length ?? this.prefix.length;
  }

  remaining(): number {
    return this.engine.config.maxPositions - this.length;
  }

  /** Runs the prefix; returns the next-token log-softmax (shared by all rows). */
  async start(rows: number): Promise<Float64Array> {
    const e = this.engine;
    const V = e.config.vocabSize;
    if (this.prefix.length >= e.config.maxPositions)
      throw new InputError(
        `the context (${this.prefix.length} tokens) leaves no room in the model's window of ${e.config.maxPositions} tokens`,
        'TOO_LONG',
      );
    const res = await e.forward(this.prefix, { presents: this.useCache });
    const logits = res.logits!;
    this.prefixLogprobs = [];
    for (let i = 1; i < this.prefix.length; i++) {
      const row = logSoftmax(logits, (i - 1) * V, V);
      this.prefixLogprobs.push(row[this.prefix[i]]);
    }
    this.seqs = Array.from({ length: rows }, () => [...this.prefix]);
    if (this.useCache) this.cache = tileCache(res.presents!, rows);
    return logSoftmax(logits, (this.prefix.length - 1) * V, V);
  }

  /** Appends one token per row; returns each row's next-token log-softmax. */
  async advance(tokens: number[]): Promise<Float64Array[]> {
    const e = this.engine;
    const V = e.config.vocabSize;
    if (tokens.length !== this.seqs.length) throw new PlausibilityError('one token per row', 'BAD_BATCH');
    tokens.forEach((t, r) => this.seqs[r].push(t));
    let logits: Float32Array;
    let width: number;
    if (this.useCache) {
      const res = await e.forward(
        tokens.map((t) => [t]),
        { past: this.cache, presents: true },
      );
      this.cache = res.presents;
      logits = res.logits!;
      width = 1;
    } else {
      const res = await e.forward(this.seqs);
      logits = res.logits!;
      width = this.seqs[0].length;
    }
    return tokens.map((_, r) => logSoftmax(logits, (r * width + width - 1) * V, V));
  }
}

/** The model after one prefix: the plain next-token distribution. */
export class ContextDistribution implements TokenDistribution {
  private stream: ContextStream;
  constructor(engine: Engine, prefix: number[], useCache = true) {
    this.stream = new ContextStream(engine, prefix, useCache);
  }
  async start(rows: number): Promise<Step> {
    const lp = await this.stream.start(rows);
    const logp = Array.from({ length: rows }, () => lp);
    return { logp, components: logp.map((l) => [l]) };
  }
  async advance(tokens: number[]): Promise<Step> {
    const logp = await this.stream.advance(tokens);
    return { logp, components: logp.map((l) => [l]) };
  }
  remaining(): number {
    return this.stream.remaining();
  }
  get prefixLogprobs(): number[] {
    return this.stream.prefixLogprobs;
  }
}

/** True when `text` ends a sentence: `.`, `!`, `?` or `…`, optionally followed by closing quotes or brackets. */
export function endsSentence(text: string): boolean {
  return /\S[.!?…]["'”’)\]]*\s*$/u.test(text) && !/(^|\s)(Mr|Mrs|Ms|Dr|St|vs|etc|e\.g|i\.e)\.\s*$/i.test(text);
}

function abortError(): Error {
  const e = new Error('generation cancelled');
  e.name = 'AbortError';
  return e;
}

/** Draws samples from a distribution. */
export async function sample(engine: Engine, dist: TokenDistribution, opts: SamplingOptions = {}): Promise<GenerationResult> {
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rng = new Rng(seed);
  const n = Math.max(1, Math.floor(opts.samples ?? 1));
  const maxTokens = Math.max(0, Math.floor(opts.maxTokens ?? 32));
  const stop = opts.stop ?? {};
  const eos = engine.config.eosTokenId ?? engine.bosId;
  const stopAtEos = stop.eos !== false;
  const check = () => {
    if (opts.signal?.aborted) throw abortError();
  };
  check();
  const out: Sample[] = Array.from({ length: n }, () => ({
    text: '',
    ids: [],
    logprobs: [],
    componentLogprobs: [],
    stopReason: 'max_tokens' as StopReason,
  }));
  const done = new Array<boolean>(n).fill(false);
  if (maxTokens === 0) return { samples: out, seed };
  let step = await dist.start(n);
  for (let t = 0; ; t++) {
    check();
    const next: number[] = [];
    for (let r = 0; r < n; r++) {
      if (done[r]) {
        next.push(eos);
        continue;
      }
      const id = chooseToken(step.logp[r], opts, rng);
      const s = out[r];
      if (stopAtEos && id === eos) {
        done[r] = true;
        s.stopReason = 'eos';
        next.push(eos);
        continue;
      }
      const piece = engine.tokenizer.tokenText(id);
      if (stop.newline && /[\r\n]/.test(piece)) {
        done[r] = true;
        s.stopReason = 'newline';
        next.push(eos);
        continue;
      }
      s.ids.push(id);
      s.logprobs.push(step.logp[r][id]);
      s.componentLogprobs.push(step.components[r].map((c) => c[id]));
      next.push(id);
      s.text = engine.decode(s.ids);
      if (stop.sentence && endsSentence(s.text)) {
        done[r] = true;
        s.stopReason = 'sentence';
      } else if (s.ids.length >= maxTokens) {
        done[r] = true;
        s.stopReason = 'max_tokens';
      }
    }
    if (done.every(Boolean)) break;
    if (dist.remaining() <= 0) {
      for (let r = 0; r < n; r++) if (!done[r]) out[r].stopReason = 'context';
      break;
    }
    step = await dist.advance(next);
  }
  for (const s of out) s.text = s.ids.length ? engine.decode(s.ids) : '';
  return { samples: out, seed };
}

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** Text the model continues (after BOS). */
  prompt?: string;
}

/**
 * Plain generation: the model continues `prompt` (after BOS). A prompt too long for the window keeps its last
 * tokens, leaving room for `maxTokens`.
 */
export async function generate(engine: Engine, opts: GenerateOptions = {}): Promise<GenerationResult & { prefix: number[] }> {
  const maxTokens = opts.maxTokens ?? 32;
  const ids = engine.encode(opts.prompt ?? '');
  const room = engine.config.maxPositions - 1 - Math.max(1, maxTokens);
  if (room < 0) throw new InputError(`--max-tokens ${maxTokens} does not fit the model's window of ${engine.config.maxPositions} tokens`, 'TOO_LONG');
  const prefix = [engine.bosId, ...ids.slice(Math.max(0, ids.length - room))];
  const dist = new ContextDistribution(engine, prefix, opts.useCache);
  const res = await sample(engine, dist, opts);
  return { ...res, prefix };
}
