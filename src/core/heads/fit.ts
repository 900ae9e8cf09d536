/**
 * Fitting discriminator heads: softmax regression on standardised features with Adam (class-weighted, optionally
 * per-row weighted cross-entropy), the L2 penalty picked on a tune split, and Platt scaling of a binary head's
 * logit margin for calibrated probabilities.
 */
import { InputError } from '../errors';
import { classificationMetrics } from './metrics';
import { mulberry32 } from '../scoring/math';

export function softmax(z: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i] > m) m = z[i];
  const p = new Float64Array(z.length);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += p[i] = Math.exp(z[i] - m);
  for (let i = 0; i < z.length; i++) p[i] /= s;
  return p;
}


export interface TrainOptions {
  seed?: number;
  /** L2 penalties tried (picked by tune macro-F1). Default [1e-4, 1e-3, 1e-2]. */
  l2?: number[];
  epochs?: number;
  /** Learning rate of Adam on standardised features (default 0.01). */
  lr?: number;
  batchSize?: number;
  /** Weight classes by inverse frequency (default true; helps macro-F1 on imbalanced data). */
  balanced?: boolean;
  /** Binary heads: move the decision threshold to the one maximising tune macro-F1 (folded into the bias). */
  tuneThreshold?: boolean;
  /** Per-row weights of the training rows (multiplied with the class weights), e.g. to balance sources. */
  sampleWeights?: ArrayLike<number>;
  /** Scores a candidate on the tune split (higher is better) instead of tune macro-F1; no threshold search then. */
  select?: (probs: Float64Array[]) => number;
  log?: (message: string) => void;
}

export interface TrainResult {
  weights: Float32Array;
  bias: Float32Array;
  chosen: { l2: number; threshold?: number; tune_macro_f1: number; epochs: number };
}

/**
 * Fits a softmax-regression head on features X [n, D] (train split) with labels y, picking the L2 penalty (and, for
 * two classes, the decision threshold) on the tune split. Features are standardised during training and the scaling
 * is folded back into the weights, so the result applies to raw mean hidden states.
 */
export function trainHead(
  X: Float32Array,
  y: number[],
  Xtune: Float32Array,
  ytune: number[],
  D: number,
  C: number,
  opts: TrainOptions = {},
): TrainResult {
  const n = y.length;
  if (n === 0) throw new InputError('no training rows', 'EMPTY_INPUT');
  const mu = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mu[j] += X[i * D + j];
  for (let j = 0; j < D; j++) mu[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sd[j] += (X[i * D + j] - mu[j]) ** 2;
  for (let j = 0; j < D; j++) sd[j] = Math.sqrt(sd[j] / n) || 1;
  const Z = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) Z[i * D + j] = (X[i * D + j] - mu[j]) / sd[j];
  const sw = opts.sampleWeights;
  if (sw && sw.length !== n) throw new InputError('sampleWeights must have one weight per training row', 'USAGE');
  const counts = new Array<number>(C).fill(0);
  for (let i = 0; i < n; i++) counts[y[i]] += sw ? sw[i] : 1;
  const balanced = opts.balanced !== false;
  const total = counts.reduce((a, b) => a + b, 0);
  const cw = counts.map((k) => (balanced ? (k ? total / (C * k) : 0) : 1));
  const epochs = opts.epochs ?? 40;
  const bs = opts.batchSize ?? 256;
  const lr = opts.lr ?? 0.01;
  const seed = opts.seed ?? 0;

  const fit = (l2: number): { W: Float64Array; b: Float64Array } => {
    const r = mulberry32(seed);
    const W = new Float64Array(C * D);
    const b = new Float64Array(C);
    const mW = new Float64Array(C * D);
    const vW = new Float64Array(C * D);
    const mb = new Float64Array(C);
    const vb = new Float64Array(C);
    const gW = new Float64Array(C * D);
    const gb = new Float64Array(C);
    const order = Array.from({ length: n }, (_, i) => i);
    const z = new Float64Array(C);
    let t = 0;
    const b1 = 0.9;
    const b2 = 0.999;
    // The step size falls linearly to 5% over the run, so the weights settle at the penalised optimum instead of
    // wandering with the mini-batch noise (which costs most on wide features, e.g. many layers).
    const steps = epochs * Math.ceil(n / bs);
    for (let ep = 0; ep < epochs; ep++) {
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(r() * (i + 1));
        [order[i], order[k]] = [order[k], order[i]];
      }
      for (let s = 0; s < n; s += bs) {
        const batch = order.slice(s, s + bs);
        gW.fill(0);
        gb.fill(0);
        let wsum = 0;
        for (const i of batch) {
          const off = i * D;
          let m = -Infinity;
          for (let c = 0; c < C; c++) {
            let v = b[c];
            for (let j = 0; j < D; j++) v += W[c * D + j] * Z[off + j];
            z[c] = v;
            if (v > m) m = v;
          }
          let sum = 0;
          for (let c = 0; c < C; c++) sum += z[c] = Math.exp(z[c] - m);
          const w = cw[y[i]] * (sw ? sw[i] : 1);
          wsum += w;
          for (let c = 0; c < C; c++) {
            const g = w * (z[c] / sum - (c === y[i] ? 1 : 0));
            gb[c] += g;
            for (let j = 0; j < D; j++) gW[c * D + j] += g * Z[off + j];
          }
        }
        t++;
        const lrT = lr * (1 - 0.95 * Math.min(1, (t - 1) / Math.max(1, steps - 1)));
        const inv = 1 / Math.max(wsum, 1e-12);
        const c1 = 1 - b1 ** t;
        const c2 = 1 - b2 ** t;
        for (let k = 0; k < C * D; k++) {
          const g = gW[k] * inv + l2 * W[k];
          mW[k] = b1 * mW[k] + (1 - b1) * g;
          vW[k] = b2 * vW[k] + (1 - b2) * g * g;
          W[k] -= (lrT * (mW[k] / c1)) / (Math.sqrt(vW[k] / c2) + 1e-8);
        }
        for (let c = 0; c < C; c++) {
          const g = gb[c] * inv;
          mb[c] = b1 * mb[c] + (1 - b1) * g;
          vb[c] = b2 * vb[c] + (1 - b2) * g * g;
          b[c] -= (lrT * (mb[c] / c1)) / (Math.sqrt(vb[c] / c2) + 1e-8);
        }
      }
    }
    // Fold the standardisation: W' = W / sd, b' = b - W'·mu.
    const Wr = new Float64Array(C * D);
    const br = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      br[c] = b[c];
      for (let j = 0; j < D; j++) {
        Wr[c * D + j] = W[c * D + j] / sd[j];
        br[c] -= Wr[c * D + j] * mu[j];
      }
    }
    return { W: Wr, b: br };
  };

  const evalTune = (W: Float64Array, b: Float64Array) => {
    const probs: Float64Array[] = [];
    const nt = ytune.length;
    for (let i = 0; i < nt; i++) {
      const z = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let v = b[c];
        for (let j = 0; j < D; j++) v += W[c * D + j] * Xtune[i * D + j];
        z[c] = v;
      }
      probs.push(softmax(z));
    }
    return probs;
  };
  const names = Array.from({ length: C }, (_, c) => String(c));
  const grid = opts.l2 ?? [1e-4, 1e-3, 1e-2];
  let best: { W: Float64Array; b: Float64Array; l2: number; f1: number; threshold?: number } | undefined;
  for (const l2 of grid) {
    const { W, b } = fit(l2);
    let f1: number;
    let threshold: number | undefined;
    if (ytune.length === 0) f1 = NaN;
    else if (opts.select) f1 = opts.select(evalTune(W, b));
    else {
      const probs = evalTune(W, b);
      f1 = classificationMetrics(probs, ytune, names).macro_f1;
      if (C === 2 && opts.tuneThreshold !== false) {
        // Search the decision threshold on p(class 1) that maximises tune macro-F1.
        const cands = Array.from({ length: 49 }, (_, k) => 0.02 * (k + 1));
        let bestT = 0.5;
        let bestF = f1;
        for (const th of cands) {
          const shifted = probs.map((p) => Float64Array.of(p[0], p[1] >= th ? 2 : 0));
          const f = classificationMetrics(shifted, ytune, names).macro_f1;
          if (f > bestF + 1e-12) {
            bestF = f;
            bestT = th;
          }
        }
        threshold = bestT;
        f1 = bestF;
      }
    }
    opts.log?.(`l2=${l2}: tune ${opts.select ? 'score' : 'macro-F1'} ${Number.isNaN(f1) ? 'n/a' : f1.toFixed(4)}${threshold !== undefined ? ` (threshold ${threshold.toFixed(2)})` : ''}`);
    if (!best || f1 > best.f1 || Number.isNaN(best.f1)) best = { W, b, l2, f1, threshold };
  }
  const { W, b, l2, f1, threshold } = best!;
  if (threshold !== undefined && threshold !== 0.5) {
    // p1 >= t  <=>  z1 - z0 >= logit(t): subtract logit(t) from the class-1 bias.
    b[1] -= Math.log(threshold / (1 - threshold));
  }
  return {
    weights: Float32Array.from(W),
    bias: Float32Array.from(b),
    chosen: { l2, threshold, tune_macro_f1: f1, epochs },
  };
}

/**
 * Platt scaling: a and b minimising the (weighted) log loss of sigmoid(a * s + b) against labels y (1 positive), by
 * Newton's method on the two parameters, with Platt's smoothed targets so that separable data stays finite.
 */
export function fitPlatt(s: ArrayLike<number>, y: ArrayLike<number>, w?: ArrayLike<number>): { a: number; b: number } {
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < y.length; i++) (y[i] ? (nPos += w ? w[i] : 1) : (nNeg += w ? w[i] : 1));
  const tPos = (nPos + 1) / (nPos + 2);
  const tNeg = 1 / (nNeg + 2);
  const loss = (a: number, b: number) => {
    let l = 0;
    for (let i = 0; i < s.length; i++) {
      const z = a * s[i] + b;
      const t = y[i] ? tPos : tNeg;
      // Cross-entropy against the smoothed targets, stable for large |z|: log(1 + e^z) - t z.
      l += (w ? w[i] : 1) * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - t * z);
    }
    return l;
  };
  // Start at unit spread: a margin scale far from 1 saturates every p, and a plain Newton step then diverges.
  let mean = 0;
  for (let i = 0; i < s.length; i++) mean += s[i] / s.length;
  let sd = 0;
  for (let i = 0; i < s.length; i++) sd += (s[i] - mean) ** 2 / s.length;
  let a = 1 / (Math.sqrt(sd) || 1);
  let b = -a * mean;
  let cur = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = 1e-9;
    let h01 = 0;
    let h11 = 1e-9;
    for (let i = 0; i < s.length; i++) {
      const wi = w ? w[i] : 1;
      const p = 1 / (1 + Math.exp(-(a * s[i] + b)));
      const d = wi * (p - (y[i] ? tPos : tNeg));
      const v = wi * p * (1 - p);
      g0 += d * s[i];
      g1 += d;
      h00 += v * s[i] * s[i];
      h01 += v * s[i];
      h11 += v;
    }
    const det = h00 * h11 - h01 * h01;
    if (!(Math.abs(det) > 0)) break;
    const da = (h11 * g0 - h01 * g1) / det;
    const db = (h00 * g1 - h01 * g0) / det;
    // Damped Newton: halve the step until the loss goes down.
    let step = 1;
    let next = loss(a - da, b - db);
    while (!(next <= cur) && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (!(next <= cur)) break;
    a -= step * da;
    b -= step * db;
    const moved = step * (Math.abs(da) + Math.abs(db));
    cur = next;
    if (moved < 1e-10) break;
  }
  return { a, b };
}
