/**
 * The server's own messages and commands, namespaced `plausibility/...` and `plausibility.*` so that any client
 * (vscode-languageclient, Neovim, Helix, eglot) can use them and ignore what it does not know. No imports: a client
 * can import this file as it is.
 */

/**
 * Environment for a server process an editor starts: glibc's malloc keeps one arena per thread by default, and the
 * engine's varied allocations would then hold far more memory than they use (MALLOC_ARENA_MAX); onnxruntime's
 * telemetry scan is off (see src/cli/main.ts).
 */
export const SERVER_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', ORT_DISABLE_TELEMETRY: '1' };

/** Diagnostics' `source`. */
export const SOURCE = 'plausibility';

/** The rule of toxicity findings (a client offers its "rewrite away from toxicity" on them). */
export const TOXICITY_RULE = 'plausibility/toxicity';

export const COMMANDS = {
  /** Rank candidate continuations of a context: `{context, candidates, perToken?}` -> RankRow[] (best first). */
  rank: 'plausibility.rank',
  /** Ignore one finding's span in a document (server memory): `[uri, start, end]` (UTF-16 offsets) -> the span's key. */
  ignoreSpan: 'plausibility.ignoreSpan',
  /** Forget the ignored spans of a document: `[uri]`. */
  clearIgnoredSpans: 'plausibility.clearIgnoredSpans',
  /** Append a phrase to the workspace folder's allow-list file: `[uri, phrase]`. */
  addToAllowList: 'plausibility.addToAllowList',
  /** Rescore a document now (checkFrequency `manual`): `[uri]`. */
  rescore: 'plausibility.rescore',
  /**
   * Rewrites of a span that keep its content, are never toxic and read at least as well (the editor's offer):
   * `{uri, start, end, kind?: 'model' | 'toxicity'}` (or `{uri, offset, kind}`: the sentence at offset) ->
   * {original, candidates: [{start, end, text, ...}], reason?}. A model rewrite is tag-guided when the document
   * declares tags (front matter or the `tags` setting).
   */
  rewrite: 'plausibility.rewrite',
  /**
   * Rank the options of a selection written `{option one|option two}` (or one per line) in the text around it:
   * `{uri, start, end}` -> [{text, nll, tokens, nllPerToken}] best first.
   */
  rankOptions: 'plausibility.rankOptions',
  /** Ranked continuations at the end of a line's text (inline completions): `{uri, offset}` -> [{text, nllPerToken}]. */
  complete: 'plausibility.complete',
  /** The token report of an open document: `{uri}` -> ReportData (src/core/scoring/tokenDetail), or null before a pass. */
  report: 'plausibility.report',
  /**
   * Train a discriminator head from a labelled CSV/JSONL file, with $/progress:
   * `{data, textCol, labelCol, out, labelMap?}` -> {out, classes, rows, accuracy, macroF1, auroc, majorityMacroF1, warnings}.
   */
  trainHead: 'plausibility.trainHead',
  /**
   * Load a model folder in a short-lived process apart from the one in use and score a probe sentence:
   * `{dir, variant?}` -> {problem?: string}.
   */
  validateModel: 'plausibility.validateModel',
  /** Restore a document's ignored spans (keys from earlier `ignoreSpan` answers): `[uri, keys[]]`. */
  restoreIgnoredSpans: 'plausibility.restoreIgnoredSpans',
} as const;

/** One ranked continuation, as `plausibility rank --format json` prints it. */
export interface RankRow {
  text: string;
  /** Total NLL of the continuation in nats. */
  nll: number;
  tokens: number;
  nll_per_token: number | null;
}

export interface RankParams {
  context: string;
  candidates: string[];
  /** Rank by NLL per token instead of total NLL. */
  perToken?: boolean;
}

/** Server -> client: per-token surprisal buckets of a document, sent after each pass while `heatmap` is on. */
export const HEATMAP_NOTIFICATION = 'plausibility/heatmap';

export interface HeatmapParams {
  uri: string;
  /** The document version the buckets belong to. */
  version: number;
  mode: 'rank' | 'percentile';
  /** Names of buckets 0..3, most likely first. */
  labels: string[];
  /** Flat triples [start, end, bucket, ...]: UTF-16 offsets of each token (leading whitespace trimmed). */
  tokens: number[];
}

/** Server -> client: a document was not checked, and why (binary, too long); `reason` undefined when it is again. */
export const STATUS_NOTIFICATION = 'plausibility/status';

export interface StatusParams {
  uri: string;
  /** 'ok', 'skipped', 'no-model'. */
  state: 'ok' | 'skipped' | 'no-model';
  reason?: string;
  /** Document perplexity of the last pass, over `tokens` tokens. */
  perplexity?: number;
  tokens?: number;
}

/** Server -> client: the model's state (loading, ready with what, or why it failed). */
export const MODEL_NOTIFICATION = 'plausibility/model';

export interface ModelParams {
  state: 'loading' | 'ready' | 'error';
  /** The model folder. */
  dir: string;
  name?: string;
  /** The execution provider in use (cpu, cuda, ...). */
  provider?: string;
  /** Providers asked for (or tried by `auto`) that could not be used, and why. */
  skippedProviders?: { name: string; reason: string }[];
  message?: string;
}

/** Client -> server request: what the server's caches hold and its memory (benchmarks and diagnostics). */
export const STATS_REQUEST = 'plausibility/stats';

export interface CacheStats {
  /** Documents with state in the server. */
  documents: number;
  /** Block scores kept across all documents (current blocks and spares). */
  cachedBlocks: number;
  /** Check results kept across all documents. */
  cachedChecks: number;
  /** Bytes of KV tensors in the shared prefix cache. */
  prefixBytes: number;
}

export interface StatsResult extends CacheStats {
  rssMb: number;
  heapUsedMb: number;
}
