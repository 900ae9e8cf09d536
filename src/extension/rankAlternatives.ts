/**
 * "Rank Alternatives": with a selection written like `{option one|option two}`, or several selected lines, ranks the
 * options in context (the text before and after the selection) by NLL, shows them in a QuickPick and replaces the
 * selection with the chosen one. Bad selections (no or one option, options longer than the model's window) get a
 * clear message and no edit.
 */
import * as vscode from 'vscode';
import { parseAlternatives } from '../core/text/alternatives';
import type { RankedOptionInfo } from '../worker/genProtocol';
import { CancelledError } from '../worker/protocol';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';

export const COMMAND_RANK = 'plausibility.rankAlternatives';

/**
 * Runs the command on the active editor's selection. `choose` (an option text or a 0-based rank, for tests) skips
 * the QuickPick. Returns the ranking, or undefined when nothing was ranked.
 */
export async function rankAlternatives(
  engine: EngineService,
  documents: DocumentController,
  log: vscode.LogOutputChannel,
  choose?: string | number,
): Promise<RankedOptionInfo[] | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Plausibility: select {option one|option two} or several lines to rank.');
    return undefined;
  }
  const doc = editor.document;
  const sel = editor.selection;
  const selected = doc.getText(sel);
  let options: string[];
  try {
    options = parseAlternatives(selected);
  } catch (e) {
    void vscode.window.showWarningMessage(`Plausibility: ${(e as Error).message}`);
    return undefined;
  }
  const text = doc.getText();
  const start = doc.offsetAt(sel.start);
  const end = doc.offsetAt(sel.end);
  const version = doc.version;
  if (!(await engine.ensureLoaded(documents.settings))) return undefined;
  let ranked: RankedOptionInfo[];
  try {
    ranked = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Plausibility: ranking options' },
      () => engine.engine.request('rankOptions', { left: text.slice(Math.max(0, start - 4000), start), right: text.slice(end, end + 2000), options }),
    );
  } catch (e) {
    if (e instanceof CancelledError) return undefined;
    const msg = e instanceof Error ? e.message : String(e);
    log.warn(`rank alternatives failed: ${msg}`);
    void vscode.window.showWarningMessage(`Plausibility: ${msg}`);
    return undefined;
  }
  let chosen: string | undefined;
  if (typeof choose === 'number') chosen = ranked[choose]?.text;
  else if (typeof choose === 'string') chosen = ranked.find((r) => r.text === choose)?.text;
  else {
    const best = ranked[0].nll;
    const pick = await vscode.window.showQuickPick(
      ranked.map((r, i) => ({
        label: r.text,
        description: `NLL ${r.nll.toFixed(2)} nats${i === 0 ? ' (best)' : ` (+${(r.nll - best).toFixed(2)})`}`,
        detail: `${r.tokens} tokens, ${r.nllPerToken.toFixed(2)} nats/token`,
      })),
      { title: 'Rank alternatives in context', placeHolder: 'Pick the option to keep (Escape leaves the selection as is)' },
    );
    chosen = pick?.label;
  }
  if (chosen === undefined || doc.version !== version) return ranked;
  await editor.edit((b) => b.replace(sel, chosen!));
  return ranked;
}
