/**
 * Steering generation with a discriminator head, two ways:
 *
 * 1. PPLM-style hidden-state perturbation ({@link HiddenSteerer}, {@link SteeredDistribution}). At every step the
 *    last hidden state h (the final-norm output that feeds the tied LM head E) is moved by Δ so that the head, applied
 *    to the mean hidden state of the text so far with h + Δ in place of h, prefers the `toward` class, while the
 *    next-token distribution stays close to the unperturbed one:
 *
 *      L(Δ) = CE(softmax(W·f + b), toward) + kl_scale · KL(p' ‖ p),  f = (Σ_{earlier} h_i + h + Δ) / n,
 *      p = softmax(z), p' = softmax(z + E·Δ)   (z = E·h: the LM head is linear, with no bias)
 *
 *    Both the head and the LM head are linear, so the gradient is closed-form (no autograd):
 *
 *      ∂CE/∂Δ = Wᵀ(q − onehot(toward)) / n,        q = softmax(W·f + b)
 *      ∂KL/∂Δ = Eᵀ r,  r_j = p'_j (log p'_j − log p_j − KL(p' ‖ p))
 *
 *    Each of `iterations` steps moves Δ by stepsize · ‖h‖ along −g/‖g‖ (PPLM normalises the gradient; the step is
 *    relative to ‖h‖ because final-norm states are not on GPT-2's scale). The perturbed and unperturbed
 *    distributions are fused as p ∝ p^(1−gm) · p'^gm, i.e. logits z + gm · E·Δ, and the sampler applies top-k.
 *    With stepsize 0 the logits are the model's own, bit for bit, so sampling is exactly unsteered.
 *
 * 2. Discriminator-weighted reranking ({@link rerankSamples}): draw N unsteered samples, score each with the head and
 *    keep the best by log p(toward) − fluency_weight · NLL per token.
 *
 * Unlike PPLM's main variant this does not perturb the past key/values (that needs gradients through the whole
 * transformer, and onnxruntime-node has no autograd): only the last hidden state, which the LM head maps linearly.
 */
import type { Engine, KvCache } from '../engine';
import { ClassifierHead, embedTexts, requireHidden, softmax } from '../heads/discriminator';
import { InputError, PlausibilityError } from '../errors';
import { ContextDistribution, GenerationResult, logSoftmax, Sample, sample, SamplingOptions, Step, tileCache, TokenDistribution } from './generate';

/** PPLM's steering parameters. */
export interface SteerParams {
  /** Step size, relative to ‖h‖ (default 0.02; 0 = no steering). */
  stepsize?: number;
  /** Gradient steps per token (default 3). */
  iterations?: number;
  /** Weight of KL(p' ‖ p) in the loss (default 0.01). */
  klScale?: number;
  /** Fusion exponent: p ∝ p_unpert^(1 − gm) · p_pert^gm (default 0.95). */
  gmScale?: number;
}

export const DEFAULT_STEER: Required<SteerParams> = { stepsize: 0.02, iterations: 3, klScale: 0.01, gmScale: 0.95 };

/** Everything one steering step needs (flat arrays, so it is cheap to test). */
export interface SteerProblem {
  /** LM-head matrix [V, D] (row-major). */
  E: Float32Array;
  V: number;
  D: number;
  /** Head weights [C, D] and bias [C]. */
  W: Float32Array;
  b: Float32Array;
  C: number;
  /** Class to move toward. */
  target: number;
  /** Sum of the earlier positions' hidden states (D) and how many there are. */
  acc: Float64Array;
  count: number;
  /** Unperturbed last hidden state (D) and logits (V). */
  h: ArrayLike<number>;
  z: ArrayLike<number>;
  klScale: number;
}

function matVec(E: Float32Array, V: number, D: number, x: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let v = 0; v < V; v++) {
    let s = 0;
    const o = v * D;
    for (let j = 0; j < D; j++) s += E[o + j] * x[j];
    out[v] = s;
  }
  return out;
}

function matTVec(E: Float32Array, V: number, D: number, r: ArrayLike<number>, out: Float64Array): Float64Array {
  out.fill(0);
  for (let v = 0; v < V; v++) {
    const rv = r[v];
    if (rv === 0) continue;
    const o = v * D;
    for (let j = 0; j < D; j++) out[j] += E[o + j] * rv;
  }
  return out;
}

function logSoftmax64(x: Float64Array): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - lse;
  return out;
}

/** The head's class probabilities for the mean hidden state with h + Δ as the current position. */
export function headProbs(P: SteerProblem, delta: ArrayLike<number>): Float64Array {
  const n = P.count + 1;
  const f = new Float64Array(P.D);
  for (let j = 0; j < P.D; j++) f[j] = (P.acc[j] + P.h[j] + delta[j]) / n;
  const logits = new Float64Array(P.C);
  for (let c = 0; c < P.C; c++) {
    let s = P.b[c];
    for (let j = 0; j < P.D; j++) s += P.W[c * P.D + j] * f[j];
    logits[c] = s;
  }
  return softmax(logits);
}

/** Loss L(Δ) = CE(head, target) + klScale · KL(p' ‖ p) and its parts. */
export function steerLoss(P: SteerProblem, delta: ArrayLike<number>): { loss: number; ce: number; kl: number } {
  const q = headProbs(P, delta);
  const ce = -Math.log(Math.max(q[P.target], 1e-300));
  let kl = 0;
  if (P.klScale !== 0) {
    const z = Float64Array.from(P.z as ArrayLike<number>);
    const dz = matVec(P.E, P.V, P.D, delta, new Float64Array(P.V));
    const zp = new Float64Array(P.V);
    for (let v = 0; v < P.V; v++) zp[v] = z[v] + dz[v];
    const lp = logSoftmax64(z);
    const lpp = logSoftmax64(zp);
    for (let v = 0; v < P.V; v++) kl += Math.exp(lpp[v]) * (lpp[v] - lp[v]);
  }
  return { loss: ce + P.klScale * kl, ce, kl };
}

/** Closed-form gradient ∂L/∂Δ (see the module comment), with its two parts. */
export function steerGradient(P: SteerProblem, delta: ArrayLike<number>): { grad: Float64Array; ce: Float64Array; kl: Float64Array } {
  const { D, C } = P;
  const n = P.count + 1;
  const q = headProbs(P, delta);
  const gce = new Float64Array(D);
  for (let c = 0; c < C; c++) {
    const e = (q[c] - (c === P.target ? 1 : 0)) / n;
    if (e === 0) continue;
    for (let j = 0; j < D; j++) gce[j] += e * P.W[c * D + j];
  }
  const gkl = new Float64Array(D);
  if (P.klScale !== 0) {
    const V = P.V;
    const z = Float64Array.from(P.z as ArrayLike<number>);
    const dz = matVec(P.E, V, D, delta, new Float64Array(V));
    const zp = new Float64Array(V);
    for (let v = 0; v < V; v++) zp[v] = z[v] + dz[v];
    const lp = logSoftmax64(z);
    const lpp = logSoftmax64(zp);
    let kl = 0;
    const pp = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      pp[v] = Math.exp(lpp[v]);
      kl += pp[v] * (lpp[v] - lp[v]);
    }
    const r = new Float64Array(V);
    for (let v = 0; v < V; v++) r[v] = pp[v] * (lpp[v] - lp[v] - kl);
    matTVec(P.E, V, D, r, gkl);
  }
  const grad = new Float64Array(D);
  for (let j = 0; j < D; j++) grad[j] = gce[j] + P.klScale * gkl[j];
  return { grad, ce: gce, kl: gkl };
}

/**
 * Runs the perturbation: `iterations` normalised gradient steps of size stepsize · ‖h‖. Returns Δ (all zeros when
 * stepsize is 0).
 */
export function perturbHidden(P: SteerProblem, params: SteerParams = {}): Float64Array {
  const stepsize = params.stepsize ?? DEFAULT_STEER.stepsize;
  const iterations = Math.max(0, Math.floor(params.iterations ?? DEFAULT_STEER.iterations));
  const delta = new Float64Array(P.D);
  if (stepsize === 0 || iterations === 0) return delta;
  let hn = 0;
  for (let j = 0; j < P.D; j++) hn += P.h[j] * P.h[j];
  const scale = stepsize * Math.sqrt(hn);
  for (let it = 0; it < iterations; it++) {
    const { grad } = steerGradient(P, delta);
    let gn = 0;
    for (let j = 0; j < P.D; j++) gn += grad[j] * grad[j];
    gn = Math.sqrt(gn);
    if (!(gn > 0)) break;
    for (let j = 0; j < P.D; j++) delta[j] -= (scale * grad[j]) / gn;
  }
  return delta;
}

/** Per-step report of a steered row. */
export interface SteerTrace {
  /** p(toward) of the head before and after the perturbation, per step. */
  before: number[];
  after: number[];
}

/**
 * Hidden-state steering for several rows: keeps each row's running sum of hidden states and turns (last hidden
 * state, logits) into the fused next-token log-softmax. A hook for any decoding loop: call {@link observe} with the
 * hidden state of every position the model has seen (BOS excluded), and {@link steer} at each step.
 */
export class HiddenSteerer {
  readonly params: Required<SteerParams>;
  readonly target: number;
  private E: Float32Array;
  private V: number;
  private D: number;
  private acc: Float64Array[] = [];
  private count: number[] = [];
  readonly traces: SteerTrace[] = [];

  constructor(
    readonly engine: Engine,
    readonly head: ClassifierHead,
    toward: string | number,
    params: SteerParams = {},
  ) {
    requireHidden(engine);
    const pick = (v: number | undefined, d: number) => (v === undefined ? d : v);
    this.params = {
      stepsize: pick(params.stepsize, DEFAULT_STEER.stepsize),
      iterations: pick(params.iterations, DEFAULT_STEER.iterations),
      klScale: pick(params.klScale, DEFAULT_STEER.klScale),
      gmScale: pick(params.gmScale, DEFAULT_STEER.gmScale),
    };
    for (const [k, v] of Object.entries(this.params))
      if (!Number.isFinite(v) || v < 0) throw new InputError(`steering parameter ${k} must be a finite number >= 0 (got ${v})`, 'USAGE');
    if (this.params.gmScale > 1) throw new InputError(`gm_scale must be in [0, 1] (got ${this.params.gmScale})`, 'USAGE');
    this.target = typeof toward === 'number' ? toward : head.classIndex(toward);
    const D = engine.config.hiddenSize;
    if (head.embedSize !== D)
      throw new InputError(`the head expects hidden size ${head.embedSize}, the model has ${D}`, 'HEAD_MISMATCH');
    this.D = D;
    if (this.params.stepsize > 0) {
      const lm = engine.lmHead();
      if (lm.dim !== D) throw new PlausibilityError(`lm_head.bin has ${lm.dim} columns but the hidden size is ${D}`, 'MODEL_CORRUPT_FILE');
      this.E = lm.weights;
      this.V = lm.vocab;
    } else {
      this.E = new Float32Array(0);
      this.V = engine.config.vocabSize;
    }
  }

  /** Starts `rows` rows with empty history. */
  reset(rows: number): void {
    this.acc = Array.from({ length: rows }, () => new Float64Array(this.D));
    this.count = new Array<number>(rows).fill(0);
    this.traces.length = 0;
    for (let r = 0; r < rows; r++) this.traces.push({ before: [], after: [] });
  }

  /** Adds the hidden state hidden[off .. off+D) of one seen position of row `row` to its running sum. */
  observe(row: number, hidden: ArrayLike<number>, off = 0): void {
    const a = this.acc[row];
    for (let j = 0; j < this.D; j++) a[j] += hidden[off + j];
    this.count[row]++;
  }

  /** The steering problem of a row at its current position (for tests and diagnostics). */
  problem(row: number, h: ArrayLike<number>, z: ArrayLike<number>): SteerProblem {
    return {
      E: this.E,
      V: this.V,
      D: this.D,
      W: this.head.weights,
      b: this.head.bias,
      C: this.head.classSize,
      target: this.target,
      acc: this.acc[row],
      count: this.count[row],
      h,
      z,
      klScale: this.params.klScale,
    };
  }

  /**
   * Fused next-token log-softmax of row `row`, given its current (unperturbed) last hidden state and logits. With
   * stepsize 0 this is exactly logSoftmax(logits).
   */
  steer(row: number, hidden: Float32Array, hOff: number, logits: Float32Array, lOff: number): Float64Array {
    const { V, D } = this;
    if (this.params.stepsize === 0 || this.params.iterations === 0 || this.params.gmScale === 0)
      return logSoftmax(logits, lOff, V);
    const h = hidden.subarray(hOff, hOff + D);
    const z = logits.subarray(lOff, lOff + V);
    const P = this.problem(row, h, z);
    const delta = perturbHidden(P, this.params);
    const tr = this.traces[row];
    if (tr) {
      tr.before.push(headProbs(P, new Float64Array(D))[this.target]);
      tr.after.push(headProbs(P, delta)[this.target]);
    }
    const dz = matVec(this.E, V, D, delta, new Float64Array(V));
    const fused = new Float64Array(V);
    const gm = this.params.gmScale;
    for (let v = 0; v < V; v++) fused[v] = z[v] + gm * dz[v];
    return logSoftmax(fused, 0, V);
  }
}

/**
 * The model after one prefix, steered by a {@link HiddenSteerer}: a {@link TokenDistribution} for the sampling loop
 * in generate.ts. `components` holds the unsteered log-softmax, so samples report the plain model's log-probability
 * of each token too.
 */
export class SteeredDistribution implements TokenDistribution {
  private cache: KvCache | undefined;
  private len = 0;
  private rows = 0;
  /** Each row's current (last) position's hidden state, which is the one steered; it joins the history next step. */
  private current: Float32Array[] = [];
  private currentIsBos = false;

  constructor(
    readonly engine: Engine,
    readonly prefix: number[],
    readonly steerer: HiddenSteerer,
  ) {
    if (prefix.length === 0) throw new InputError('a generation prefix needs at least the BOS token', 'EMPTY_INPUT');
    if (!engine.info.hasKvCache) throw new InputError('steering needs a model with a key/value cache', 'FEATURE_UNAVAILABLE');
  }

  remaining(): number {
    return this.engine.config.maxPositions - this.len;
  }

  async start(rows: number): Promise<Step> {
    const e = this.engine;
    const V = e.config.vocabSize;
    const D = e.config.hiddenSize;
    const L = this.prefix.length;
    if (L >= e.config.maxPositions)
      throw new InputError(`the context (${L} tokens) leaves no room in the model's window of ${e.config.maxPositions} tokens`, 'TOO_LONG');
    const res = await e.forward(this.prefix, { presents: true, hidden: true });
    this.rows = rows;
    this.len = L;
    this.cache = tileCache(res.presents!, rows);
    this.steerer.reset(rows);
    const h = res.hidden!;
    const logits = res.logits!;
    // History: the prompt's positions after BOS, except the last one (the current position).
    for (let r = 0; r < rows; r++) for (let p = 1; p < L - 1; p++) this.steerer.observe(r, h, p * D);
    this.current = Array.from({ length: rows }, () => h.slice((L - 1) * D, L * D));
    this.currentIsBos = L === 1;
    const plain = logSoftmax(logits, (L - 1) * V, V);
    const logp: Float64Array[] = [];
    for (let r = 0; r < rows; r++) logp.push(this.steerer.steer(r, h, (L - 1) * D, logits, (L - 1) * V));
    return { logp, components: logp.map(() => [plain]) };
  }

  async advance(tokens: number[]): Promise<Step> {
    const e = this.engine;
    const V = e.config.vocabSize;
    const D = e.config.hiddenSize;
    if (tokens.length !== this.rows) throw new PlausibilityError('one token per row', 'BAD_BATCH');
    if (!this.currentIsBos) for (let r = 0; r < this.rows; r++) this.steerer.observe(r, this.current[r], 0);
    const res = await e.forward(
      tokens.map((t) => [t]),
      { past: this.cache, presents: true, hidden: true },
    );
    this.cache = res.presents;
    this.len++;
    const h = res.hidden!;
    const logits = res.logits!;
    this.current = Array.from({ length: this.rows }, (_, r) => h.slice(r * D, (r + 1) * D));
    this.currentIsBos = false;
    const logp: Float64Array[] = [];
    const components: Float64Array[][] = [];
    for (let r = 0; r < this.rows; r++) {
      logp.push(this.steerer.steer(r, h, r * D, logits, r * V));
      components.push([logSoftmax(logits, r * V, V)]);
    }
    return { logp, components };
  }
}

/** Options of {@link generateSteered}. */
export interface SteeredGenerateOptions extends SamplingOptions, SteerParams {
  prompt?: string;
  /** Prompt ids without BOS (instead of `prompt`). */
  promptIds?: number[];
  head: ClassifierHead;
  /** Class to move toward (name or index), e.g. `non-toxic`. */
  toward: string | number;
}

/** The BOS-first prefix for a prompt, keeping its last tokens so that `maxTokens` fit the window. */
export function promptPrefix(engine: Engine, ids: number[], maxTokens: number): number[] {
  const room = engine.config.maxPositions - 1 - Math.max(1, maxTokens);
  if (room < 0) throw new InputError(`--max-tokens ${maxTokens} does not fit the model's window of ${engine.config.maxPositions} tokens`, 'TOO_LONG');
  return [engine.bosId, ...ids.slice(Math.max(0, ids.length - room))];
}

/**
 * Generation steered by hidden-state perturbation (PPLM-style). The sampler (temperature, top-k, top-p, seed, stop
 * conditions) is generate.ts's, so with stepsize 0 the samples equal {@link generate}'s for the same seed.
 */
export async function generateSteered(
  engine: Engine,
  opts: SteeredGenerateOptions,
): Promise<GenerationResult & { prefix: number[]; traces: SteerTrace[] }> {
  const maxTokens = opts.maxTokens ?? 32;
  const ids = opts.promptIds ?? engine.encode(opts.prompt ?? '');
  const prefix = promptPrefix(engine, ids, maxTokens);
  const steerer = new HiddenSteerer(engine, opts.head, opts.toward, opts);
  const dist = new SteeredDistribution(engine, prefix, steerer);
  const res = await sample(engine, dist, opts);
  return { ...res, prefix, traces: steerer.traces.map((t) => ({ before: [...t.before], after: [...t.after] })) };
}

/** A reranked candidate. */
export interface RankedSample extends Sample {
  /** Head probability of the `toward` class for the candidate's text alone. */
  pToward: number;
  /** NLL per token under the plain model (nats). */
  nllPerToken: number;
  /** log p(toward) − fluencyWeight · nllPerToken (higher is better). */
  score: number;
}

/**
 * Discriminator-weighted reranking: scores samples with the head (on the generated text only) and sorts them by
 * log p(toward) − fluencyWeight · NLL per token, best first.
 */
export async function rerankSamples(
  engine: Engine,
  head: ClassifierHead,
  toward: string | number,
  samples: Sample[],
  opts: { fluencyWeight?: number } = {},
): Promise<RankedSample[]> {
  const t = typeof toward === 'number' ? toward : head.classIndex(toward);
  const fw = opts.fluencyWeight ?? 0.1;
  const X = await embedTexts(engine, samples.map((s) => s.text), { maxTokens: head.meta.maxTokens });
  const ranked = samples.map((s, i) => {
    const p = head.probs(X, i * head.embedSize)[t];
    const lps = s.componentLogprobs.length ? s.componentLogprobs.map((c) => c[0]) : s.logprobs;
    const nll = lps.length ? -lps.reduce((a, b) => a + b, 0) / lps.length : 0;
    return { ...s, pToward: p, nllPerToken: nll, score: Math.log(Math.max(p, 1e-12)) - fw * nll };
  });
  return ranked.map((r, i) => ({ r, i })).sort((a, b) => b.r.score - a.r.score || a.i - b.i).map((x) => x.r);
}

/** Options of {@link generateReranked}. */
export interface RerankGenerateOptions extends SamplingOptions {
  prompt?: string;
  promptIds?: number[];
  head: ClassifierHead;
  toward: string | number;
  /** Unsteered candidates drawn per output (default 8). */
  candidates?: number;
  fluencyWeight?: number;
  /** Independent outputs, each reranked among its own `candidates`; all are drawn in one batch (default 1). */
  outputs?: number;
}

/**
 * Draws `candidates` unsteered samples per output (one batch for all outputs) and returns each output's candidates
 * reranked by the head, best first. `ranked` is the first output's ranking.
 */
export async function generateReranked(
  engine: Engine,
  opts: RerankGenerateOptions,
): Promise<{ ranked: RankedSample[]; outputs: RankedSample[][]; seed: number }> {
  const maxTokens = opts.maxTokens ?? 32;
  const ids = opts.promptIds ?? engine.encode(opts.prompt ?? '');
  const prefix = promptPrefix(engine, ids, maxTokens);
  const n = Math.max(1, Math.floor(opts.candidates ?? 8));
  const groups = Math.max(1, Math.floor(opts.outputs ?? 1));
  const res = await sample(engine, new ContextDistribution(engine, prefix, opts.useCache), { ...opts, samples: n * groups, maxTokens });
  const outputs: RankedSample[][] = [];
  for (let g = 0; g < groups; g++)
    outputs.push(await rerankSamples(engine, opts.head, opts.toward, res.samples.slice(g * n, (g + 1) * n), { fluencyWeight: opts.fluencyWeight }));
  return { ranked: outputs[0], outputs, seed: res.seed };
}

/** A rewrite of a sentence away from an unwanted class. */
export interface DetoxCandidate {
  /** The whole replacement sentence. */
  text: string;
  /** Head probability of the `toward` class for the sentence alone. */
  pToward: number;
  /** NLL of the sentence given the kept left context (nats), and per token. */
  nll: number;
  nllPerToken: number;
  method: 'pplm' | 'rerank';
}

export interface DetoxResult {
  original: string;
  originalPToward: number;
  originalNll: number;
  /** The kept beginning of the sentence (up to the word the head blames most). */
  keptPrefix: string;
  candidates: DetoxCandidate[];
  ms: number;
}

export interface DetoxOptions extends SteerParams {
  head: ClassifierHead;
  toward: string | number;
  /** Rewrites returned (default 5). */
  count?: number;
  /** Samples per method (default 8). */
  samples?: number;
  seed?: number;
  /** Characters of left context kept (default 1000). */
  contextChars?: number;
  signal?: AbortSignal;
}

/**
 * Rewrites sentence [start, end) of `text` away from the unwanted class: the sentence is kept up to the word whose
 * removal lowers the unwanted class most (leave-one-out over words), and continued after the left context by
 * hidden-state steering and by reranked unsteered samples, stopping at the end of a sentence. Candidates the head
 * scores as `toward` (p >= 0.5) are returned ranked by fluency (NLL per token given the left context), best first.
 */
export async function rewriteAway(engine: Engine, text: string, start: number, end: number, opts: DetoxOptions): Promise<DetoxResult> {
  const t0 = Date.now();
  if (!(start >= 0 && end > start && end <= text.length)) throw new InputError('rewrite: empty or invalid range', 'USAGE');
  const head = opts.head;
  const t = typeof opts.toward === 'number' ? opts.toward : head.classIndex(opts.toward);
  const sentence = text.slice(start, end);
  const left = text.slice(Math.max(0, start - (opts.contextChars ?? 1000)), start);
  const words = [...sentence.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
  // Leave-one-out blame: which word's removal raises p(toward) most.
  const variants = [sentence, ...words.map((w) => (sentence.slice(0, w.start) + sentence.slice(w.end)).replace(/\s+/g, ' ').trim())];
  const X = await embedTexts(engine, variants, { maxTokens: head.meta.maxTokens * 2 });
  const pFull = head.probs(X, 0)[t];
  let blame = 0;
  let best = -Infinity;
  words.forEach((_, i) => {
    const gain = head.probs(X, (i + 1) * head.embedSize)[t] - pFull;
    if (gain > best) {
      best = gain;
      blame = i;
    }
  });
  const keptPrefix = words.length ? sentence.slice(0, words[blame].start) : '';
  const sentTokens = engine.encode(sentence).length;
  const maxTokens = Math.min(Math.max(8, Math.ceil(sentTokens * 1.5) + 4), 64);
  // No trailing space in the prompt: byte-level BPE attaches the space to the next word's token.
  const promptIds = engine.encode((left + keptPrefix).replace(/\s+$/, ''));
  const common = {
    promptIds,
    seed: opts.seed ?? 1,
    topK: 20,
    maxTokens,
    samples: opts.samples ?? 8,
    stop: { sentence: true, newline: true },
    signal: opts.signal,
  };
  const { stepsize, iterations, klScale, gmScale } = opts;
  const steered = await generateSteered(engine, { ...common, head, toward: t, stepsize, iterations, klScale, gmScale });
  const plain = await sample(engine, new ContextDistribution(engine, promptPrefix(engine, promptIds, maxTokens)), common);
  const seen = new Set<string>([sentence.trim()]);
  const cands: { text: string; method: 'pplm' | 'rerank' }[] = [];
  const add = (s: Sample, method: 'pplm' | 'rerank') => {
    // The sentence range starts at a non-space: a continuation of an empty kept prefix loses its leading space.
    const full = (keptPrefix.replace(/\s+$/, '') + s.text).replace(/\s+$/, '').replace(/^\s+/, '');
    if (!full || seen.has(full)) return;
    // Fragments (a newline or EOS right away) are not rewrites.
    if ((full.match(/\S+/g) ?? []).length < Math.min(4, words.length)) return;
    seen.add(full.trim());
    cands.push({ text: full, method });
  };
  steered.samples.forEach((s) => add(s, 'pplm'));
  plain.samples.forEach((s) => add(s, 'rerank'));
  const all = [sentence, ...cands.map((c) => c.text)];
  const Xc = await embedTexts(engine, all, { maxTokens: head.meta.maxTokens * 2 });
  const nlls = await engine.conditionalBatch(left, all);
  const scored: DetoxCandidate[] = cands.map((c, i) => ({
    text: c.text,
    method: c.method,
    pToward: head.probs(Xc, (i + 1) * head.embedSize)[t],
    nll: nlls[i + 1].nll,
    nllPerToken: nlls[i + 1].nllPerToken,
  }));
  const good = scored.filter((c) => c.pToward >= 0.5).sort((a, b) => a.nllPerToken - b.nllPerToken);
  return {
    original: sentence,
    originalPToward: head.probs(Xc, 0)[t],
    originalNll: nlls[0].nll,
    keptPrefix,
    candidates: good.slice(0, opts.count ?? 5),
    ms: Date.now() - t0,
  };
}
