/**
 * The language client: starts dist/server.js (the engine and the one lint pipeline, in its own process) and speaks
 * LSP to it. The server's diagnostics, hovers, quick fixes and commands reach VS Code through vscode-languageclient;
 * this module adds only what the editor decides:
 *
 * - the settings answer (workspace trust, paths, the heatmap toggle: ./config);
 * - findings on the line being typed are held back until the writer pauses or leaves the line;
 * - ignored spans persist per document in workspace state (the server keeps them in memory);
 * - command arguments the palette cannot give (the active document, a phrase typed in an input box).
 *
 * A crashed server is restarted by the client (a few times, with a notice once); it reloads the model and the
 * documents are sent again, so they are rescored.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { COMMANDS, SERVER_ENV } from '../server/protocol';
import { checkedLanguages, HeatmapToggle, isChecked, SECTION, serverSettings } from './config';

/** How long after the last keystroke findings on the typed line stay held back. */
const HOLD_BACK_MS = 1500;
const IGNORED_KEY = 'plausibility.ignoredSpans';
const MAX_IGNORED_PER_DOC = 500;
/** Restarts within RESTART_WINDOW_MS before the client gives up (the user can restart it from the menu). */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60_000;

const SCHEMES = ['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-userdata'];

/** Where the client's own providers (rewrites, completions) apply; the server decides per document what it checks. */
export const DOCUMENT_SELECTOR = SCHEMES.map((scheme) => ({ scheme }));

/** The documents sent to the server: the checked languages only, so other files never travel to it. */
export function checkedDocuments(): { scheme: string; language: string }[] {
  return checkedLanguages().flatMap((language) => SCHEMES.map((scheme) => ({ scheme, language })));
}

/** The last single-line edit of a document: its findings on that line wait. */
class TypingLine {
  private readonly lines = new Map<string, { line: number; at: number }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  edited(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const c = e.contentChanges[0];
    if (e.contentChanges.length === 1 && !c.text.includes('\n') && c.range.isSingleLine) this.lines.set(key, { line: c.range.start.line, at: Date.now() });
    else this.lines.delete(key);
  }

  /** The line whose findings wait (and when to publish them), or undefined. */
  held(uri: vscode.Uri): { line: number; waitMs: number } | undefined {
    const t = this.lines.get(uri.toString());
    if (!t) return undefined;
    const since = Date.now() - t.at;
    const editor = vscode.window.activeTextEditor;
    const onLine = editor?.document.uri.toString() === uri.toString() && editor.selection.active.line === t.line;
    if (since < HOLD_BACK_MS && onLine) return { line: t.line, waitMs: HOLD_BACK_MS - since + 10 };
    this.lines.delete(uri.toString());
    return undefined;
  }

  later(uri: vscode.Uri, ms: number, publish: () => void): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      publish();
    }, ms));
  }

  leftLine(editor: vscode.TextEditor): boolean {
    const key = editor.document.uri.toString();
    const t = this.lines.get(key);
    if (!t || editor.selection.active.line === t.line) return false;
    this.lines.delete(key);
    return true;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
  }
}

export interface ClientParts {
  client: LanguageClient;
  /** Restarts the server on the user's request (the crash-restart budget starts again). */
  restart(): Promise<void>;
  /** Sends `workspace/executeCommand` to the server. */
  command<T>(command: string, args: unknown[], token?: vscode.CancellationToken): Promise<T>;
  /** The settings changed (or the heatmap toggle): the server pulls them again. */
  settingsChanged(): void;
  disposables: vscode.Disposable[];
}

export function createClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, heatmap: HeatmapToggle): ClientParts {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const env = { ...process.env, ...SERVER_ENV, ELECTRON_RUN_AS_NODE: '1' };
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { env } },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { env, execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const typing = new TypingLine();
  const state = context.workspaceState;
  const ignoredOf = (uri: string) => state.get<string[]>(`${IGNORED_KEY}:${uri}`, []);
  let lastDiagnostics = new Map<string, vscode.Diagnostic[]>();
  let client!: LanguageClient;
  const restarts: number[] = [];
  let crashReported = false;

  const publishHeld = (uri: vscode.Uri) => {
    const all = lastDiagnostics.get(uri.toString());
    if (!all) return;
    const held = typing.held(uri);
    const shown = held ? all.filter((d) => !(d.range.start.line <= held.line && d.range.end.line >= held.line)) : all;
    client.diagnostics?.set(uri, shown);
    if (held) typing.later(uri, held.waitMs, () => publishHeld(uri));
  };

  const activeUri = () => vscode.window.activeTextEditor?.document.uri.toString();
  const allowListWatcher = vscode.workspace.createFileSystemWatcher('**/.vscode/plausibility-allow.txt');

  const clientOptions: LanguageClientOptions = {
    documentSelector: checkedDocuments(),
    // This client shows model errors and skipped documents itself (status bar, one message with a way out).
    initializationOptions: { statusUi: true },
    // The server re-reads the allow-list when it changes on disk.
    synchronize: { fileEvents: allowListWatcher },
    outputChannel: log,
    diagnosticCollectionName: 'plausibility',
    initializationFailedHandler: (e) => {
      log.error(`the language server failed to start: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    },
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          void vscode.window.showErrorMessage('The Plausibility engine stopped several times and was not restarted. Use "Plausibility: Restart Engine" to try again.');
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        if (!crashReported) {
          crashReported = true;
          void vscode.window.showWarningMessage('The Plausibility engine stopped unexpectedly. It restarts automatically; the editor is not affected.');
        }
        return { action: CloseAction.Restart, handled: true };
      },
    },
    middleware: {
      workspace: {
        // The extension's one configuration listener (./main) tells the server; the library's would repeat it.
        didChangeConfiguration: async () => undefined,
        configuration: (params) => params.items.map((item) => (item.section === SECTION || item.section === undefined ? serverSettings(heatmap, item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined) : null)),
      },
      // Inline completions are off by default: no round trip to the server while they are.
      provideInlineCompletionItems: (doc, position, context, token, next) =>
        vscode.workspace.getConfiguration(SECTION, doc.uri).get<boolean>('inlineCompletions.enabled', false) === true ? next(doc, position, context, token) : undefined,
      handleDiagnostics: (uri, diagnostics, next) => {
        lastDiagnostics.set(uri.toString(), diagnostics);
        if (!typing.held(uri)) return next(uri, diagnostics);
        publishHeld(uri);
      },
      didOpen: async (doc, next) => {
        await next(doc);
        const keys = ignoredOf(doc.uri.toString());
        if (keys.length) await client.sendRequest(ExecuteCommandRequest.type, { command: COMMANDS.restoreIgnoredSpans, arguments: [doc.uri.toString(), keys] });
      },
      didChange: async (e, next) => {
        if (e.contentChanges.length) typing.edited(e);
        await next(e);
      },
      didClose: async (doc, next) => {
        lastDiagnostics.delete(doc.uri.toString());
        await next(doc);
      },
      // Commands from the palette or a menu have no arguments: they act on the active document.
      executeCommand: async (command, args, next) => {
        switch (command) {
          case COMMANDS.rescore:
          case COMMANDS.clearIgnoredSpans: {
            const uri = typeof args[0] === 'string' ? args[0] : args[0] instanceof vscode.Uri ? args[0].toString() : activeUri();
            if (!uri) return undefined;
            const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
            if (command === COMMANDS.rescore && doc && !isChecked(doc)) {
              void vscode.window.showInformationMessage(
                `Plausibility does not check ${doc.languageId} documents. Add "${doc.languageId}" to plausibility.languages to check them.`,
              );
              return undefined;
            }
            if (command === COMMANDS.clearIgnoredSpans) await state.update(`${IGNORED_KEY}:${uri}`, undefined);
            return next(command, [uri]);
          }
          case COMMANDS.ignoreSpan: {
            const uri = String(args[0]);
            const key = (await next(command, [uri, ...args.slice(1)])) as string | null;
            if (key) await state.update(`${IGNORED_KEY}:${uri}`, [...ignoredOf(uri).filter((k) => k !== key), key].slice(-MAX_IGNORED_PER_DOC));
            return key;
          }
          case COMMANDS.addToAllowList: {
            // A file the workspace would then carry: never written in an untrusted workspace.
            if (!vscode.workspace.isTrusted) {
              void vscode.window.showWarningMessage('Plausibility: the allow-list is not changed in an untrusted workspace.');
              return undefined;
            }
            const uri = typeof args[0] === 'string' ? args[0] : activeUri();
            let phrase = typeof args[1] === 'string' ? args[1] : undefined;
            if (!phrase) {
              const editor = vscode.window.activeTextEditor;
              const sel = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
              phrase = await vscode.window.showInputBox({ title: 'Add a phrase to the workspace allow-list', value: sel });
            }
            if (!uri || !phrase?.trim()) return undefined;
            return next(command, [uri, phrase]);
          }
          default:
            return next(command, args);
        }
      },
    },
  };

  client = new LanguageClient('plausibility', 'Plausibility', serverOptions, clientOptions);
  client.registerProposedFeatures(); // textDocument/inlineCompletion
  const disposables: vscode.Disposable[] = [
    allowListWatcher,
    { dispose: () => typing.dispose() },
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (typing.leftLine(e.textEditor)) publishHeld(e.textEditor.document.uri);
    }),
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) lastDiagnostics = new Map();
    }),
  ];
  return {
    client,
    restart: async () => {
      restarts.length = 0;
      crashReported = false;
      await client.restart();
    },
    command: <T>(command: string, args: unknown[], token?: vscode.CancellationToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token) as Promise<T>,
    settingsChanged: () => void client.sendNotification('workspace/didChangeConfiguration', { settings: null }).catch(() => undefined),
    disposables,
  };
}
