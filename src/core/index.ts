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
export { TextTokenizer, type Tokenized } from './model/tokenizer';
export {
  parseModelConfig,
  readSurprisalStats,
  checkModelDir,
  onnxPath,
  ONNX_VARIANTS,
  type ModelConfig,
  type SurprisalStats,
  type Percentiles,
} from './model/config';
export { positionStats, targetLogprob, logSumExp, topK, type Alternative, type PositionStats } from './scoring/math';
export {
  findSpans,
  lintText,
  calibrate,
  percentileOf,
  zForPercentile,
  type Span,
  type SpanOptions,
  type Calibration,
} from './scoring/spans';
export {
  skipRegions,
  proseView,
  mergeRanges,
  overlapsAny,
  type ProseView,
  type Range,
  type SkipRange,
  type SkipKind,
} from './text/markdown';
export { LineIndex, decodeText, chunkText, readFileChecked, type DecodedText } from './text/document';
export { bytesToUnicode, unicodeToBytes, byteToUtf16Map, looksBinary, findInvalidUtf8, utf8Bytes } from './text/bytes';
export { PlausibilityError, ModelLoadError, FeatureUnavailableError, InputError } from './errors';
export { defaultModelDir } from './model/paths';
export * from './generation/generate';
export * from './generation/poe';
export * from './scoring/conditional';
export * from './generation/rewrite';
export * from './text/frontmatter';
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
} from './model/download';
export { preflightModelDir, checkProbeScores, PROBE_TEXT, type ModelSummary } from './model/modelCheck';
export { validateModelDir } from './model/validateModel';
