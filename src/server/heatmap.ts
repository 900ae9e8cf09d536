/**
 * Per-token surprisal buckets of a document for `plausibility/heatmap`: by rank (top 10, 100, 1000, beyond, as in
 * GLTR) or by percentile of the model's calibrated surprisal (the document's own distribution without stats).
 */
import type { SurprisalStats } from '../core/config';
import type { ScoredBlock } from '../core/lint/linter';
import { percentileOf } from '../core/spans';
import type { HeatmapMode } from './settings';

export const HEATMAP_LABELS: Record<HeatmapMode, string[]> = {
  rank: ['rank ≤ 10', 'rank ≤ 100', 'rank ≤ 1000', 'rank > 1000'],
  percentile: ['below p75', 'p75–p95', 'p95–p99', 'above p99'],
};

function percentileCuts(blocks: ScoredBlock[], stats: SurprisalStats | undefined): number[] {
  if (stats) {
    const cuts = ['75', '95', '99'].map((k) => percentileOf(stats.percentiles, k));
    if (cuts.every((c): c is number => typeof c === 'number')) return cuts;
  }
  const all: number[] = [];
  for (const b of blocks) for (const x of b.score.bits) all.push(x);
  all.sort((a, b) => a - b);
  if (all.length === 0) return [Infinity, Infinity, Infinity];
  return [0.75, 0.95, 0.99].map((q) => all[Math.min(all.length - 1, Math.floor(q * all.length))]);
}

/** Flat [start, end, bucket] triples in document offsets; whitespace-only tokens are left out. */
export function heatmapTokens(text: string, blocks: ScoredBlock[], mode: HeatmapMode, stats: SurprisalStats | undefined): number[] {
  const cuts = mode === 'percentile' ? percentileCuts(blocks, stats) : [];
  const out: number[] = [];
  for (const { block, score } of blocks) {
    for (let i = 0; i < score.starts.length; i++) {
      let start = block.start + score.starts[i];
      const end = block.start + score.ends[i];
      while (start < end && /\s/.test(text[start])) start++;
      if (start >= end) continue;
      let bucket: number;
      if (mode === 'rank') {
        const r = score.ranks[i];
        bucket = r <= 10 ? 0 : r <= 100 ? 1 : r <= 1000 ? 2 : 3;
      } else {
        const b = score.bits[i];
        bucket = b <= cuts[0] ? 0 : b <= cuts[1] ? 1 : b <= cuts[2] ? 2 : 3;
      }
      out.push(start, end, bucket);
    }
  }
  return out;
}
