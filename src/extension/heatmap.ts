/**
 * The GLTR-style heatmap: tokens above the model's 95th percentile of surprisal get a faint background by bucket,
 * either by rank (top 10, top 100, top 1000, beyond) or by percentile of the model's calibrated surprisal (p95-p99,
 * above p99); everything below p95 stays uncoloured. Colours are theme colours contributed in package.json (`plausibility.heatmap.*`), so themes can
 * restyle them and light, dark and high-contrast themes each get their own defaults.
 */
import * as vscode from 'vscode';
import type { DocumentResult } from '../worker/document';
import type { SurprisalStats } from '../core/model/config';
import { heatmapTokens } from '../core/scoring/heatmap';
import type { HeatmapMode } from './config';

const BUCKETS = ['likely', 'plausible', 'unlikely', 'surprising'] as const;
export { HEATMAP_LABELS as BUCKET_LABELS } from '../core/scoring/heatmap';

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

  /** Decoration ranges per bucket for a document (the shared bucketing of src/core/scoring/heatmap). */
  static ranges(
    doc: vscode.TextDocument,
    result: DocumentResult,
    mode: HeatmapMode,
    stats: SurprisalStats | undefined,
  ): vscode.Range[][] {
    const out: vscode.Range[][] = BUCKETS.map(() => []);
    const t = heatmapTokens(doc.getText(), result.blocks, mode, stats);
    for (let i = 0; i < t.length; i += 3) out[t[i + 2]].push(new vscode.Range(doc.positionAt(t[i]), doc.positionAt(t[i + 1])));
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
