/**
 * Ranked inline completions (off by default: `plausibility.inlineCompletions.enabled`). The server samples a few
 * continuations of the text before the cursor and orders them by length-normalised conditional NLL, so the best
 * comes first and Alt+] cycles through the rest. A request is cancelled as soon as VS Code cancels it (typing on).
 */
import * as vscode from 'vscode';
import { COMMANDS } from '../server/protocol';
import { isChecked, SECTION } from './config';
import type { ServerCommand } from './serverCommand';

export class RankedInlineCompletions implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly server: ServerCommand,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (vscode.workspace.getConfiguration(SECTION, doc.uri).get<boolean>('inlineCompletions.enabled', false) !== true || !isChecked(doc)) return undefined;
    // Only at the end of a line's text (completing mid-line would fight the text to the right).
    if (doc.lineAt(position.line).text.slice(position.character).trim() !== '') return undefined;
    // A short pause first: most keystrokes cancel the request before the model runs.
    await new Promise((r) => setTimeout(r, 150));
    if (token.isCancellationRequested) return undefined;
    try {
      const ranked = await this.server<{ text: string }[]>(COMMANDS.complete, [{ uri: doc.uri.toString(), offset: doc.offsetAt(position) }], token);
      if (token.isCancellationRequested) return undefined;
      return ranked.map((c) => new vscode.InlineCompletionItem(c.text, new vscode.Range(position, position)));
    } catch (e) {
      this.log.debug(`inline completion failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
}
