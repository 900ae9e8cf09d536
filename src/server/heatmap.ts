/** Per-token surprisal buckets of a document for `plausibility/heatmap` (the shared bucketing in src/core/scoring). */
export { HEATMAP_LABELS, heatmapTokens } from '../core/scoring/heatmap';
