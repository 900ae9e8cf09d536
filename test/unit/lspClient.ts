/**
 * A small LSP client for tests: starts `node dist/cli.js lsp --stdio` and speaks JSON-RPC to it over pipes. It
 * answers workspace/configuration with what the test gives (null by default: a client that knows no settings) and
 * records every notification, so tests wait for messages, never for time.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { CancellationToken, createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './helpers';

export interface Notification {
  method: string;
  params: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface LspClientOptions {
  /** The answer to each workspace/configuration item (null: no settings). */
  configuration?: unknown;
  /** Announce window.workDoneProgress (the server then reports $/progress). */
  progress?: boolean;
  /** Workspace folder (file-system path). */
  folder?: string;
  /** Announce textDocument.inlineCompletion (LSP 3.18). */
  inlineCompletion?: boolean;
}

export class LspClient {
  readonly notifications: Notification[] = [];
  readonly requests: Notification[] = [];
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  configuration: unknown;

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: MessageConnection,
    opts: LspClientOptions,
  ) {
    this.configuration = opts.configuration ?? null;
  }

  /** The server's answer to initialize. */
  capabilities: any; // eslint-disable-line @typescript-eslint/no-explicit-any

  static async start(opts: LspClientOptions = {}): Promise<LspClient> {
    const proc = spawn(process.execPath, [CLI, 'lsp', '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stderr!.on('data', () => undefined);
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const c = new LspClient(proc, conn, opts);
    conn.onNotification((method: string, params: unknown) => c.record(c.notifications, method, params));
    // vscode-jsonrpc routes $/progress to progress handlers, never to the catch-all above.
    conn.onUnhandledProgress((params) => c.record(c.notifications, '$/progress', params));
    conn.onRequest((method: string, params: any) => {
      c.record(c.requests, method, params);
      if (method === 'workspace/configuration') return params.items.map(() => c.configuration);
      return null;
    });
    conn.listen();
    const init: any = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: opts.folder ? pathToFileURL(opts.folder).href : null,
      workspaceFolders: opts.folder ? [{ uri: pathToFileURL(opts.folder).href, name: 'ws' }] : null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false }, workspaceFolders: !!opts.folder },
        window: { workDoneProgress: opts.progress === true },
        textDocument: {
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { versionSupport: true },
          ...(opts.inlineCompletion ? { inlineCompletion: {} } : {}),
        },
      },
    });
    c.capabilities = init.capabilities;
    await conn.sendNotification('initialized', {});
    return c;
  }

  private record(list: Notification[], method: string, params: unknown): void {
    list.push({ method, params });
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the first notification (recorded or future) that matches. */
  async waitFor(pred: (n: Notification) => boolean, what = 'a notification'): Promise<Notification> {
    for (;;) {
      const hit = this.notifications.find(pred);
      if (hit) return hit;
      if (this.proc.exitCode !== null) throw new Error(`the server exited (${this.proc.exitCode}) while waiting for ${what}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Diagnostics published for this document version. */
  async diagnostics(uri: string, version = this.versions.get(uri) ?? 1): Promise<any[]> {
    const n = await this.waitFor((x) => x.method === 'textDocument/publishDiagnostics' && x.params.uri === uri && x.params.version === version, `diagnostics of ${uri} v${version}`);
    return n.params.diagnostics;
  }

  open(uri: string, text: string, languageId = 'markdown'): void {
    this.versions.set(uri, 1);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Replaces the whole text (a full-document change); returns the new version. */
  change(uri: string, text: string): number {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  /** Sends a request; cancelling `token` sends $/cancelRequest (the promise still settles with the server's answer). */
  request<T = any>(method: string, params: unknown, token?: CancellationToken): Promise<T> {
    return (token ? this.conn.sendRequest(method, params, token) : this.conn.sendRequest(method, params)) as Promise<T>;
  }

  notify(method: string, params: unknown): void {
    void this.conn.sendNotification(method, params);
  }

  /** shutdown + exit; resolves with the server's exit code. */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((r) => (this.proc.exitCode !== null ? r(this.proc.exitCode) : this.proc.once('exit', (code) => r(code))));
    try {
      await this.request('shutdown', null);
      this.notify('exit', null);
    } catch {
      this.proc.kill();
    }
    const code = await exited;
    this.conn.dispose();
    return code;
  }
}
