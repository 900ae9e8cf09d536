/**
 * Text features for discriminator heads: the hidden states of a text's tokens, BOS excluded, pooled into one vector
 * per text. `mean` (the seed's ClassifierHead input) averages them; `max` takes the element-wise maximum; `mean+max`
 * concatenates both (2 x hidden size).
 *
 * Layers: `-1` is the final hidden state (`last_hidden_state`, the final-norm output that feeds the LM head; one
 * forward pass); `0` is the input token embedding (HF's hidden_states[0] without the position embedding), which for
 * project models is the tied LM-head matrix's row of each token (`lm_head.bin`), so it needs no forward pass; `N`
 * (1 .. layers - 1) is the residual stream after block N, which models exported by training/ output as
 * `hidden_states.N` (the same forward pass). A head may read several layers: their pooled features are concatenated
 * in the order given.
 */
import type { Engine } from '../engine';
import { FeatureUnavailableError, InputError, PlausibilityError } from '../errors';
import { requireInnerLayers } from '../model/forward';

export type Pooling = 'mean' | 'max' | 'mean+max';
export const POOLINGS: readonly Pooling[] = ['mean', 'max', 'mean+max'];

/** Feature size of a pooling over hidden states of size `hidden`. */
export function featureSize(pooling: Pooling, hidden: number): number {
  return pooling === 'mean+max' ? 2 * hidden : hidden;
}

/** A layer whose states a head may read: 0 (token embeddings), -1 (the last) or N >= 1 (after block N). */
export type Layer = number;
/** One layer, or several whose pooled features are concatenated (e.g. `[0, -1]`). */
export type LayerSpec = Layer | Layer[];

/** The layers of a spec, as a list. */
export function layerList(spec: LayerSpec | undefined): Layer[] {
  return spec === undefined ? [-1] : Array.isArray(spec) ? spec : [spec];
}

/** Feature size of a pooling over the given layers (default the last) of hidden size `hidden`. */
export function layerFeatureSize(pooling: Pooling, hidden: number, layer?: LayerSpec): number {
  return layerList(layer).length * featureSize(pooling, hidden);
}

const isLayer = (x: unknown): x is Layer => Number.isInteger(x) && (x as number) >= -1 && (x as number) <= 1024;

/** Why a head-file `layer` value is invalid, or undefined when it is valid (whether a model has it is checked on use). */
export function layerProblem(v: unknown): string | undefined {
  const allowed = 'a layer is 0 (token embeddings, from lm_head.bin), -1 (the last hidden state) or N >= 1 (after block N)';
  if (Array.isArray(v)) {
    if (v.length === 0) return `an empty layer list; ${allowed}`;
    if (!v.every(isLayer)) return `${JSON.stringify(v)} lists an invalid layer; ${allowed}`;
    if (new Set(v).size !== v.length) return `${JSON.stringify(v)} lists a layer twice`;
    return undefined;
  }
  return isLayer(v) ? undefined : `${JSON.stringify(v)} is invalid: ${allowed}, or a list of them such as [0, -1]`;
}

/** Every layer a head can read on this engine's model, in order: token embeddings, inner layers, the last. */
export function availableLayers(engine: Engine): Layer[] {
  return [...(engine.info.hasLmHead ? [0] : []), ...engine.info.innerLayers, ...(engine.info.hasHiddenState ? [-1] : [])];
}

/** Throws a clear error when the model cannot give a layer the spec lists. */
export function requireLayers(engine: Engine, spec: LayerSpec | undefined, who = 'this head'): void {
  const layers = layerList(spec);
  if (layers.includes(-1)) requireHidden(engine);
  if (layers.includes(0) && !engine.info.hasLmHead)
    throw new FeatureUnavailableError(
      'lm_head',
      `${who} reads layer 0 (token embeddings), which comes from lm_head.bin, and this model (${engine.info.modelDir}) has none`,
    );
  requireInnerLayers(engine.info, layers, who);
}

export function requireHidden(engine: Engine): void {
  if (!engine.info.hasHiddenState)
    throw new FeatureUnavailableError(
      'last_hidden_state',
      `this model (${engine.info.modelDir}) does not export last_hidden_state, so discriminator heads cannot run on it ` +
        '(only project models exported by training/ have it); scoring, ranking and linting still work',
    );
}

export interface EmbedOptions {
  /** Truncate each text to this many tokens (default 64). */
  maxTokens?: number;
  /** Token budget per forward pass (rows x padded length, default 2048). */
  batchTokens?: number;
  /** How token states become one vector (default `mean`). */
  pooling?: Pooling;
  /** Which layer's states (default -1, the last), or several, concatenated. */
  layer?: LayerSpec;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; throwing from it cancels. */
  checkCancelled?: () => void;
}

/**
 * Pooled hidden states of each text at the chosen layer(s) (an empty text gets BOS's state), as a flat
 * [texts, featureSize] matrix. Each text is embedded once, truncated to `maxTokens`; the last layer in right-padded
 * batches sorted by length (causal attention: padding never changes the real positions).
 */
export async function embedTexts(engine: Engine, texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
  requireLayers(engine, opts.layer);
  const maxTokens = Math.max(1, Math.min(opts.maxTokens ?? 64, engine.config.maxPositions - 1));
  const budget = Math.max(maxTokens + 1, opts.batchTokens ?? 2048);
  const seqs = texts.map((t) => engine.encode(t).slice(0, maxTokens));
  return embedIds(engine, seqs, { ...opts, batchTokens: budget });
}

/** {@link embedTexts} for already-tokenised texts (ids without BOS). */
export async function embedIds(engine: Engine, seqs: number[][], opts: EmbedOptions = {}): Promise<Float32Array> {
  const layers = layerList(opts.layer);
  const bad = layerProblem(opts.layer ?? -1);
  if (bad) throw new InputError(`layer ${bad}`, 'USAGE');
  requireLayers(engine, opts.layer);
  // One forward pass gives the last and every inner layer asked for.
  const run = layers.filter((l) => l !== 0);
  const fromForward = run.length ? await embedForwardIds(engine, seqs, run, opts) : new Map<Layer, Float32Array>();
  const parts = layers.map((l) => (l === 0 ? embedTokenIds(engine, seqs, opts) : fromForward.get(l)!));
  return parts.length === 1 ? parts[0] : concatFeatures(parts, seqs.length);
}

/** Row-wise concatenation of [n, F_k] matrices. */
export function concatFeatures(parts: Float32Array[], n: number): Float32Array {
  const sizes = parts.map((p) => p.length / Math.max(1, n));
  const F = sizes.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    let off = i * F;
    parts.forEach((p, k) => {
      out.set(p.subarray(i * sizes[k], (i + 1) * sizes[k]), off);
      off += sizes[k];
    });
  }
  return out;
}

/**
 * Layer 0: pooled input token embeddings, the rows of the tied LM-head matrix (lm_head.bin) of each text's tokens
 * (an empty text gets BOS's row). No forward pass.
 */
export function embedTokenIds(engine: Engine, seqs: number[][], opts: Pick<EmbedOptions, 'pooling'> = {}): Float32Array {
  const lm = engine.lmHead();
  const D = engine.config.hiddenSize;
  if (lm.dim !== D)
    throw new PlausibilityError(`lm_head.bin has ${lm.dim} columns but the hidden size is ${D}`, 'MODEL_CORRUPT_FILE');
  const pooling = opts.pooling ?? 'mean';
  const F = featureSize(pooling, D);
  const meanAt = pooling === 'max' ? -1 : 0;
  const maxAt = pooling === 'mean' ? -1 : pooling === 'max' ? 0 : D;
  const E = lm.weights;
  const out = new Float32Array(seqs.length * F);
  seqs.forEach((s, k) => {
    const ids = s.length ? s : [engine.bosId];
    const dst = k * F;
    if (maxAt >= 0) out.fill(-Infinity, dst + maxAt, dst + maxAt + D);
    for (const id of ids) {
      if (!(Number.isInteger(id) && id >= 0 && id < lm.vocab)) throw new InputError(`token id ${id} is outside the vocabulary`, 'USAGE');
      const base = id * D;
      for (let j = 0; j < D; j++) {
        const v = E[base + j];
        if (meanAt >= 0) out[dst + meanAt + j] += v;
        if (maxAt >= 0 && v > out[dst + maxAt + j]) out[dst + maxAt + j] = v;
      }
    }
    if (meanAt >= 0) for (let j = 0; j < D; j++) out[dst + meanAt + j] /= ids.length;
  });
  return out;
}

/**
 * The last layer (-1) and inner layers (N >= 1): pooled hidden states, all from one forward pass per batch.
 */
async function embedForwardIds(engine: Engine, seqs: number[][], layers: Layer[], opts: EmbedOptions = {}): Promise<Map<Layer, Float32Array>> {
  const D = engine.config.hiddenSize;
  const pooling = opts.pooling ?? 'mean';
  const F = featureSize(pooling, D);
  const meanAt = pooling === 'max' ? -1 : 0;
  const maxAt = pooling === 'mean' ? -1 : pooling === 'max' ? 0 : D;
  const budget = opts.batchTokens ?? 2048;
  const outs = new Map(layers.map((l) => [l, new Float32Array(seqs.length * F)]));
  const inner = layers.filter((l) => l > 0);
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[b].length - seqs[a].length || a - b);
  const pad = engine.config.eosTokenId ?? engine.bosId;
  let i = 0;
  while (i < order.length) {
    opts.checkCancelled?.();
    const L = seqs[order[i]].length + 1;
    const n = Math.max(1, Math.floor(budget / L));
    const group = order.slice(i, i + n);
    i += group.length;
    const ids = group.map((k) => {
      const s = [engine.bosId, ...seqs[k]];
      while (s.length < L) s.push(pad);
      return s;
    });
    const ragged = group.some((k) => seqs[k].length + 1 !== L);
    const attentionMask = ragged ? group.map((k) => Array.from({ length: L }, (_, j) => (j <= seqs[k].length ? 1 : 0))) : undefined;
    const positionIds = ragged ? group.map((k) => Array.from({ length: L }, (_, j) => Math.min(j, seqs[k].length))) : undefined;
    const res = await engine.forward(ids, { hidden: layers.includes(-1), innerLayers: inner, logits: false, attentionMask, positionIds });
    for (const [layer, out] of outs) {
      const h = layer === -1 ? res.hidden! : res.inner!.get(layer)!;
      group.forEach((k, r) => {
        const len = seqs[k].length;
        const dst = k * F;
        const from = len === 0 ? 0 : 1;
        const to = len === 0 ? 0 : len;
        const cnt = to - from + 1;
        if (maxAt >= 0) out.fill(-Infinity, dst + maxAt, dst + maxAt + D);
        for (let p = from; p <= to; p++) {
          const base = (r * L + p) * D;
          for (let j = 0; j < D; j++) {
            const v = h[base + j];
            if (meanAt >= 0) out[dst + meanAt + j] += v;
            if (maxAt >= 0 && v > out[dst + maxAt + j]) out[dst + maxAt + j] = v;
          }
        }
        if (meanAt >= 0) for (let j = 0; j < D; j++) out[dst + meanAt + j] /= cnt;
      });
    }
    opts.onProgress?.(i, order.length);
  }
  return outs;
}
