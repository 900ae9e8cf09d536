/**
 * GLTR-style heatmap buckets, shared by the editor and the language server. Only tokens above the model's 95th
 * percentile of surprisal are coloured (the rest is ordinary text); they are bucketed by rank (top 10, 100, 1000,
 * beyond) or by percentile (p95-p99, above p99). Without the model's stats, the document's own distribution is used.
 */
import type { SurprisalStats } from '../model/config';
import { percentileOf } from './spans';
import type { BlockScore } from './blockScore';

export type HeatmapMode = 'rank' | 'percentile';

export const HEATMAP_LABELS: Record<HeatmapMode, string[]> = {
  rank: ['rank ≤ 10', 'rank ≤ 100', 'rank ≤ 1000', 'rank > 1000'],
  percentile: ['below p75', 'p75–p95', 'p95–p99', 'above p99'],
};

/** Surprisal cut points (bits) at the 75th, 95th and 99th percentiles. */
export function percentileCuts(scores: BlockScore[], stats: SurprisalStats | undefined): number[] {
  if (stats) {
    const cuts = ['75', '95', '99'].map((k) => percentileOf(stats.percentiles, k));
    if (cuts.every((c): c is number => typeof c === 'number')) return cuts;
  }
  const all: number[] = [];
  for (const s of scores) for (const x of s.bits) all.push(x);
  all.sort((a, b) => a - b);
  if (all.length === 0) return [Infinity, Infinity, Infinity];
  return [0.75, 0.95, 0.99].map((q) => all[Math.min(all.length - 1, Math.floor(q * all.length))]);
}

/** Flat [start, end, bucket] triples in document offsets for the coloured tokens (leading whitespace trimmed). */
export function heatmapTokens(
  text: string,
  blocks: { block: { start: number }; score: BlockScore }[],
  mode: HeatmapMode,
  stats: SurprisalStats | undefined,
): number[] {
  const cuts = percentileCuts(blocks.map((b) => b.score), stats);
  const out: number[] = [];
  for (const { block, score } of blocks) {
    for (let i = 0; i < score.starts.length; i++) {
      if (!(score.bits[i] > cuts[1])) continue;
      let start = block.start + score.starts[i];
      const end = block.start + score.ends[i];
      while (start < end && /\s/.test(text[start])) start++;
      if (start >= end) continue;
      const r = score.ranks[i];
      const b = score.bits[i];
      const bucket = mode === 'rank' ? (r <= 10 ? 0 : r <= 100 ? 1 : r <= 1000 ? 2 : 3) : b <= cuts[2] ? 2 : 3;
      out.push(start, end, bucket);
    }
  }
  return out;
}
