/**
 * PPLM-style hidden-state perturbation, as plain math over the tied LM head E: the steering loss (the head's
 * cross-entropy toward a class plus a KL term to the unsteered distribution), its gradient, and the few gradient steps
 * that move the last hidden state (see ./steering.ts for how generation uses it).
 */
import { softmax } from '../heads/discriminator';

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

export function matVec(E: Float32Array, V: number, D: number, x: ArrayLike<number>, out: Float64Array): Float64Array {
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

