/**
 * Ranked inline completions (off by default: `plausibility.inlineCompletions.enabled`). The worker samples a few
 * continuations of the text before the cursor and orders them by length-normalised conditional NLL, so the best
 * comes first and Alt+] cycles through the rest. Requests are cancelled as soon as VS Code cancels them (typing on),
 * and the model runs in the worker, so typing is never blocked.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../worker/protocol';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';
import { genSettings } from './rewrite';

export class RankedInlineCompletions implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!genSettings(doc.uri).inline || !this.documents.isEligible(doc)) return undefined;
    // Only at the end of a line's text (completing mid-line would fight the text to the right).
    const lineRest = doc.lineAt(position.line).text.slice(position.character);
    if (lineRest.trim() !== '') return undefined;
    if (this.engine.state.kind !== 'ready') return undefined;
    const offset = doc.offsetAt(position);
    const prefix = doc.getText().slice(Math.max(0, offset - 3000), offset);
    if (!prefix.trim()) return undefined;
    // A short pause first: most keystrokes cancel the request before the model runs.
    await new Promise((r) => setTimeout(r, 150));
    if (token.isCancellationRequested) return undefined;
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      const ranked = await this.engine.engine.request('complete', { prefix, count: 4, maxTokens: 16 }, { signal: ac.signal });
      if (token.isCancellationRequested) return undefined;
      return ranked.map((c) => new vscode.InlineCompletionItem(c.text, new vscode.Range(position, position)));
    } catch (e) {
      if (!(e instanceof CancelledError)) this.log.debug(`inline completion failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    } finally {
      sub.dispose();
    }
  }
}
