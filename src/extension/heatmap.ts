/**
 * The GLTR-style heatmap: tokens above the model's 95th percentile of surprisal get a faint background by bucket,
 * either by rank (top 10, top 100, top 1000, beyond) or by percentile of the model's calibrated surprisal (p95-p99,
 * above p99); everything below p95 stays uncoloured. Colours are theme colours contributed in package.json (`plausibility.heatmap.*`), so themes can
 * restyle them and light, dark and high-contrast themes each get their own defaults.
 */
import * as vscode from 'vscode';
import type { DocumentResult } from '../worker/document';
import type { SurprisalStats } from '../core/config';
import { percentileOf } from '../core/spans';
import type { HeatmapMode } from './config';

const BUCKETS = ['likely', 'plausible', 'unlikely', 'surprising'] as const;
export const BUCKET_LABELS: Record<HeatmapMode, string[]> = {
  rank: ['rank ≤ 10', 'rank ≤ 100', 'rank ≤ 1000', 'rank > 1000'],
  percentile: ['below p75', 'p75–p95', 'p95–p99', 'above p99'],
};

export class Heatmap implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];

  constructor() {
    this.types = BUCKETS.map((b) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: new vscode.ThemeColor(`plausibility.heatmap.${b}`),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
  }

  /** Bucket boundaries in bits for percentile mode (model calibration, else the document's own distribution). */
  private static percentileCuts(result: DocumentResult, stats: SurprisalStats | undefined): number[] {
    const keys = ['75', '95', '99'];
    if (stats) {
      const cuts = keys.map((k) => percentileOf(stats.percentiles, k));
      if (cuts.every((c): c is number => typeof c === 'number')) return cuts;
    }
    const all: number[] = [];
    for (const b of result.blocks) for (const x of b.score.bits) all.push(x);
    all.sort((a, b) => a - b);
    if (all.length === 0) return [Infinity, Infinity, Infinity];
    return [0.75, 0.95, 0.99].map((q) => all[Math.min(all.length - 1, Math.floor(q * all.length))]);
  }

  /** Ranges per bucket for a document. Leading whitespace of a token is not coloured. */
  static ranges(
    doc: vscode.TextDocument,
    result: DocumentResult,
    mode: HeatmapMode,
    stats: SurprisalStats | undefined,
  ): vscode.Range[][] {
    const out: vscode.Range[][] = BUCKETS.map(() => []);
    // Only tokens above the model's 95th percentile of surprisal are coloured: the rest is ordinary text.
    const cuts = Heatmap.percentileCuts(result, stats);
    const text = doc.getText();
    for (const { block, score } of result.blocks) {
      for (let i = 0; i < score.starts.length; i++) {
        let start = block.start + score.starts[i];
        const end = block.start + score.ends[i];
        while (start < end && /\s/.test(text[start])) start++;
        if (start >= end || !(score.bits[i] > cuts[1])) continue;
        let bucket: number;
        if (mode === 'rank') {
          const r = score.ranks[i];
          bucket = r <= 10 ? 0 : r <= 100 ? 1 : r <= 1000 ? 2 : 3;
        } else {
          const b = score.bits[i];
          bucket = b <= cuts[0] ? 0 : b <= cuts[1] ? 1 : b <= cuts[2] ? 2 : 3;
        }
        out[bucket].push(new vscode.Range(doc.positionAt(start), doc.positionAt(end)));
      }
    }
    return out;
  }

  apply(editor: vscode.TextEditor, ranges: vscode.Range[][] | undefined): void {
    this.types.forEach((t, i) => editor.setDecorations(t, ranges?.[i] ?? []));
  }

  clear(editor: vscode.TextEditor): void {
    this.apply(editor, undefined);
  }

  dispose(): void {
    for (const t of this.types) t.dispose();
  }
}
