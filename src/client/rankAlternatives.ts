/**
 * "Rank Alternatives": with a selection written like `{option one|option two}`, or several selected lines, the
 * server ranks the options in context (the text before and after the selection) by NLL; they are shown in a
 * QuickPick and the chosen one replaces the selection. Bad selections get the server's clear message and no edit.
 */
import * as vscode from 'vscode';
import type { RankedOption } from '../core/generation/rewrite';
import { COMMANDS } from '../server/protocol';
import type { ServerCommand } from './serverCommand';

export const COMMAND_RANK = 'plausibility.rankAlternatives';

/**
 * Runs the command on the active editor's selection. `choose` (an option text or a 0-based rank, for tests) skips
 * the QuickPick. Returns the ranking, or undefined when nothing was ranked.
 */
export async function rankAlternatives(server: ServerCommand, log: vscode.LogOutputChannel, choose?: string | number): Promise<RankedOption[] | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Plausibility: select {option one|option two} or several lines to rank.');
    return undefined;
  }
  const doc = editor.document;
  const sel = editor.selection;
  const version = doc.version;
  let ranked: RankedOption[];
  try {
    ranked = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Plausibility: ranking options' }, () =>
      server<RankedOption[]>(COMMANDS.rankOptions, [{ uri: doc.uri.toString(), start: doc.offsetAt(sel.start), end: doc.offsetAt(sel.end) }]),
    );
  } catch (e) {
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
        description: i === 0 ? 'the most likely here' : `${Math.exp(r.nll - best) < 1000 ? `about ${Math.round(Math.exp(r.nll - best))}` : 'over a thousand'} times less likely`,
        detail: `${r.tokens} tokens · ${r.nllPerToken.toFixed(2)} nats per token`,
      })),
      { title: 'Rank alternatives in context', placeHolder: 'Pick the option to keep (Escape leaves the selection as is)' },
    );
    chosen = pick?.label;
  }
  if (chosen === undefined || doc.version !== version) return ranked;
  await editor.edit((b) => b.replace(sel, chosen!));
  return ranked;
}
