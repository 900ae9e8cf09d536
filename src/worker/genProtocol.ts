/**
 * Worker methods for generation, rewrites, ranked alternatives, inline completions and tag-conditioned scoring
 * (types only; merged into {@link ./protocol}'s Methods).
 */

export interface RewriteParams {
  /** The whole document (the span's left context, sentence and right context come from it). */
  text: string;
  start: number;
  end: number;
  count?: number;
  samples?: number;
  seed?: number;
  /** Declared tags/synopsis: adds the tag-conditioned expert. */
  tags?: string[];
  synopsis?: string;
  /** Classifier-free-guidance weight of the tag expert (0 = unconditioned). */
  cfgWeight?: number;
  markdown?: boolean;
}

export interface RewriteCandidateInfo {
  text: string;
  nll: number;
  gain: number;
  sentence: string;
}

export interface RewriteInfo {
  original: string;
  originalNll: number;
  sentence: { start: number; end: number; text: string };
  candidates: RewriteCandidateInfo[];
  considered: number;
  ms: number;
}

export interface RankOptionsParams {
  left: string;
  right: string;
  options: string[];
}

export interface RankedOptionInfo {
  text: string;
  nll: number;
  tokens: number;
  nllPerToken: number;
}

export interface CompleteParams {
  /** Text before the cursor. */
  prefix: string;
  count?: number;
  maxTokens?: number;
  seed?: number;
}

export interface CompletionInfo {
  text: string;
  nll: number;
  nllPerToken: number;
  tokens: number;
}

export interface TagScoreParams {
  text: string;
  tags: string[];
  synopsis?: string;
  /** Off-tag selection: fraction of sentences and PMI-per-token ceiling. */
  fraction?: number;
  maxPmiPerToken?: number;
}

export interface SentencePmiInfo {
  start: number;
  end: number;
  tokens: number;
  pmi: number;
  pmiPerToken: number;
  offTag: boolean;
}

export interface TagScoreInfo {
  header: string;
  pmi: number;
  condNll: number;
  nll: number;
  sentences: SentencePmiInfo[];
  /** Declared tags the model never saw in training. */
  unknownTags: string[];
}

export interface InferTagsParams {
  text: string;
  candidates?: string[];
  maxTokens?: number;
}

export interface InferredTag {
  tag: string;
  logprob: number;
  pmi: number;
  posterior: number;
}

export interface GenMethods {
  rewrite: { params: RewriteParams; result: RewriteInfo };
  rankOptions: { params: RankOptionsParams; result: RankedOptionInfo[] };
  complete: { params: CompleteParams; result: CompletionInfo[] };
  tagScore: { params: TagScoreParams; result: TagScoreInfo };
  inferTags: { params: InferTagsParams; result: { ranking: InferredTag[]; tokens: number } };
}

export const GEN_METHODS: readonly (keyof GenMethods)[] = ['rewrite', 'rankOptions', 'complete', 'tagScore', 'inferTags'];
