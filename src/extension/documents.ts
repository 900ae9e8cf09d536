/**
 * Per-document scoring: when to score (on edit with debounce, on save, or on demand), incremental rescoring through
 * a {@link DocumentScorer} per open document, cancellation of stale passes, and publishing findings as diagnostics
 * (source "plausibility") and heatmap decorations.
 *
 * Findings on the line being typed are held back until the user pauses or leaves the line. Documents over
 * maxFileLength, binary documents and documents with huge lines are skipped with one status-bar notice. Closing a
 * document releases its caches.
 */
import * as vscode from 'vscode';
import { PROSE_LANGUAGES } from '../core/text/blocks';
import { DocumentResult, DocumentScorer, Finding } from '../worker/document';
import { skipReason } from '../core/text/limits';
import { CancelledError, WorkerCrashedError } from '../worker/protocol';
import { invalidationOf } from '../core/settings/schema';
import { diagnosticSeverity, lintSettings, readSettings, Settings } from './config';
import { EngineService } from './engine';
import { Heatmap } from './heatmap';
import { Suppressions } from './suppressions';

export const SOURCE = 'plausibility';
const HEATMAP_STATE_KEY = 'plausibility.heatmapVisible';
/** How long after the last keystroke findings on the typed line stay held back. */
const HOLD_BACK_MS = 1500;
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-userdata']);

export type SkipReason = { kind: 'too-long'; length: number; max: number } | { kind: 'binary' } | { kind: 'huge-line' };

class DocState {
  scorer: DocumentScorer;
  timer: NodeJS.Timeout | undefined;
  holdTimer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  /** Version of the text the latest result belongs to. */
  resultVersion = -1;
  result: DocumentResult | undefined;
  /** Findings after suppressions (what the diagnostics show, held-back ones included). */
  findings: Finding[] = [];
  lastEditLine: number | undefined;
  lastEditAt = 0;
  skipped: SkipReason | undefined;
  busy = false;
  /** Passes in flight (a newer pass may start before an older one has noticed it is stale). */
  runs = 0;
  constructor(scorer: DocumentScorer) {
    this.scorer = scorer;
  }
}

export interface DocumentEvents {
  /** A document was scored (or cleared); the status bar and report listen. */
  readonly onDidUpdate: vscode.Event<vscode.TextDocument>;
  readonly onDidChangeBusy: vscode.Event<boolean>;
}

export class DocumentController implements vscode.Disposable, DocumentEvents {
  private readonly states = new Map<string, DocState>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly heatmap = new Heatmap();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly updateEmitter = new vscode.EventEmitter<vscode.TextDocument>();
  private readonly busyEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidUpdate = this.updateEmitter.event;
  readonly onDidChangeBusy = this.busyEmitter.event;
  private busyCount = 0;
  settings: Settings;

  constructor(
    private readonly engine: EngineService,
    private readonly suppressions: Suppressions,
    private readonly log: vscode.LogOutputChannel,
    /** Workspace view state: whether the heatmap is shown (a toggle is not a settings change). */
    private readonly viewState?: vscode.Memento,
  ) {
    this.settings = readSettings();
    this.disposables.push(
      this.diagnostics,
      this.heatmap,
      this.updateEmitter,
      this.busyEmitter,
      vscode.workspace.onDidOpenTextDocument((d) => this.onOpen(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e)),
      vscode.workspace.onDidSaveTextDocument((d) => this.onSave(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.release(d)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshDecorations()),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
      vscode.window.onDidChangeActiveTextEditor((e) => e && this.updateEmitter.fire(e.document)),
      suppressions.onDidChange(() => this.republishAll()),
      engine.onDidRestart(() => this.rescoreAll(false)),
    );
  }

  /** Scores the documents already open. */
  start(): void {
    for (const d of vscode.workspace.textDocuments) this.onOpen(d);
  }

  /** Whether the settings ask for this document to be checked. */
  isEligible(doc: vscode.TextDocument): boolean {
    if (!this.settings.enabled) return false;
    if (!SCHEMES.has(doc.uri.scheme)) return false;
    return this.settings.languages.includes(doc.languageId);
  }

  /** Settings changed: re-read them; the settings schema says whether to reload the model, rescore or republish. */
  onSettingsChanged(e: vscode.ConfigurationChangeEvent): void {
    this.settings = readSettings();
    const what = invalidationOf((key) => e.affectsConfiguration(key));
    if (what === 'reload') this.engine.resetFailure();
    if (what === 'reload' || what === 'rescore') this.rescoreAll(false);
    else this.republishAll();
  }

  private state(doc: vscode.TextDocument): DocState {
    const key = doc.uri.toString();
    let st = this.states.get(key);
    if (!st) {
      st = new DocState(new DocumentScorer(() => this.engine.engine));
      this.states.set(key, st);
    }
    return st;
  }

  private onOpen(doc: vscode.TextDocument): void {
    if (!this.isEligible(doc)) return;
    if (this.settings.checkFrequency === 'manual') return;
    this.schedule(doc, 0);
  }

  private onChange(e: vscode.TextDocumentChangeEvent): void {
    const doc = e.document;
    if (e.contentChanges.length === 0) return;
    const st = this.states.get(doc.uri.toString());
    if (!st && !this.isEligible(doc)) return;
    const s = st ?? this.state(doc);
    // Remember the line being typed on (single-line edits only).
    const c = e.contentChanges[0];
    if (e.contentChanges.length === 1 && !c.text.includes('\n') && c.range.isSingleLine) {
      s.lastEditLine = c.range.start.line;
      s.lastEditAt = Date.now();
    } else s.lastEditLine = undefined;
    // A pass for an older version is stale now.
    s.abort?.abort();
    if (this.settings.checkFrequency === 'edit') this.schedule(doc, this.settings.debounceMs);
  }

  private onSave(doc: vscode.TextDocument): void {
    if (this.settings.checkFrequency === 'save' && this.isEligible(doc)) this.schedule(doc, 0);
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const st = this.states.get(e.textEditor.document.uri.toString());
    if (!st || st.lastEditLine === undefined) return;
    if (e.selections[0]?.active.line !== st.lastEditLine) {
      st.lastEditLine = undefined;
      this.publish(e.textEditor.document, st);
    }
  }

  /** Schedules a pass after `delayMs` (a newer call replaces an older one). */
  schedule(doc: vscode.TextDocument, delayMs: number): void {
    const st = this.state(doc);
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      void this.run(doc, st);
    }, delayMs);
  }

  /** Rescores one document now (command); with `fresh`, its cache is dropped first. */
  async rescore(doc: vscode.TextDocument, fresh: boolean): Promise<void> {
    const st = this.state(doc);
    if (fresh) st.scorer.clear();
    await this.run(doc, st, true);
  }

  rescoreAll(fresh: boolean): void {
    for (const doc of vscode.workspace.textDocuments) {
      const st = this.states.get(doc.uri.toString());
      if (!this.isEligible(doc)) {
        if (st) this.release(doc);
        continue;
      }
      if (fresh) st?.scorer.clear();
      if (this.settings.checkFrequency !== 'manual' || st?.result) this.schedule(doc, 0);
    }
  }

  private async run(doc: vscode.TextDocument, st: DocState, force = false): Promise<void> {
    if (doc.isClosed || this.states.get(doc.uri.toString()) !== st) return;
    if (!this.isEligible(doc) && !force) return;
    const settings = this.settings;
    const text = doc.getText();
    st.skipped = undefined;
    st.skipped = skipReason(text, settings.maxFileLength);
    if (st.skipped) {
      this.clearOutputs(doc, st);
      this.updateEmitter.fire(doc);
      return;
    }
    const model = await this.engine.ensureLoaded(settings);
    if (!model) return;
    st.scorer.setModel(model);
    st.scorer.setOptions({ lint: lintSettings(settings) });
    st.abort?.abort();
    const abort = new AbortController();
    st.abort = abort;
    const version = doc.version;
    this.setBusy(st, true);
    try {
      const result = await st.scorer.score(text, doc.languageId, abort.signal);
      if (doc.isClosed || doc.version !== version) return; // a newer pass is on its way
      st.result = result;
      st.resultVersion = version;
      this.log.trace(
        `${vscode.workspace.asRelativePath(doc.uri)}: ${result.rescored} blocks scored, ${result.reused} reused, ` +
          `${result.findings.length} findings, ${result.ms.toFixed(0)} ms`,
      );
      this.publish(doc, st);
    } catch (e) {
      if (e instanceof CancelledError) return;
      if (e instanceof WorkerCrashedError) return; // rescored after the restart
      this.log.error(`scoring ${doc.uri.toString()} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (st.abort === abort) st.abort = undefined;
      this.setBusy(st, false);
    }
  }

  private setBusy(st: DocState, busy: boolean): void {
    st.runs = Math.max(0, st.runs + (busy ? 1 : -1));
    busy = st.runs > 0;
    if (st.busy === busy) return;
    st.busy = busy;
    this.busyCount += busy ? 1 : -1;
    this.busyEmitter.fire(this.busyCount > 0);
  }

  /** Pushes the latest result of a document to diagnostics and decorations. */
  private publish(doc: vscode.TextDocument, st: DocState): void {
    const r = st.result;
    if (!r || doc.isClosed || st.resultVersion !== doc.version) return;
    const text = doc.getText();
    st.findings = this.suppressions.filter(doc, text, r.findings);
    // Held back: findings on the line being typed, until a pause or the cursor leaves the line.
    let held: number | undefined;
    if (st.lastEditLine !== undefined) {
      const since = Date.now() - st.lastEditAt;
      const editor = vscode.window.activeTextEditor;
      const onLine = editor?.document === doc && editor.selection.active.line === st.lastEditLine;
      if (since < HOLD_BACK_MS && onLine) {
        held = st.lastEditLine;
        if (st.holdTimer) clearTimeout(st.holdTimer);
        st.holdTimer = setTimeout(() => {
          st.holdTimer = undefined;
          st.lastEditLine = undefined;
          this.publish(doc, st);
        }, HOLD_BACK_MS - since + 10);
      } else st.lastEditLine = undefined;
    }
    const diags: vscode.Diagnostic[] = [];
    for (const f of st.findings) {
      const range = new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end));
      if (held !== undefined && range.start.line <= held && range.end.line >= held) continue;
      const d = new vscode.Diagnostic(range, f.message, diagnosticSeverity(f.severity));
      d.source = SOURCE;
      d.code = f.rule;
      diags.push(d);
    }
    this.diagnostics.set(doc.uri, diags);
    this.refreshDecorations(doc);
    this.updateEmitter.fire(doc);
  }

  republishAll(): void {
    for (const doc of vscode.workspace.textDocuments) {
      const st = this.states.get(doc.uri.toString());
      if (!st) continue;
      if (!this.isEligible(doc)) this.release(doc);
      else this.publish(doc, st);
    }
  }

  /** Whether the heatmap shows: the workspace's toggled state, else the `plausibility.heatmap` setting. */
  get heatmapVisible(): boolean {
    return this.viewState?.get<boolean>(HEATMAP_STATE_KEY) ?? this.settings.heatmap;
  }

  /** Shows or hides the heatmap in this workspace (view state; the user's settings are not written). */
  async toggleHeatmap(): Promise<boolean> {
    const next = !this.heatmapVisible;
    await this.viewState?.update(HEATMAP_STATE_KEY, next);
    this.refreshDecorations();
    return next;
  }

  /** Re-applies heatmap decorations to the visible editors (of one document, or all). */
  refreshDecorations(only?: vscode.TextDocument): void {
    const mode = this.settings.heatmapMode;
    const cache = new Map<string, vscode.Range[][] | undefined>();
    for (const editor of vscode.window.visibleTextEditors) {
      const doc = editor.document;
      if (only && doc !== only) continue;
      const key = doc.uri.toString();
      const st = this.states.get(key);
      if (!this.heatmapVisible || !st?.result || st.resultVersion !== doc.version) {
        this.heatmap.clear(editor);
        continue;
      }
      if (!cache.has(key)) cache.set(key, Heatmap.ranges(doc, st.result, mode, this.engine.model?.stats));
      this.heatmap.apply(editor, cache.get(key));
    }
  }

  private clearOutputs(doc: vscode.TextDocument, st: DocState): void {
    st.abort?.abort();
    st.result = undefined;
    st.findings = [];
    this.diagnostics.delete(doc.uri);
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === doc) this.heatmap.clear(editor);
  }

  /** Forgets a document: cancels its pass, drops its caches, diagnostics and decorations. */
  release(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const st = this.states.get(key);
    if (!st) return;
    if (st.timer) clearTimeout(st.timer);
    if (st.holdTimer) clearTimeout(st.holdTimer);
    this.clearOutputs(doc, st);
    st.runs = 1;
    this.setBusy(st, false);
    st.scorer.clear();
    this.states.delete(key);
    this.updateEmitter.fire(doc);
  }

  // Accessors for the other modules (hover, code actions, status bar, report).

  resultFor(doc: vscode.TextDocument): DocumentResult | undefined {
    const st = this.states.get(doc.uri.toString());
    return st && st.resultVersion === doc.version ? st.result : undefined;
  }

  scorerFor(doc: vscode.TextDocument): DocumentScorer | undefined {
    const st = this.states.get(doc.uri.toString());
    return st && st.resultVersion === doc.version ? st.scorer : undefined;
  }

  findingsFor(doc: vscode.TextDocument): Finding[] {
    const st = this.states.get(doc.uri.toString());
    return st && st.resultVersion === doc.version ? st.findings : [];
  }

  skippedFor(doc: vscode.TextDocument): SkipReason | undefined {
    return this.states.get(doc.uri.toString())?.skipped;
  }

  isBusy(doc: vscode.TextDocument): boolean {
    return this.states.get(doc.uri.toString())?.busy ?? false;
  }

  /** Whether the language is checked as prose (rather than in comments only). */
  static isProse(languageId: string): boolean {
    return PROSE_LANGUAGES.has(languageId);
  }

  dispose(): void {
    for (const st of this.states.values()) {
      if (st.timer) clearTimeout(st.timer);
      if (st.holdTimer) clearTimeout(st.holdTimer);
      st.abort?.abort();
    }
    this.states.clear();
    for (const d of this.disposables) d.dispose();
  }
}
