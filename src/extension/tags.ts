/**
 * Tags in the editor (conditional pretraining):
 *
 * - Off-tag sentences and unreadable front matter are findings of the lint pipeline (`plausibility/off-tag`,
 *   `plausibility/front-matter`), published with every other finding.
 * - The hover shows the tags the model infers for the paragraph under the cursor (P(paragraph | tag), normalised).
 */
import * as vscode from 'vscode';
import type { InferredTag } from '../worker/genProtocol';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';

/** The posterior of the best tag above which the inferred tags are shown. */
const CONFIDENT_POSTERIOR = 0.6;

export class TagController implements vscode.Disposable {
  private readonly paragraphCache = new Map<string, { ranking: InferredTag[]; tokens: number }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('plausibility')) this.paragraphCache.clear();
      }),
    );
  }

  /** Hover: the inferred tags of the paragraph under the cursor. */
  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.documents.isEligible(doc) || this.engine.state.kind !== 'ready') return undefined;
    const para = paragraphAt(doc, pos.line);
    if (!para) return undefined;
    const text = doc.getText(para).trim();
    if (text.split(/\s+/).length < 8 || /^(```|~~~|---)/.test(text)) return undefined;
    let res = this.paragraphCache.get(text);
    if (!res) {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        res = await this.engine.engine.request('inferTags', { text, maxTokens: 200 }, { signal: ac.signal });
      } catch {
        return undefined;
      } finally {
        sub.dispose();
      }
      if (this.paragraphCache.size > 200) this.paragraphCache.clear();
      this.paragraphCache.set(text, res);
    }
    const top = res.ranking.slice(0, 3);
    // Only a confident guess is worth a line in the hover.
    if (!top.length || top[0].posterior < CONFIDENT_POSTERIOR) return undefined;
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.appendMarkdown(
      `**Plausibility** · inferred tags for this paragraph: ` +
        top.map((t) => `${t.tag.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`)} ${(t.posterior * 100).toFixed(0)}%`).join(' · '),
    );
    return new vscode.Hover(md);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The blank-line-delimited paragraph around a line. */
function paragraphAt(doc: vscode.TextDocument, line: number): vscode.Range | undefined {
  if (doc.lineAt(line).isEmptyOrWhitespace) return undefined;
  let a = line;
  let b = line;
  while (a > 0 && !doc.lineAt(a - 1).isEmptyOrWhitespace) a--;
  while (b < doc.lineCount - 1 && !doc.lineAt(b + 1).isEmptyOrWhitespace) b++;
  return new vscode.Range(a, 0, b, doc.lineAt(b).text.length);
}
