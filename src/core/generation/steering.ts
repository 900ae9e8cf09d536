/**
 * Steering generation with a discriminator head, two ways:
 *
 * 1. PPLM-style hidden-state perturbation ({@link HiddenSteerer}, {@link SteeredDistribution}; the math in
 *    ./hiddenPerturbation.ts). At every step the last hidden state h (the final-norm output that feeds the tied LM
 *    head E) is moved by Δ so that the head, applied to the mean hidden state of the text so far with h + Δ in place
 *    of h, prefers the `toward` class, while the next-token distribution stays close to the unperturbed one:
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
 * 2. Discriminator-weighted reranking (rerankSamples in ./headRerank.ts): draw N unsteered samples, score each
 *    with the head and keep the best by log p(toward) − fluency_weight · NLL per token.
 *
 * A head over [0, -1] (mean token embeddings and mean last hidden states, concatenated) is steered the same way: its
 * token-embedding part does not depend on Δ, so W_tok · (mean embedding of the tokens so far) joins the bias. So do
 * the parts on inner layers (states upstream of the last one, which Δ does not reach).
 * Heads with max pooling or without the last layer cannot be steered this way (reranking still works).
 *
 * Unlike PPLM's main variant this does not perturb the past key/values (that needs gradients through the whole
 * transformer, and onnxruntime-node has no autograd): only the last hidden state, which the LM head maps linearly.
 */
import type { Engine, KvCache } from '../engine';
import { ClassifierHead, requireHidden, requireLayers } from '../heads/discriminator';
import { layerList } from '../heads/embedding';
import { InputError, PlausibilityError } from '../errors';
import { GenerationResult, logSoftmax, sample, SamplingOptions, Step, tileCache, TokenDistribution } from './generate';
import { DEFAULT_STEER, headProbs, matVec, perturbHidden, SteerParams, SteerProblem } from './hiddenPerturbation';

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
  /** The head's weights on the last layer's mean [C, D], and on the token embeddings' mean (heads over [0, -1]). */
  private Wlast: Float32Array;
  private Wtok?: Float32Array;
  /** Token-embedding rows (lm_head.bin) and each row's sum of its seen tokens' rows (heads that read layer 0). */
  private tokE?: Float32Array;
  private tokAcc: Float64Array[] = [];
  private tokCount: number[] = [];
  /** Inner layers the head reads, with its weights on each layer's mean [C, D] and each row's running sums. */
  readonly innerLayers: number[];
  private Winner: Float32Array[] = [];
  private innerAcc: Float64Array[][] = [];
  private innerCount: number[] = [];
  /** Each inner layer's state at BOS: the mean of a row that has seen nothing else yet. */
  private innerBos: Float32Array[] = [];
  readonly traces: SteerTrace[] = [];

  constructor(
    readonly engine: Engine,
    readonly head: ClassifierHead,
    toward: string | number,
    params: SteerParams = {},
  ) {
    requireHidden(engine);
    requireLayers(engine, head.layer, `discriminator head "${head.meta.name}"`);
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
    if (!head.steerable)
      throw new InputError(
        `hidden-state steering needs a head over mean-pooled last-layer states (optionally with token embeddings, layer [0, -1]); ` +
          `head "${head.meta.name}" reads layer ${JSON.stringify(head.layer)} with ${head.pooling} pooling, which perturbing the last ` +
          'hidden state cannot steer. Use reranking instead (`generate --rerank N`)',
        'USAGE',
      );
    this.target = typeof toward === 'number' ? toward : head.classIndex(toward);
    const D = engine.config.hiddenSize;
    if (head.embedSize !== D)
      throw new InputError(`the head expects hidden size ${head.embedSize}, the model has ${D}`, 'HEAD_MISMATCH');
    this.D = D;
    // Split the weights by layer: the token-embedding part does not depend on the perturbation, so it folds into
    // the bias at each step.
    const layers = layerList(head.layer);
    const F = layers.length * D;
    const block = (k: number) => {
      const w = new Float32Array(head.classSize * D);
      for (let c = 0; c < head.classSize; c++) w.set(head.weights.subarray(c * F + k * D, c * F + (k + 1) * D), c * D);
      return w;
    };
    this.Wlast = layers.length === 1 ? head.weights : block(layers.indexOf(-1));
    // The tied embeddings serve both the token-embedding part of the head and the step's gradient through the logits.
    const needsE = layers.includes(0) || this.params.stepsize > 0;
    const lm = needsE ? engine.lmHead() : undefined;
    if (lm && lm.dim !== D) throw new PlausibilityError(`lm_head.bin has ${lm.dim} columns but the hidden size is ${D}`, 'MODEL_CORRUPT_FILE');
    this.innerLayers = layers.filter((l) => l > 0);
    this.Winner = this.innerLayers.map((l) => block(layers.indexOf(l)));
    if (lm && layers.includes(0)) {
      this.Wtok = block(layers.indexOf(0));
      this.tokE = lm.weights;
    }
    if (lm && this.params.stepsize > 0) {
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
    this.tokAcc = Array.from({ length: rows }, () => new Float64Array(this.tokE ? this.D : 0));
    this.tokCount = new Array<number>(rows).fill(0);
    this.innerAcc = Array.from({ length: rows }, () => this.innerLayers.map(() => new Float64Array(this.D)));
    this.innerCount = new Array<number>(rows).fill(0);
    this.traces.length = 0;
    for (let r = 0; r < rows; r++) this.traces.push({ before: [], after: [] });
  }

  /** Adds the hidden state hidden[off .. off+D) of one seen position of row `row` to its running sum. */
  observe(row: number, hidden: ArrayLike<number>, off = 0): void {
    const a = this.acc[row];
    for (let j = 0; j < this.D; j++) a[j] += hidden[off + j];
    this.count[row]++;
  }

  /**
   * Adds the token of one seen position of row `row` (BOS excluded; the current position's included) to its
   * token-embedding history, which heads reading layer 0 need (a no-op for other heads).
   */
  observeToken(row: number, id: number): void {
    if (!this.tokE) return;
    const a = this.tokAcc[row];
    const base = id * this.D;
    for (let j = 0; j < this.D; j++) a[j] += this.tokE[base + j];
    this.tokCount[row]++;
  }

  /**
   * Adds one seen position's inner-layer states (`inner` from a forward pass with the head's inner layers; BOS
   * excluded, the current position included) to row `row`'s history. `pos` is the position in those tensors.
   */
  observeInner(row: number, inner: Map<number, Float32Array> | undefined, pos: number): void {
    if (!this.innerLayers.length || !inner) return;
    const D = this.D;
    this.innerLayers.forEach((l, k) => {
      const h = inner.get(l)!;
      const a = this.innerAcc[row][k];
      for (let j = 0; j < D; j++) a[j] += h[pos * D + j];
    });
    this.innerCount[row]++;
  }

  /** Records each inner layer's state at BOS (position 0 of `inner`), the features of an empty history. */
  observeBos(inner: Map<number, Float32Array> | undefined): void {
    if (!inner) return;
    this.innerBos = this.innerLayers.map((l) => inner.get(l)!.slice(0, this.D));
  }

  /**
   * The head's bias plus the parts Δ does not change: the row's mean token embedding (BOS's row when none is seen
   * yet) and its inner layers' mean states (BOS's when none).
   */
  private bias(row: number): Float32Array {
    const { Wtok, tokE, D } = this;
    const b = Float32Array.from(this.head.bias);
    const addPart = (W: Float32Array, f: ArrayLike<number>) => {
      for (let c = 0; c < b.length; c++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += W[c * D + j] * f[j];
        b[c] += s;
      }
    };
    if (Wtok && tokE) {
      const n = this.tokCount[row];
      addPart(Wtok, n > 0 ? Array.from(this.tokAcc[row], (v) => v / n) : tokE.subarray(this.engine.bosId * D, (this.engine.bosId + 1) * D));
    }
    const n = this.innerCount[row];
    this.Winner.forEach((W, k) => addPart(W, n > 0 ? Array.from(this.innerAcc[row][k], (v) => v / n) : this.innerBos[k] ?? new Float32Array(D)));
    return b;
  }

  /** The steering problem of a row at its current position (for tests and diagnostics). */
  problem(row: number, h: ArrayLike<number>, z: ArrayLike<number>): SteerProblem {
    return {
      E: this.E,
      V: this.V,
      D: this.D,
      W: this.Wlast,
      b: this.bias(row),
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
    const innerLayers = this.steerer.innerLayers;
    const res = await e.forward(this.prefix, { presents: true, hidden: true, innerLayers });
    this.rows = rows;
    this.len = L;
    this.cache = tileCache(res.presents!, rows);
    this.steerer.reset(rows);
    const h = res.hidden!;
    const logits = res.logits!;
    // History: the prompt's positions after BOS, except the last one (the current position).
    for (let r = 0; r < rows; r++) for (let p = 1; p < L - 1; p++) this.steerer.observe(r, h, p * D);
    for (let r = 0; r < rows; r++) for (let p = 1; p < L; p++) this.steerer.observeToken(r, this.prefix[p]);
    this.steerer.observeBos(res.inner);
    for (let r = 0; r < rows; r++) for (let p = 1; p < L; p++) this.steerer.observeInner(r, res.inner, p);
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
    for (let r = 0; r < this.rows; r++) this.steerer.observeToken(r, tokens[r]);
    const res = await e.forward(
      tokens.map((t) => [t]),
      { past: this.cache, presents: true, hidden: true, innerLayers: this.steerer.innerLayers },
    );
    this.cache = res.presents;
    this.len++;
    const h = res.hidden!;
    const logits = res.logits!;
    this.current = Array.from({ length: this.rows }, (_, r) => h.slice(r * D, (r + 1) * D));
    for (let r = 0; r < this.rows; r++) this.steerer.observeInner(r, res.inner, r);
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

