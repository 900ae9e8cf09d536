/**
 * Toxicity diagnostics and rewrites with a discriminator head (see src/core/heads/discriminator.ts):
 *
 * - the diagnostics are the lint pipeline's `plausibility/toxicity` check (src/core/lint/checks/toxicity.ts), which
 *   runs with every other check in the engine process when `plausibility.toxicity.enabled` is on;
 * - "Rewrite away from toxicity…" on such a diagnostic asks the language server for rewrites of the sentence's toxic part
 *   (src/core/generation/rewriteOffer.ts: lexicon hits and the word the head blames most), shows the ones that pass
 *   every check as diffs in the picker (see ./rewrite.ts), applies the one chosen, and keeps them as quick fixes;
 * - "Train Discriminator" trains a head from a CSV/JSONL file with a progress notification and reports its
 *   held-out metrics.
 */
import * as path from 'node:path';
import { closeSync, openSync, readSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RewriteResult } from '../core/generation/rewrite';
import { COMMANDS, SOURCE, TOXICITY_RULE } from '../server/protocol';
import type { TrainHeadResult } from '../server/heads';
import type { ServerCommand } from './serverCommand';
import { withCancellableProgress } from './progress';
import { applyRewrite, cachedOffer, pickRewrite, rememberOffer, requestRewrites, rewriteActions } from './rewrite';

export const COMMAND_DETOX = 'plausibility.rewriteAwayFromToxicity';
export const COMMAND_TRAIN_DISCRIMINATOR = 'plausibility.trainDiscriminator';

export class ToxicityController implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly server: ServerCommand,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.commands.registerCommand(COMMAND_DETOX, (uri?: vscode.Uri, range?: vscode.Range, choose?: number) => this.rewrite(uri, range, choose)),
      vscode.commands.registerCommand(COMMAND_TRAIN_DISCRIMINATOR, () => this.train()),
    );
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === SOURCE && d.code === TOXICITY_RULE)
      .flatMap((d) => {
        // Once computed, the offered rewrites are quick fixes themselves (read from the cache, never computed here).
        const cached = cachedOffer(doc, doc.offsetAt(d.range.start), doc.offsetAt(d.range.end));
        if (cached) return rewriteActions(doc, cached, d);
        const a = new vscode.CodeAction('Rewrite away from toxicity…', vscode.CodeActionKind.QuickFix);
        a.diagnostics = [d];
        a.command = { command: COMMAND_DETOX, title: 'Rewrite away from toxicity…', arguments: [doc.uri, d.range] };
        return [a];
      });
  }

  /**
   * Offers rewrites of the toxic part of a sentence (the diagnostic's, the selection, or the sentence at the cursor):
   * only that part changes, and only candidates that keep the content, are not toxic by the head or the lexicon, and
   * read within `plausibility.rewrite.maxNllIncrease` nats/token of the original are shown, as diffs, in the picker.
   * `choose` (0-based, for tests) applies that candidate without asking.
   */
  private async rewrite(uri?: vscode.Uri, range?: vscode.Range, choose?: number): Promise<RewriteResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!doc) return undefined;
    // Without a range or selection, the server takes the sentence at the cursor.
    let span: { start: number; end: number } | { offset: number };
    if (range) span = { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) };
    else if (editor && !editor.selection.isEmpty) span = { start: doc.offsetAt(editor.selection.start), end: doc.offsetAt(editor.selection.end) };
    else span = { offset: editor ? doc.offsetAt(editor.selection.active) : 0 };
    const version = doc.version;
    let r: RewriteResult;
    const abort = new AbortController();
    try {
      r = await withCancellableProgress(
        'Plausibility: rewriting away from toxicity…',
        (token) => requestRewrites(this.server, doc, { ...span, kind: 'toxicity' }, token),
        abort,
      );
    } catch (e) {
      if (!abort.signal.aborted) void vscode.window.showErrorMessage(`Plausibility: ${(e as Error).message}`);
      return undefined;
    }
    if (doc.version !== version) {
      void vscode.window.showInformationMessage('Plausibility: the document changed while rewriting; try again.');
      return undefined;
    }
    rememberOffer(doc, 'start' in span ? span.start : r.start, 'end' in span ? span.end : r.end, r);
    this.log.info(`toxicity rewrite of ${JSON.stringify(r.original)}: ${r.candidates.length} of ${r.considered} passed (rejected ${JSON.stringify(r.rejected)})`);
    if (r.candidates.length === 0) {
      void vscode.window.showInformationMessage(
        r.note
          ? `Plausibility: nothing to rewrite: ${r.note}.`
          : `Plausibility: no rewrite of "${r.original}" was non-toxic, kept the rest of the sentence and read well enough; the text is left as it is.`,
      );
      return r;
    }
    const pick = await pickRewrite(doc, r, `Rewrite away from toxicity: "${r.original}"`, choose);
    if (pick) await applyRewrite(doc, version, pick);
    return r;
  }

  /** Trains a head from a labelled CSV/JSONL file (with a progress notification) and offers to use it. */
  private async train(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Labelled data for the discriminator (CSV with a header row, or JSONL)',
      canSelectMany: false,
      filters: { 'CSV or JSONL': ['csv', 'jsonl', 'ndjson'] },
    });
    const data = picked?.[0]?.fsPath;
    if (!data) return;
    const columns = headerColumns(data);
    const ask = async (what: string, guess: string[]): Promise<string | undefined> => {
      if (columns.length) {
        const sorted = [...columns].sort((a, b) => Number(guess.includes(b)) - Number(guess.includes(a)));
        return vscode.window.showQuickPick(sorted, { title: `Column holding the ${what}` });
      }
      return vscode.window.showInputBox({ title: `Field holding the ${what}`, value: guess[0] });
    };
    const textCol = await ask('text', ['text', 'tweet', 'sentence', 'comment']);
    if (!textCol) return;
    const labelCol = await ask('label', ['label', 'class', 'labels', 'target']);
    if (!labelCol) return;
    const labelMap = await vscode.window.showInputBox({
      title: 'Label map (optional)',
      prompt: 'RAW=CLASS pairs, e.g. 0=toxic,1=toxic,2=non-toxic; empty: each raw label is a class',
    });
    if (labelMap === undefined) return;
    const target = await vscode.window.showSaveDialog({
      title: 'Save the discriminator head',
      defaultUri: vscode.Uri.file(path.join(path.dirname(data), `${path.basename(data).replace(/\.[^.]+$/, '')}.head.json`)),
      filters: { 'Discriminator head': ['json'] },
    });
    if (!target) return;
    let r: TrainHeadResult;
    const abort = new AbortController();
    try {
      // Cancelling the notification cancels the request; the server's $/progress shows how far it is.
      r = await withCancellableProgress(
        'Plausibility: training a discriminator head',
        (token) => this.server<TrainHeadResult>(COMMANDS.trainHead, [{ data, textCol, labelCol, out: target.fsPath, labelMap: labelMap.trim() || undefined }], token),
        abort,
      );
    } catch (e) {
      if (abort.signal.aborted) return;
      void vscode.window.showErrorMessage(`Plausibility: training failed, nothing was written. ${(e as Error).message}`);
      return;
    }
    for (const w of r.warnings) this.log.warn(`discriminator training: ${w}`);
    const summary =
      `Trained on ${r.rows.train} rows; held-out (${r.rows.test} rows): accuracy ${r.accuracy.toFixed(3)}, macro-F1 ` +
      `${r.macroF1.toFixed(3)} (majority class ${r.majorityMacroF1.toFixed(3)}), AUROC ${r.auroc.toFixed(3)}.`;
    this.log.info(`discriminator ${r.out}: ${summary}`);
    const use = await vscode.window.showInformationMessage(`Plausibility: ${summary}`, 'Use for Toxicity Diagnostics');
    if (use) await vscode.workspace.getConfiguration('plausibility').update('toxicity.head', r.out, vscode.ConfigurationTarget.Workspace);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Column names from a CSV header (first line) or the first JSONL object; [] when unreadable. */
function headerColumns(file: string): string[] {
  try {
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const first = buf.subarray(0, n).toString('utf8').split(/\r?\n/)[0].replace(/^\uFEFF/, '');
    if (/\.(jsonl|ndjson)$/i.test(file)) return Object.keys(JSON.parse(first) as object);
    return first.split(',').map((c) => c.trim().replace(/^"|"$/g, '')).filter(Boolean);
  } catch {
    return [];
  }
}
