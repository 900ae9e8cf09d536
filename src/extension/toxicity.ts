/**
 * Toxicity diagnostics and rewrites with a discriminator head (see src/core/discriminator.ts):
 *
 * - every sentence of an eligible document is scored by the head (`plausibility.toxicity.head`, default the
 *   `toxicity` head shipped with the model) in the worker; sentences with p(unwanted) at or above
 *   `plausibility.toxicity.threshold` get a diagnostic with source `plausibility-toxicity` and code `toxicity`
 *   (`plausibility.toxicity.enabled` turns this off);
 * - "Rewrite away from toxicity…" on such a diagnostic asks the worker for rewrites of the sentence's toxic part
 *   (src/core/generation/rewriteOffer.ts: lexicon hits and the word the head blames most), shows the ones that pass
 *   every check as diffs in the picker (see ./rewrite.ts), applies the one chosen, and keeps them as quick fixes;
 * - "Train Discriminator" trains a head from a CSV/JSONL file with a progress notification and reports its
 *   held-out metrics.
 */
import * as path from 'node:path';
import { closeSync, openSync, readSync } from 'node:fs';
import * as vscode from 'vscode';
import { proseSentences, splitSentences } from '../core/discriminator';
import type { RewriteResult } from '../core/rewrite';
import type { DiscrimScoreResult, DiscrimTrainResult } from '../worker/discrimProtocol';
import { CancelledError, RemoteError } from '../worker/protocol';
import { readSettings } from './config';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';
import { userLevelSetting } from './models';
import { withCancellableProgress } from './progress';
import { applyRewrite, cachedOffer, genSettings, pickRewrite, rememberOffer, requestRewrites, rewriteActions } from './rewrite';
import { BoundedCache } from './toxicityCache';

export const TOXICITY_SOURCE = 'plausibility-toxicity';
export const TOXICITY_CODE = 'toxicity';
export const COMMAND_DETOX = 'plausibility.rewriteAwayFromToxicity';
export const COMMAND_TRAIN_DISCRIMINATOR = 'plausibility.trainDiscriminator';

interface ToxicitySettings {
  enabled: boolean;
  /** Undefined when the user has not set one: the head's own calibrated threshold applies. */
  threshold: number | undefined;
  head: string;
}

/** Whether the user set a value at any level (not just the contributed default). */
function isSet(c: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = c.inspect(key);
  return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue, i?.globalLanguageValue, i?.workspaceLanguageValue, i?.workspaceFolderLanguageValue].some(
    (v) => v !== undefined,
  );
}

function toxicitySettings(scope?: vscode.ConfigurationScope): ToxicitySettings {
  const c = vscode.workspace.getConfiguration('plausibility', scope);
  const t = isSet(c, 'toxicity.threshold') ? c.get<number>('toxicity.threshold') : undefined;
  // A head path is a file setting: in an untrusted workspace only the user-level value counts.
  const head = userLevelSetting<string>('toxicity.head', 'toxicity', scope);
  return {
    enabled: c.get<boolean>('toxicity.enabled', true) !== false,
    threshold: typeof t === 'number' && Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : undefined,
    head: typeof head === 'string' && head.trim() ? head.trim() : 'toxicity',
  };
}

/** A head setting as the worker wants it: a name (`toxicity`) or an absolute path. */
function resolveHead(spec: string): string {
  if (!/[\\/]|\.json$/i.test(spec)) return spec;
  if (path.isAbsolute(spec)) return spec;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, spec) : path.resolve(spec);
}

const BATCH = 32;
/** Sentences whose p(unwanted) is kept between checks (about 100 bytes each plus the text). */
const CACHE_ENTRIES = 5000;

export class ToxicityController implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly collection = vscode.languages.createDiagnosticCollection(TOXICITY_SOURCE);
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly versions = new Map<string, number>();
  /** p(unwanted) by head and sentence text. */
  private readonly cache = new BoundedCache<number>(CACHE_ENTRIES);
  /** The decision threshold each head reported (its calibrated one). */
  private readonly headThresholds = new Map<string, number>();
  private unavailable: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (readSettings(e.document.uri).checkFrequency === 'edit') this.schedule(e.document, 800);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.collection.delete(d.uri);
        this.versions.delete(d.uri.toString());
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('plausibility')) return;
        this.unavailable = undefined;
        this.cache.clear();
        this.headThresholds.clear();
        this.checkAll();
      }),
      vscode.commands.registerCommand(COMMAND_DETOX, (uri?: vscode.Uri, range?: vscode.Range, choose?: number) => this.rewrite(uri, range, choose)),
      vscode.commands.registerCommand(COMMAND_TRAIN_DISCRIMINATOR, () => this.train()),
    );
  }

  /** Checks every open document (at activation and after a settings change). */
  checkAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    const key = doc.uri.toString();
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.check(doc).catch((e) => this.log.warn(`toxicity check failed: ${(e as Error).message}`));
      }, delay),
    );
  }

  private async check(doc: vscode.TextDocument): Promise<void> {
    const ts = toxicitySettings(doc.uri);
    const settings = readSettings(doc.uri);
    if (!ts.enabled || !this.documents.isEligible(doc) || this.unavailable !== undefined) {
      this.collection.delete(doc.uri);
      return;
    }
    const text = doc.getText();
    if (text.length > settings.maxFileLength) return;
    const version = doc.version;
    this.versions.set(doc.uri.toString(), version);
    const info = await this.engine.ensureLoaded(settings);
    if (!info) return;
    // Only prose: no headings, code, front matter, or sentences without a content word.
    const sentences = proseSentences(text, { markdown: doc.languageId === 'markdown' });
    const head = resolveHead(ts.head);
    const key = (t: string) => `${head}\u0000${t}`;
    const todo = [...new Set(sentences.map((s) => s.text).filter((t) => !this.cache.has(key(t))))];
    let unwantedName = 'toxic';
    try {
      for (let i = 0; i < todo.length; i += BATCH) {
        if (this.versions.get(doc.uri.toString()) !== version) return; // superseded by a newer edit
        const batch = todo.slice(i, i + BATCH);
        const r: DiscrimScoreResult = await this.engine.engine.request('discrimScore', { head, texts: batch });
        const u = r.unwanted !== undefined ? r.classes.indexOf(r.unwanted) : r.classes.length - 1;
        unwantedName = r.classes[u];
        batch.forEach((t, k) => this.cache.set(key(t), r.probs[k][u]));
        this.headThresholds.set(head, r.threshold);
      }
    } catch (e) {
      if (e instanceof CancelledError) return;
      const code = e instanceof RemoteError ? e.code : undefined;
      if (code === 'FEATURE_UNAVAILABLE' || code === 'HEAD_MISMATCH' || code === 'BAD_HEAD' || code === 'ENOENT') {
        // Not fixable by retrying: say so once, keep the other features running.
        this.unavailable = (e as Error).message;
        this.log.warn(`toxicity diagnostics are off: ${this.unavailable}`);
        void vscode.window.showWarningMessage(`Plausibility: toxicity diagnostics are off. ${this.unavailable}`);
        this.collection.delete(doc.uri);
        return;
      }
      throw e;
    }
    if (this.versions.get(doc.uri.toString()) !== version || doc.isClosed) return;
    const diags: vscode.Diagnostic[] = [];
    const threshold = ts.threshold ?? this.headThresholds.get(head) ?? 0.5;
    for (const s of sentences) {
      const p = this.cache.get(key(s.text));
      if (p === undefined || p < threshold) continue;
      const d = new vscode.Diagnostic(
        new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)),
        `Likely ${unwantedName}: p(${unwantedName}) = ${p.toFixed(2)} by the "${path.basename(ts.head)}" discriminator (threshold ${Number(threshold.toFixed(3))})`,
        settings.diagnosticSeverity,
      );
      d.source = TOXICITY_SOURCE;
      d.code = TOXICITY_CODE;
      diags.push(d);
    }
    this.collection.set(doc.uri, diags);
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === TOXICITY_SOURCE && d.code === TOXICITY_CODE)
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
    const text = doc.getText();
    let start: number;
    let end: number;
    if (range) [start, end] = [doc.offsetAt(range.start), doc.offsetAt(range.end)];
    else if (editor && !editor.selection.isEmpty) [start, end] = [doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end)];
    else {
      const at = editor ? doc.offsetAt(editor.selection.active) : 0;
      const s = splitSentences(text).find((x) => x.start <= at && at <= x.end);
      if (!s) return undefined;
      [start, end] = [s.start, s.end];
    }
    const settings = readSettings(doc.uri);
    if (!(await this.engine.ensureLoaded(settings))) return undefined;
    const ts = toxicitySettings(doc.uri);
    const version = doc.version;
    let r: RewriteResult;
    try {
      r = await withCancellableProgress('Plausibility: rewriting away from toxicity…', (signal) =>
        requestRewrites(
          this.engine,
          { kind: 'toxicity', text, start, end, head: resolveHead(ts.head), maxNllIncrease: genSettings(doc.uri).maxNllIncrease, markdown: doc.languageId === 'markdown' },
          signal,
        ),
      );
    } catch (e) {
      if (e instanceof CancelledError) return undefined;
      void vscode.window.showErrorMessage(`Plausibility: ${(e as Error).message}`);
      return undefined;
    }
    if (doc.version !== version) {
      void vscode.window.showInformationMessage('Plausibility: the document changed while rewriting; try again.');
      return undefined;
    }
    rememberOffer(doc, start, end, r);
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
    if (!(await this.engine.ensureLoaded(readSettings()))) return;
    let r: DiscrimTrainResult;
    try {
      r = await withCancellableProgress('Plausibility: training discriminator', (signal, progress) => {
        let lastPct = 0;
        return this.engine.engine.request(
          'discrimTrain',
          { data, textCol, labelCol, out: target.fsPath, labelMap: labelMap.trim() || undefined },
          {
            signal,
            onProgress: (message) => {
              const m = /\((\d+)%\)/.exec(message);
              const pct = m ? Number(m[1]) : lastPct;
              progress.report({ message, increment: Math.max(0, pct - lastPct) });
              lastPct = pct;
            },
          },
        );
      });
    } catch (e) {
      if (e instanceof CancelledError) return;
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
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
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
