/** The engine's scoring vocabulary: per-token and per-text scores, scoring options and forward-pass rows. */
import type { Alternative } from './math';

/** A top-k alternative with its token text. */
export interface TokenAlternative extends Alternative {
  token: string;
}

/** Score of one token of a text. */
export interface TokenScore {
  id: number;
  /** The input slice [start, end) this token covers (may be empty for a token inside a multi-byte character). */
  text: string;
  start: number;
  end: number;
  /** log P(token | left context) in nats. */
  logprob: number;
  /** Negative log-likelihood in nats (-logprob). */
  nll: number;
  /** Surprisal in bits (nll / ln 2). */
  bits: number;
  prob: number;
  /** 1-based rank of the token under the model (NaN when details were not requested). */
  rank: number;
  /** Entropy of the predictive distribution in nats (NaN when details were not requested). */
  entropy: number;
  /** The top-k alternatives. */
  top: TokenAlternative[];
  /** 1-based index of the token after BOS in the document. */
  position: number;
  /** Tokens of left context the model saw, BOS included (position, capped by the window). */
  context: number;
}

/** Score of a whole text. */
export interface TextScore {
  text: string;
  tokens: TokenScore[];
  /** Sum of token NLLs in nats. */
  nll: number;
  tokenCount: number;
  /** Token perplexity exp(nll / tokens). */
  perplexity: number;
  /** UTF-8 bytes of the text. */
  bytes: number;
  /** Whitespace-separated words (lm-evaluation-harness style). */
  words: number;
  /** Bits per UTF-8 byte: nll / ln 2 / bytes. */
  bitsPerByte: number;
  /** Word perplexity exp(nll / words). */
  wordPerplexity: number;
  /** Offsets are exact (byte-level tokenizer). */
  exactOffsets: boolean;
}

/** Options for scoring. */
export interface ScoreOptions {
  /** Top-k alternatives per token (default 5; 0 for none). */
  topK?: number;
  /** Compute rank and entropy (default true). */
  details?: boolean;
  /** Window length in tokens, BOS included (default min(maxPositions, 1024)). */
  window?: number;
  /** New tokens scored per window after the first (default window / 2: the rest is overlap/context). */
  stride?: number;
}

/** A row of a scoring plan: one forward-pass input and which of its positions are scored. */
export interface ScoringRow {
  /** Which input sequence this row belongs to. */
  seq: number;
  /** Input ids (starts with BOS). */
  ids: number[];
  /** Row index of the first scored target (>= 1). Targets are ids[first..]. */
  first: number;
  /** Index in the sequence (BOS = 0) of ids[first]. */
  seqOffset: number;
}

/** Conditional NLL of a continuation given a context. */
export interface ConditionalScore {
  context: string;
  continuation: string;
  /** NLL of the continuation tokens given BOS + context, in nats. */
  nll: number;
  /** Continuation token count. */
  tokens: number;
  /** nll / tokens (0 when the continuation is empty). */
  nllPerToken: number;
  /** Context token count (without BOS). */
  contextTokens: number;
  /** Per-token log-probabilities of the continuation tokens. */
  logprobs: number[];
}
