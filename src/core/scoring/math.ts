/**
 * Per-position statistics over a logits row: log-probability of a target, rank, entropy and top-k alternatives.
 * Rows are read in place from the flat [b, s, V] logits buffer (no copies).
 */

/** A top-k alternative: token id and probability. */
export interface Alternative {
  id: number;
  prob: number;
}

/** Statistics for one predicted position. */
export interface PositionStats {
  /** log P(target) in nats (<= 0). */
  logprob: number;
  /** 1-based rank of the target among all vocabulary entries (1 = most likely). */
  rank: number;
  /** Entropy of the predictive distribution in nats. */
  entropy: number;
  /** The k most likely tokens, most likely first. */
  top: Alternative[];
}

const POW2 = new Float64Array(200);
for (let k = 0; k < 200; k++) POW2[k] = Math.pow(2, k - 199);
const LOG2E = Math.LOG2E;
const LN2 = Math.LN2;

/**
 * exp(y) for y <= 0, about 2-3x faster than Math.exp in this loop (relative error < 1e-9): 2^k from a table times a
 * degree-10 Taylor polynomial of 2^f on [0, 1). Values below 2^-198 count as 0.
 */
export function expNonPositive(y: number): number {
  const t = y * LOG2E;
  if (t < -198) return 0;
  const k = Math.floor(t);
  const f = (t - k) * LN2;
  // Horner form of sum_{n=0..10} f^n / n!, constants inlined (a loop over a table is much slower).
  let p = 2.755731922398589e-7;
  p = p * f + 2.7557319223985893e-6;
  p = p * f + 2.48015873015873e-5;
  p = p * f + 1.984126984126984e-4;
  p = p * f + 1.388888888888889e-3;
  p = p * f + 8.333333333333333e-3;
  p = p * f + 4.1666666666666664e-2;
  p = p * f + 0.16666666666666666;
  p = p * f + 0.5;
  p = p * f + 1;
  p = p * f + 1;
  return p * POW2[k + 199];
}

/** log-sum-exp of logits[off .. off+V). */
export function logSumExp(logits: Float32Array, off: number, V: number): number {
  let max = -Infinity;
  for (let j = 0; j < V; j++) {
    const x = logits[off + j];
    if (x > max) max = x;
  }
  let sum = 0;
  for (let j = 0; j < V; j++) sum += expNonPositive(logits[off + j] - max);
  return max + Math.log(sum);
}

/** log P(target) in nats from one logits row. */
export function targetLogprob(logits: Float32Array, off: number, V: number, target: number): number {
  return logits[off + target] - logSumExp(logits, off, V);
}

/** Full statistics for one logits row: logprob of `target`, its rank, the entropy and the top `k` alternatives. */
export function positionStats(logits: Float32Array, off: number, V: number, target: number, k: number): PositionStats {
  let max = -Infinity;
  for (let j = 0; j < V; j++) {
    const x = logits[off + j];
    if (x > max) max = x;
  }
  const t = logits[off + target];
  let sum = 0;
  let sumPx = 0;
  let greater = 0;
  for (let j = 0; j < V; j++) {
    const x = logits[off + j];
    const e = expNonPositive(x - max);
    sum += e;
    sumPx += e * x;
    if (x > t) greater++;
  }
  const lse = max + Math.log(sum);
  // H = lse - E[x]
  const entropy = Math.max(0, lse - sumPx / sum);
  const top: Alternative[] = [];
  if (k > 0) {
    const ids = topK(logits, off, V, k);
    for (const id of ids) top.push({ id, prob: Math.exp(logits[off + id] - lse) });
  }
  return { logprob: t - lse, rank: greater + 1, entropy, top };
}

/** Indices of the k largest finite entries of logits[off .. off+V), largest first (ties: lower index first). */
export function topK(logits: ArrayLike<number>, off: number, V: number, k: number): number[] {
  k = Math.min(k, V);
  if (k <= 0) return [];
  // Small sorted buffer (k is small, typically 5).
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < V; j++) {
    const x = logits[off + j];
    // -Infinity marks an excluded token (masked, or outside top-k/top-p): never a candidate.
    if (x === -Infinity || (idx.length === k && x <= val[k - 1])) continue;
    let p = idx.length < k ? idx.length : k - 1;
    if (idx.length < k) {
      idx.push(j);
      val.push(x);
    }
    while (p > 0 && val[p - 1] < x) {
      idx[p] = idx[p - 1];
      val[p] = val[p - 1];
      p--;
    }
    idx[p] = j;
    val[p] = x;
  }
  return idx;
}

/** Seeded PRNG (mulberry32): uniform floats in [0, 1), reproducible from the seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
