/**
 * The benchmarks' LSP client: starts the language server (`node dist/server.js --stdio`) as a child process and speaks
 * JSON-RPC to it over stdio, as an editor does. Settings go in initializationOptions; documents are opened, changed
 * (one minimal range per change, incremental sync as the server asks) and closed; `waitForDiagnostics` resolves with
 * the publishDiagnostics of one document version and the time it arrived. Also: the server's pid and resident set
 * (/proc/<pid>/status), an optional garbage-collection hook in the server process (bench:soak), shutdown and exit.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { SERVER_ENV } from '../src/server/protocol';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  InitializeResult,
  LogMessageNotification,
  MessageType,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentContentChangeEvent,
  TextDocumentSyncKind,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';

export interface LspSessionOptions {
  /** The server's `plausibility` settings (initializationOptions.settings, and the answer to workspace/configuration). */
  settings?: Record<string, unknown>;
  /** Default: dist/server.js beside dist/bench/. */
  serverPath?: string;
  /** Announce window.workDoneProgress, as editors do (the server then brackets long passes with $/progress). Default true. */
  progress?: boolean;
  /** The server's window/logMessage and window/showMessage messages, and its stderr lines. */
  onMessage?: (type: MessageType, message: string) => void;
  /**
   * Start the server with --expose-gc and a preload that runs a full collection on SIGUSR2 and reports its heap on
   * stderr (see {@link LspSession.collectGarbage}). Nothing else in the server changes.
   */
  gcHook?: boolean;
}

/** One publishDiagnostics, with performance.now() of its arrival in this process. */
export interface Published {
  params: PublishDiagnosticsParams;
  at: number;
}

/** What the garbage-collection hook reported. */
export interface ServerHeap {
  gcRan: boolean;
  heapUsedMb: number;
  externalMb: number;
  rssMb: number;
}

interface Waiter {
  version: number;
  resolve: (p: Published) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const GC_TAG = 'plausibility-bench-gc';
const GC_PRELOAD = `process.on('SIGUSR2', () => {
  const ran = typeof globalThis.gc === 'function';
  if (ran) globalThis.gc();
  const m = process.memoryUsage();
  process.stderr.write('${GC_TAG} ran=' + ran + ' heapUsed=' + m.heapUsed + ' external=' + m.external + ' rss=' + m.rss + '\\n');
});
`;

/** The one range change that turns `doc`'s text into `text` (common prefix and suffix left out). */
function minimalChange(doc: TextDocument, text: string): TextDocumentContentChangeEvent | undefined {
  const old = doc.getText();
  if (old === text) return undefined;
  const max = Math.min(old.length, text.length);
  let s = 0;
  while (s < max && old.charCodeAt(s) === text.charCodeAt(s)) s++;
  let e = 0;
  while (e < max - s && old.charCodeAt(old.length - 1 - e) === text.charCodeAt(text.length - 1 - e)) e++;
  // Never split a \r\n (a position cannot lie between them).
  if (s > 0 && old[s - 1] === '\r' && old[s] === '\n') s--;
  if (e > 0 && old[old.length - e - 1] === '\r' && old[old.length - e] === '\n') e--;
  return { range: { start: doc.positionAt(s), end: doc.positionAt(old.length - e) }, text: text.slice(s, text.length - e) };
}

export class LspSession {
  readonly initializeResult: InitializeResult;
  private readonly docs = new Map<string, TextDocument>();
  /** Last version sent per URI; it survives a close, so a reopened document continues the numbering. */
  private readonly versions = new Map<string, number>();
  private readonly latest = new Map<string, Published>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly diagnosticsListeners: ((p: Published) => void)[] = [];
  private readonly logListeners: ((type: MessageType, message: string, at: number) => void)[] = [];
  private readonly gcWaiters: ((h: ServerHeap) => void)[] = [];
  private lastHeap: ServerHeap | undefined;
  private loaded: { dir: string; provider: string; at: number } | undefined;
  private exitCode: number | null | undefined;
  private stopping = false;
  readonly exited: Promise<number | null>;
  private incremental: boolean;

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: ProtocolConnection,
    initializeResult: InitializeResult,
    private readonly tempDir: string | undefined,
    exited: Promise<number | null>,
  ) {
    this.initializeResult = initializeResult;
    this.exited = exited;
    const sync = initializeResult.capabilities.textDocumentSync;
    const change = typeof sync === 'number' ? sync : sync?.change;
    this.incremental = change === TextDocumentSyncKind.Incremental;
    this.onLog((_type, message, at) => {
      const hit = /^model (.+) loaded \((.+)\)$/.exec(message);
      if (hit) this.loaded = { dir: hit[1], provider: hit[2], at };
    });
  }

  /** Spawns the server, initializes it (capabilities of an editor) and sends `initialized`. */
  static async start(opts: LspSessionOptions = {}): Promise<LspSession> {
    const serverPath = opts.serverPath ?? join(__dirname, '..', 'server.js');
    const settings = opts.settings ?? {};
    let tempDir: string | undefined;
    const nodeArgs: string[] = [];
    if (opts.gcHook) {
      tempDir = mkdtempSync(join(tmpdir(), 'plausibility-bench-'));
      writeFileSync(join(tempDir, 'gc.js'), GC_PRELOAD);
      nodeArgs.push('--expose-gc', '--require', join(tempDir, 'gc.js'));
    }
    const proc = spawn(process.execPath, [...nodeArgs, serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...SERVER_ENV } });
    const exited = new Promise<number | null>((resolve) => {
      proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      proc.once('error', (e) => {
        process.stderr.write(`cannot start the language server: ${e.message}\n`);
        resolve(-1);
      });
    });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    // Messages that arrive before the session exists (during initialize) are replayed to its listeners.
    let session: LspSession | undefined;
    const early: { type: MessageType; message: string; at: number }[] = [];
    const message = (type: MessageType, text: string) => {
      const at = performance.now();
      opts.onMessage?.(type, text);
      if (session) for (const l of session.logListeners) l(type, text, at);
      else early.push({ type, message: text, at });
    };
    let stderrRest = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      const lines = (stderrRest + chunk).split('\n');
      stderrRest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(GC_TAG) && session) session.onGcLine(line);
        else if (line.trim()) message(MessageType.Log, `[server stderr] ${line}`);
      }
    });
    conn.onNotification(PublishDiagnosticsNotification.type, (params) => session?.onPublish({ params, at: performance.now() }));
    conn.onNotification(LogMessageNotification.type, (p) => message(p.type, p.message));
    conn.onNotification(ShowMessageNotification.type, (p) => message(p.type, p.message));
    conn.onUnhandledNotification(() => undefined); // plausibility/status, plausibility/heatmap
    conn.onRequest(ConfigurationRequest.type, (p) => p.items.map((i) => (i.section === undefined || i.section === 'plausibility' ? settings : null)));
    conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
    conn.onRequest(RegistrationRequest.type, () => undefined);
    conn.listen();
    const failed = exited.then((code) => {
      throw new Error(`the language server exited (code ${code}) during initialize`);
    });
    const init = await Promise.race([
      conn.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        workspaceFolders: null,
        initializationOptions: { settings },
        capabilities: {
          window: { workDoneProgress: opts.progress ?? true },
          textDocument: {
            synchronization: { didSave: false, dynamicRegistration: false },
            publishDiagnostics: { versionSupport: true },
            hover: { contentFormat: ['markdown', 'plaintext'] },
          },
        },
      }),
      failed,
    ]);
    failed.catch(() => undefined);
    session = new LspSession(proc, conn, init, tempDir, exited);
    for (const m of early) for (const l of session.logListeners) l(m.type, m.message, m.at);
    exited.then((code) => session!.onExit(code));
    await conn.sendNotification(InitializedNotification.type, {});
    return session;
  }

  /** The server's process id. */
  get pid(): number {
    return this.proc.pid!;
  }

  /** Called with every publishDiagnostics (after waiters are settled). */
  onDiagnostics(listener: (p: Published) => void): void {
    this.diagnosticsListeners.push(listener);
  }

  /** Called with every window/logMessage, window/showMessage and server stderr line, with its arrival time. */
  onLog(listener: (type: MessageType, message: string, at: number) => void): void {
    this.logListeners.push(listener);
  }

  /**
   * Resolves when the server logs that it loaded a model (`model DIR loaded (PROVIDER)`), with the time the line
   * arrived. Informational: the line is the server's log, not a protocol message.
   */
  modelLoaded(): Promise<{ dir: string; provider: string; at: number }> {
    if (this.loaded) return Promise.resolve(this.loaded);
    return new Promise((resolve) => this.onLog(() => this.loaded && resolve(this.loaded)));
  }

  /** What {@link modelLoaded} resolves with, if the line has arrived. */
  get model(): { dir: string; provider: string; at: number } | undefined {
    return this.loaded;
  }

  /** textDocument/didOpen; returns the version sent (1, or one past the last version of a reopened URI). */
  open(uri: string, text: string, languageId = 'markdown'): number {
    if (this.docs.has(uri)) throw new Error(`${uri} is already open`);
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    this.docs.set(uri, TextDocument.create(uri, languageId, version, text));
    void this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
    return version;
  }

  /**
   * textDocument/didChange to `text`: one range change covering what differs (the whole text if the server asked for
   * full sync). Returns the new version, or undefined when the text is unchanged (nothing sent).
   */
  change(uri: string, text: string): number | undefined {
    const doc = this.doc(uri);
    const change = minimalChange(doc, text);
    if (!change) return undefined;
    return this.send(uri, doc, this.incremental ? change : { text });
  }

  /** Replaces the UTF-16 offsets [start, end) of the document with `text`; returns the new version. */
  replace(uri: string, start: number, end: number, text: string): number {
    const doc = this.doc(uri);
    const change = { range: { start: doc.positionAt(start), end: doc.positionAt(end) }, text };
    const full = doc.getText();
    return this.send(uri, doc, this.incremental ? change : { text: full.slice(0, start) + text + full.slice(end) });
  }

  private send(uri: string, doc: TextDocument, change: TextDocumentContentChangeEvent): number {
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    TextDocument.update(doc, [change], version);
    void this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
    return version;
  }

  /** textDocument/didClose (the server answers with an empty publishDiagnostics without a version). */
  close(uri: string): void {
    this.doc(uri);
    this.docs.delete(uri);
    for (const w of this.waiters.get(uri) ?? []) {
      clearTimeout(w.timer);
      w.reject(new Error(`${uri} was closed before the diagnostics of v${w.version}`));
    }
    this.waiters.delete(uri);
    this.latest.delete(uri);
    void this.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The text and version of an open document, as this side last sent them. */
  text(uri: string): string {
    return this.doc(uri).getText();
  }

  version(uri: string): number {
    return this.doc(uri).version;
  }

  isOpen(uri: string): boolean {
    return this.docs.has(uri);
  }

  private doc(uri: string): TextDocument {
    const d = this.docs.get(uri);
    if (!d) throw new Error(`${uri} is not open`);
    return d;
  }

  /** The publishDiagnostics of this document version (already arrived or to come). */
  waitForDiagnostics(uri: string, version: number, timeoutMs = 600_000): Promise<Published> {
    const hit = this.latest.get(uri);
    if (hit && hit.params.version === version) return Promise.resolve(hit);
    if (this.exitCode !== undefined) return Promise.reject(new Error(`the language server has exited (code ${this.exitCode})`));
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(uri) ?? [];
      this.waiters.set(uri, list);
      const w: Waiter = {
        version,
        resolve,
        reject,
        timer: setTimeout(() => {
          list.splice(list.indexOf(w), 1);
          reject(new Error(`no diagnostics for ${uri} v${version} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      list.push(w);
    });
  }

  private onPublish(p: Published): void {
    const { uri, version } = p.params;
    if (this.docs.has(uri)) this.latest.set(uri, p);
    const list = this.waiters.get(uri);
    if (list && typeof version === 'number') {
      for (const w of [...list]) {
        if (w.version === version) w.resolve(p);
        // A newer version's diagnostics: the server will not publish this one any more.
        else if (w.version < version) w.reject(new Error(`diagnostics of ${uri} v${version} came before those of v${w.version}`));
        else continue;
        clearTimeout(w.timer);
        list.splice(list.indexOf(w), 1);
      }
    }
    for (const l of this.diagnosticsListeners) l(p);
  }

  private onExit(code: number | null): void {
    this.exitCode = code;
    if (!this.stopping) {
      for (const [uri, list] of this.waiters) {
        for (const w of list) {
          clearTimeout(w.timer);
          w.reject(new Error(`the language server exited (code ${code}) before the diagnostics of ${uri} v${w.version}`));
        }
      }
      this.waiters.clear();
    }
    for (const g of this.gcWaiters.splice(0)) g({ gcRan: false, heapUsedMb: NaN, externalMb: NaN, rssMb: NaN });
  }

  /** Whether the server process is still running. */
  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** The server process's resident set in MB, from /proc/<pid>/status (VmRSS); NaN where that cannot be read. */
  serverRssMb(): number {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      if (m) return Number(m[1]) / 1024;
    } catch {
      // not Linux, or the process is gone
    }
    return this.lastHeap?.rssMb ?? NaN;
  }

  private onGcLine(line: string): void {
    const num = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(line)?.[1] ?? NaN) / 1048576;
    const h: ServerHeap = { gcRan: / ran=true/.test(line), heapUsedMb: num('heapUsed'), externalMb: num('external'), rssMb: num('rss') };
    this.lastHeap = h;
    for (const g of this.gcWaiters.splice(0)) g(h);
  }

  /**
   * A full collection in the server process (needs `gcHook`): SIGUSR2, answered on the server's stderr once its event
   * loop gets to it (between passes). Resolves with its heap after the collection, or undefined without the hook or
   * after `timeoutMs`.
   */
  async collectGarbage(timeoutMs = 30_000): Promise<ServerHeap | undefined> {
    if (!this.tempDir || !this.alive) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<ServerHeap | undefined>((resolve) => {
      this.gcWaiters.push(resolve);
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    this.proc.kill('SIGUSR2');
    const h = await answer;
    clearTimeout(timer);
    return h;
  }

  /** shutdown, then exit; kills the server if it has not exited within `timeoutMs`. Resolves with its exit code. */
  async shutdown(timeoutMs = 10_000): Promise<number | null> {
    this.stopping = true;
    for (const list of this.waiters.values()) for (const w of list) clearTimeout(w.timer);
    this.waiters.clear();
    if (this.alive) {
      const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
      try {
        await timeout(this.conn.sendRequest(ShutdownRequest.type));
        await this.conn.sendNotification(ExitNotification.type);
      } catch {
        // the connection is gone: the exit below tells
      }
      if ((await timeout(this.exited)) === 'timeout') this.proc.kill('SIGKILL');
    }
    const code = await this.exited;
    this.conn.dispose();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    return code;
  }
}
