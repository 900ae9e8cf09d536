/**
 * Text features for discriminator heads: the final hidden states (`last_hidden_state`) of a text's tokens, BOS
 * excluded, pooled into one vector per text. `mean` (the seed's ClassifierHead input) averages them; `max` takes the
 * element-wise maximum; `mean+max` concatenates both (2 x hidden size).
 */
import type { Engine } from '../engine';
import { FeatureUnavailableError } from '../errors';

export type Pooling = 'mean' | 'max' | 'mean+max';
export const POOLINGS: readonly Pooling[] = ['mean', 'max', 'mean+max'];

/** Feature size of a pooling over hidden states of size `hidden`. */
export function featureSize(pooling: Pooling, hidden: number): number {
  return pooling === 'mean+max' ? 2 * hidden : hidden;
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
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; throwing from it cancels. */
  checkCancelled?: () => void;
}

/**
 * Pooled final hidden states of each text (an empty text gets BOS's state), as a flat [texts, featureSize] matrix.
 * Each text is embedded once, truncated to `maxTokens`, in right-padded batches sorted by length (causal attention:
 * padding never changes the real positions).
 */
export async function embedTexts(engine: Engine, texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
  requireHidden(engine);
  const maxTokens = Math.max(1, Math.min(opts.maxTokens ?? 64, engine.config.maxPositions - 1));
  const budget = Math.max(maxTokens + 1, opts.batchTokens ?? 2048);
  const seqs = texts.map((t) => engine.encode(t).slice(0, maxTokens));
  return embedIds(engine, seqs, { ...opts, batchTokens: budget });
}

/** {@link embedTexts} for already-tokenised texts (ids without BOS). */
export async function embedIds(engine: Engine, seqs: number[][], opts: EmbedOptions = {}): Promise<Float32Array> {
  requireHidden(engine);
  const D = engine.config.hiddenSize;
  const pooling = opts.pooling ?? 'mean';
  const F = featureSize(pooling, D);
  const meanAt = pooling === 'max' ? -1 : 0;
  const maxAt = pooling === 'mean' ? -1 : pooling === 'max' ? 0 : D;
  const budget = opts.batchTokens ?? 2048;
  const out = new Float32Array(seqs.length * F);
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
    const res = await engine.forward(ids, { hidden: true, logits: false, attentionMask, positionIds });
    const h = res.hidden!;
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
    opts.onProgress?.(i, order.length);
  }
  return out;
}
