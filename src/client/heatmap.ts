/**
 * The GLTR-style heatmap: the server sends each document's token buckets (`plausibility/heatmap`: tokens above the
 * model's 95th percentile of surprisal, by rank or by calibrated percentile); this module draws them as faint
 * backgrounds. Colours are theme colours contributed in package.json (`plausibility.heatmap.*`), so themes can
 * restyle them and light, dark and high-contrast themes each get their own defaults.
 */
import * as vscode from 'vscode';
import type { HeatmapParams } from '../server/protocol';

const BUCKETS = ['likely', 'plausible', 'unlikely', 'surprising'] as const;

export class Heatmap implements vscode.Disposable {
  private readonly types = BUCKETS.map((b) =>
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(`plausibility.heatmap.${b}`),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  private readonly latest = new Map<string, HeatmapParams>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly visible: () => boolean) {
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.refresh()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // Offsets of an older version would land on the wrong words: clear until the server's next buckets.
        if (e.contentChanges.length && this.latest.delete(e.document.uri.toString())) this.refresh(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.latest.delete(d.uri.toString())),
    );
  }

  /** New buckets from the server. */
  update(p: HeatmapParams): void {
    this.latest.set(p.uri, p);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === p.uri);
    if (doc) this.refresh(doc);
  }

  /** Forgets every document's buckets (the server restarted or stopped sending some documents). */
  clearAll(): void {
    this.latest.clear();
    this.refresh();
  }

  /** Draws (or clears) the heatmap in the visible editors, of one document or all. */
  refresh(only?: vscode.TextDocument): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const doc = editor.document;
      if (only && doc !== only) continue;
      const p = this.latest.get(doc.uri.toString());
      const ranges: vscode.Range[][] = BUCKETS.map(() => []);
      if (this.visible() && p && p.version === doc.version) {
        const t = p.tokens;
        for (let i = 0; i + 2 < t.length; i += 3) ranges[t[i + 2]]?.push(new vscode.Range(doc.positionAt(t[i]), doc.positionAt(t[i + 1])));
      }
      this.types.forEach((type, i) => editor.setDecorations(type, ranges[i]));
    }
  }

  dispose(): void {
    for (const t of this.types) t.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
