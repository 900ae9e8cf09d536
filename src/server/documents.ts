/**
 * Linting open documents: one incremental DocumentLinter per document (blocks an edit did not touch are not scored
 * again), passes debounced after edits and run one at a time (one engine), and a pass made stale by a newer edit
 * cancelled at its next block. Findings are published only for the version they were computed on.
 */
import type { Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Engine } from '../core/engine';
import type { Finding } from '../core/lint/finding';
import { DocumentLinter, LintCancelledError, LintResult } from '../core/lint/linter';
import { PrefixCache } from '../core/scoring/blockScore';
import { skipReason, SkipReason } from '../core/text/limits';
import { AllowList, spanKey } from './allowList';
import { toDiagnostic } from './diagnostics';
import { heatmapTokens, HEATMAP_LABELS } from './heatmap';
import type { CacheStats, HeatmapParams, StatusParams } from './protocol';
import { normalizeLanguageId, ServerSettings } from './settings';

/** A first pass over more blocks than this reports $/progress. */
const LONG_PASS_BLOCKS = 8;

export interface DocumentHost {
  settings(): ServerSettings;
  /** Resolves once the client's settings have been read (nothing is decided on the defaults before). */
  ready(): Promise<void>;
  engine(): Promise<Engine | undefined>;
  publish(uri: string, version: number, diagnostics: Diagnostic[]): void;
  heatmap(params: HeatmapParams): void;
  status(params: StatusParams): void;
  /** A message to the user (window/showMessage, type Warning). */
  warn(message: string): void;
  log(message: string): void;
  /** Runs work under a $/progress token; `report` takes a percentage. */
  progress<T>(title: string, work: (report: (percent: number) => void) => Promise<T>): Promise<T>;
}

export interface DocumentSource {
  get(uri: string): TextDocument | undefined;
}

class DocumentState {
  linter: DocumentLinter | undefined;
  engine: Engine | undefined;
  timer: NodeJS.Timeout | undefined;
  controller: AbortController | undefined;
  /** The last pass, the text and version it was made on, and its findings less the suppressed ones. */
  result: LintResult | undefined;
  text = '';
  version = -1;
  findings: Finding[] = [];
  ignored = new Set<string>();
  skipped: string | undefined;
  passes = 0;
}

export function describeSkip(r: SkipReason): string {
  if (r.kind === 'too-long') return `it has ${r.length} characters, over the maxFileLength of ${r.max}`;
  if (r.kind === 'binary') return 'it looks like binary data';
  return 'it has a line too long to be prose (minified data?)';
}

export class DocumentLinting {
  private readonly states = new Map<string, DocumentState>();
  private queue: Promise<void> = Promise.resolve();
  /** Passes and commands queued or running. */
  private pending = 0;
  private prefixes: { engine: Engine; cache: PrefixCache } | undefined;

  constructor(
    private readonly documents: DocumentSource,
    private readonly host: DocumentHost,
    readonly allowList: AllowList,
  ) {}

  private state(uri: string): DocumentState {
    let s = this.states.get(uri);
    if (!s) this.states.set(uri, (s = new DocumentState()));
    return s;
  }

  /** Lints the document after `delayMs` of quiet; cancels its pending and running passes. Only open documents. */
  schedule(uri: string, delayMs = 0): void {
    if (!this.documents.get(uri)) return;
    const s = this.state(uri);
    clearTimeout(s.timer);
    s.controller?.abort();
    s.timer = setTimeout(() => this.enqueue(uri), delayMs);
  }

  /** Every open document, now (settings or model changed); with checkFrequency `manual`, only those checked before. */
  scheduleAll(): void {
    const manual = this.host.settings().checkFrequency === 'manual';
    for (const [uri, s] of this.states) if (!manual || s.result) this.schedule(uri);
  }

  /** Checks a document now, from scratch (its block cache dropped): the Rescore command. */
  rescore(uri: string): boolean {
    const s = this.documents.get(uri) && this.state(uri);
    if (!s) return false;
    s.linter = undefined;
    this.schedule(uri, 0);
    return true;
  }

  /** What the caches hold (bench:soak waits for them to reach their steady size before measuring). */
  stats(): CacheStats {
    let cachedBlocks = 0;
    let cachedChecks = 0;
    for (const s of this.states.values()) {
      cachedBlocks += s.linter?.cachedBlocks ?? 0;
      cachedChecks += s.linter?.cachedChecks ?? 0;
    }
    return { documents: this.states.size, cachedBlocks, cachedChecks, prefixBytes: this.prefixes?.cache.heldBytes ?? 0 };
  }

  /** Whether no pass or command is queued or running. */
  idle(): boolean {
    return this.pending === 0;
  }

  close(uri: string): void {
    const s = this.states.get(uri);
    if (!s) return;
    clearTimeout(s.timer);
    s.controller?.abort();
    this.states.delete(uri);
    this.host.publish(uri, -1, []);
  }

  /** The open document (its current text and language). */
  document(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  /** Findings of the last pass, or [] when the document changed since (their offsets would be stale). */
  findings(doc: TextDocument): Finding[] {
    const s = this.states.get(doc.uri);
    return s && s.version === doc.version ? s.findings : [];
  }

  /** The last pass of the document as it is now (blocks and totals for hovers and the report), or undefined. */
  result(doc: TextDocument): LintResult | undefined {
    const s = this.states.get(doc.uri);
    return s && s.version === doc.version ? s.result : undefined;
  }

  /** Ignores the findings on this span of the last pass's text; returns the span's key (for restoring it later). */
  ignoreSpan(uri: string, start: number, end: number): string | undefined {
    const s = this.states.get(uri);
    if (!s?.result) return undefined;
    const key = spanKey(s.text, { start, end });
    s.ignored.add(key);
    this.publish(uri);
    return key;
  }

  /** Ignores spans by key (a client restoring what the user ignored in an earlier session). */
  restoreIgnored(uri: string, keys: string[]): void {
    if (!this.documents.get(uri)) return;
    const s = this.state(uri);
    for (const k of keys) s.ignored.add(k);
    this.publish(uri);
  }

  clearIgnored(uri: string): void {
    const s = this.states.get(uri);
    if (!s) return;
    s.ignored.clear();
    this.publish(uri);
  }

  /** Publishes every document's findings again (the allow-list or the heatmap setting changed). */
  republishAll(): void {
    for (const uri of this.states.keys()) this.publish(uri);
  }

  /** Runs `work` between passes: the engine serves one caller at a time (commands wait their turn). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(work).finally(() => this.pending--);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private enqueue(uri: string): void {
    const s = this.state(uri);
    const controller = new AbortController();
    s.controller = controller;
    void this.exclusive(() => this.run(uri, s, controller.signal)).catch((e) => this.host.log(`lint of ${uri} failed: ${(e as Error)?.stack ?? String(e)}`));
  }

  private prefixCache(engine: Engine): PrefixCache {
    if (this.prefixes?.engine !== engine) this.prefixes = { engine, cache: new PrefixCache(engine) };
    return this.prefixes.cache;
  }

  private clearDocument(uri: string, s: DocumentState, version: number): void {
    s.result = undefined;
    s.findings = [];
    s.version = version;
    this.host.publish(uri, version, []);
    this.sendHeatmap(uri, version, []);
  }

  /** The document's heatmap buckets in the current mode (none: the client clears its decorations). */
  private sendHeatmap(uri: string, version: number, tokens: number[]): void {
    const mode = this.host.settings().heatmapMode;
    this.host.heatmap({ uri, version, mode, labels: HEATMAP_LABELS[mode], tokens });
  }

  private async run(uri: string, s: DocumentState, signal: AbortSignal): Promise<void> {
    await this.host.ready();
    const doc = this.documents.get(uri);
    if (signal.aborted || !doc || this.states.get(uri) !== s) return;
    const settings = this.host.settings();
    const languageId = normalizeLanguageId(doc.languageId);
    if (!settings.enabled || !settings.languages.includes(languageId)) return this.clearDocument(uri, s, doc.version);
    const text = doc.getText();
    const version = doc.version;
    const skip = skipReason(text, settings.maxFileLength);
    if (skip) {
      const reason = `Plausibility skipped ${uri}: ${describeSkip(skip)}.`;
      if (s.skipped !== reason) this.host.warn(reason);
      s.skipped = reason;
      this.host.status({ uri, state: 'skipped', reason });
      return this.clearDocument(uri, s, version);
    }
    s.skipped = undefined;
    const engine = await this.host.engine();
    if (!engine) {
      this.host.status({ uri, state: 'no-model' });
      return this.clearDocument(uri, s, version);
    }
    if (s.engine !== engine || !s.linter) {
      s.linter = new DocumentLinter(engine, this.prefixCache(engine));
      s.engine = engine;
    }
    const linter = s.linter;
    let result: LintResult;
    try {
      // A first pass over a long document shows progress: one step per block still to score.
      const prepared = s.passes === 0 ? linter.prepare(text, languageId) : undefined;
      const blocks = prepared ? linter.unscoredBlocks(prepared) : 0;
      if (blocks > LONG_PASS_BLOCKS) {
        result = await this.host.progress('Plausibility: checking the document', (report) => {
          let done = 0;
          return linter.lint(text, languageId, settings.lint, { signal, prepared, onBlock: () => report(Math.round((100 * ++done) / blocks)) });
        });
      } else {
        result = await linter.lint(text, languageId, settings.lint, { signal });
      }
    } catch (e) {
      if (e instanceof LintCancelledError) return;
      throw e;
    }
    s.passes++;
    // A newer edit has its own pass coming: publishing these offsets would misplace them.
    if (signal.aborted || this.documents.get(uri)?.version !== version || this.states.get(uri) !== s) return;
    s.result = result;
    s.text = text;
    s.version = version;
    this.publish(uri);
  }

  private publish(uri: string): void {
    const s = this.states.get(uri);
    const doc = this.documents.get(uri);
    if (!s?.result || !doc || doc.version !== s.version) return;
    s.findings = this.allowList.filter(uri, s.text, s.result.findings, s.ignored);
    this.host.publish(uri, s.version, s.findings.map((f) => toDiagnostic(doc, f)));
    this.host.status({ uri, state: 'ok', perplexity: s.result.perplexity, tokens: s.result.tokens });
    const settings = this.host.settings();
    if (settings.heatmap) this.sendHeatmap(uri, s.version, heatmapTokens(s.text, s.result.blocks, settings.heatmapMode, s.engine?.stats));
  }
}
