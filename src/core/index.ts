/**
 * Public API of the Plausibility engine (no VS Code dependency).
 *
 * ```ts
 * const engine = await Engine.load('models/default');
 * const score = await engine.scoreText('The cat sat on the mat.');
 * const spans = findSpans(score, engine.stats);
 * ```
 */
export {
  Engine,
  countWords,
  type EngineOptions,
  type EngineInfo,
  type KvCache,
  type ForwardOptions,
  type ForwardResult,
  type TokenAlternative,
  type TokenScore,
  type TextScore,
  type ScoreOptions,
  type ScoringRow,
  type ConditionalScore,
} from './engine';
export { TextTokenizer, type Tokenized } from './tokenizer';
export {
  parseModelConfig,
  readSurprisalStats,
  checkModelDir,
  onnxPath,
  ONNX_VARIANTS,
  type ModelConfig,
  type SurprisalStats,
  type Percentiles,
} from './config';
export { positionStats, targetLogprob, logSumExp, topK, type Alternative, type PositionStats } from './math';
export {
  findSpans,
  lintText,
  calibrate,
  percentileOf,
  zForPercentile,
  type Span,
  type SpanOptions,
  type Calibration,
} from './spans';
export {
  skipRegions,
  proseView,
  mergeRanges,
  overlapsAny,
  type ProseView,
  type Range,
  type SkipRange,
  type SkipKind,
} from './markdown';
export { LineIndex, decodeText, chunkText, readFileChecked, type DecodedText } from './text';
export { bytesToUnicode, unicodeToBytes, byteToUtf16Map, looksBinary, findInvalidUtf8, utf8Bytes } from './bytes';
export { PlausibilityError, ModelLoadError, FeatureUnavailableError, InputError } from './errors';
export { defaultModelDir } from './paths';
export * from './generate';
export * from './poe';
export * from './conditional';
export * from './rewrite';
export * from './frontmatter';
export {
  downloadModel,
  fileMetadata,
  onnxFileForDtype,
  modelFolderName,
  checkRepoId,
  resolveUrl,
  DownloadError,
  DTYPE_SUFFIX,
  HUB_ENDPOINT,
  MANIFEST as DOWNLOAD_MANIFEST,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type HubFileMeta,
} from './download';
export { preflightModelDir, validateModelDir, checkProbeScores, PROBE_TEXT, type ModelSummary } from './modelCheck';
