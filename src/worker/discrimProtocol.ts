/**
 * Worker methods for discriminator heads (types only; merged into {@link ./protocol}'s Methods): per-sentence class
 * probabilities (toxicity diagnostics), rewrites of a sentence away from the unwanted class, and head training with
 * progress events.
 */

export interface DiscrimScoreParams {
  /** A head file/folder path, or the name of a head shipped with the model (`toxicity`). */
  head: string;
  texts: string[];
}

export interface DiscrimScoreResult {
  classes: string[];
  /** The class the head marks as unwanted (e.g. `toxic`), if any. */
  unwanted?: string;
  /** probs[text][class]. */
  probs: number[][];
  headName: string;
  /** The head's decision threshold on p(unwanted): its calibrated one, else 0.5. */
  threshold: number;
}

export interface DiscrimRewriteParams {
  head: string;
  /** The whole document; [start, end) is the sentence. */
  text: string;
  start: number;
  end: number;
  /** Class to move toward (default: the head's other class than the unwanted one). */
  toward?: string;
  count?: number;
  seed?: number;
}

export interface DiscrimRewriteCandidate {
  text: string;
  pToward: number;
  nll: number;
  nllPerToken: number;
  method: 'pplm' | 'rerank';
}

export interface DiscrimRewriteResult {
  original: string;
  originalPToward: number;
  originalNll: number;
  toward: string;
  keptPrefix: string;
  candidates: DiscrimRewriteCandidate[];
  ms: number;
}

export interface DiscrimTrainParams {
  data: string;
  textCol: string;
  labelCol: string;
  /** Output head file (written only when training succeeds). */
  out: string;
  /** e.g. `0=toxic,1=toxic,2=non-toxic`. */
  labelMap?: string;
  unwanted?: string;
  name?: string;
  maxTokens?: number;
  maxTrainRows?: number;
  seed?: number;
}

export interface DiscrimTrainResult {
  out: string;
  classes: string[];
  rows: { train: number; tune: number; test: number };
  /** Held-out test split. */
  accuracy: number;
  macroF1: number;
  auroc: number;
  majorityMacroF1: number;
  warnings: string[];
  seconds: number;
}

export interface DiscrimMethods {
  discrimScore: { params: DiscrimScoreParams; result: DiscrimScoreResult };
  discrimRewrite: { params: DiscrimRewriteParams; result: DiscrimRewriteResult };
  discrimTrain: { params: DiscrimTrainParams; result: DiscrimTrainResult };
}

export const DISCRIM_METHODS: readonly (keyof DiscrimMethods)[] = ['discrimScore', 'discrimRewrite', 'discrimTrain'];
