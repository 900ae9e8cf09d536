/**
 * The Plausibility language server: the engine and the one lint pipeline in this process, spoken to over LSP by any
 * editor. Started by `plausibility lsp --stdio` (or `node dist/server.js --stdio`). Diagnostics are pushed
 * (textDocument/publishDiagnostics); hovers, quick fixes, commands, $/progress and `plausibility/...` notifications
 * are served as a vscode-languageclient would expect them.
 */
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  InitializeParams,
  InitializeResult,
  MessageType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AllowList, fsPath } from './allowList';
import { executeCommand } from './commands';
import { DocumentHost, DocumentLinting } from './documents';
import { hoverAt, HoverSources, ParagraphTags } from './hover';
import { abortSignalOf } from './cancellation';
import { buildReport } from '../core/scoring/tokenDetail';
import { invalidationBetween } from '../core/settings/schema';
import { codeActions } from './codeActions';
import { ModelHost } from './model';
import { COMMANDS, HEATMAP_NOTIFICATION, MODEL_NOTIFICATION, STATS_REQUEST, STATUS_NOTIFICATION, type StatsResult } from './protocol';
import { normalizeLanguageId, readSettings, SECTION, ServerSettings } from './settings';
import { completionsAt } from './generation';

const VERSION = '0.1.0';

interface ClientFeatures {
  configuration: boolean;
  dynamicConfiguration: boolean;
  progress: boolean;
  markdownHover: boolean;
  workspaceFolders: boolean;
  inlineCompletion: boolean;
  /** The client shows model errors and skipped documents itself (plausibility/model, plausibility/status). */
  statusUi: boolean;
}

export function startServer(connection: ProposedFeatures.Connection): void {
  // ORT's telemetry scan of /proc/self/cmdline can overflow the stack (see src/cli/main.ts).
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const documents = new TextDocuments(TextDocument);
  const allowList = new AllowList();
  let client: ClientFeatures = { configuration: false, dynamicConfiguration: false, progress: false, markdownHover: false, workspaceFolders: false, inlineCompletion: false, statusUi: false };
  let settings: ServerSettings = readSettings(null);
  let pushedSettings: unknown = null;
  let settingsReady!: () => void;
  const ready = new Promise<void>((r) => (settingsReady = r));

  const show = (type: MessageType, message: string) => void connection.sendNotification('window/showMessage', { type, message });
  const log = (m: string) => connection.console.log(m);

  async function withProgress<T>(title: string, work: (report: (percent: number, message?: string) => void) => Promise<T>): Promise<T> {
    if (!client.progress) return work(() => undefined);
    const reporter = await connection.window.createWorkDoneProgress().catch(() => undefined);
    if (!reporter) return work(() => undefined);
    reporter.begin(title, 0, undefined, false);
    try {
      return await work((p, message) => (message === undefined ? reporter.report(p) : reporter.report(p, message)));
    } finally {
      reporter.done();
    }
  }

  const models = new ModelHost({
    log,
    error: (m) => (client.statusUi ? log(m) : show(MessageType.Error, m)),
    progress: (title, work) => withProgress(title, () => work()),
    state: (p) => void connection.sendNotification(MODEL_NOTIFICATION, p),
    // A replaced engine is disposed after the passes using it (only ever called once `lint` exists).
    retire: (e) => lint.exclusive(() => e.dispose()),
  });
  const engine = async () => {
    await ready;
    return settings.enabled ? models.ensure(settings) : undefined;
  };

  const host: DocumentHost = {
    settings: () => settings,
    ready: () => ready,
    engine,
    publish: (uri, version, diagnostics) => void connection.sendDiagnostics({ uri, version: version >= 0 ? version : undefined, diagnostics }),
    heatmap: (p) => void connection.sendNotification(HEATMAP_NOTIFICATION, p),
    status: (p) => void connection.sendNotification(STATUS_NOTIFICATION, p),
    warn: (m) => (client.statusUi ? log(m) : show(MessageType.Warning, m)),
    log,
    progress: withProgress,
  };
  const lint = new DocumentLinting(documents, host, allowList);

  /** Pulls `plausibility` settings when the client serves workspace/configuration; a null answer means defaults. */
  async function refreshSettings(): Promise<void> {
    let value: unknown = pushedSettings;
    if (client.configuration) {
      try {
        value = await connection.workspace.getConfiguration({ section: SECTION });
      } catch (e) {
        log(`workspace/configuration failed: ${(e as Error).message}`);
      }
    }
    settings = readSettings(value);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const c = params.capabilities;
    client = {
      configuration: c.workspace?.configuration === true,
      dynamicConfiguration: c.workspace?.didChangeConfiguration?.dynamicRegistration === true,
      progress: c.window?.workDoneProgress === true,
      markdownHover: c.textDocument?.hover?.contentFormat?.includes('markdown') === true,
      workspaceFolders: c.workspace?.workspaceFolders === true,
      inlineCompletion: (c.textDocument as { inlineCompletion?: unknown } | undefined)?.inlineCompletion !== undefined,
      statusUi: false,
    };
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    allowList.setFolders(folders.map(fsPath).filter((p): p is string => !!p));
    const init = params.initializationOptions as { settings?: unknown; statusUi?: unknown } | undefined;
    if (init && typeof init === 'object' && init.settings !== undefined) pushedSettings = init.settings;
    client.statusUi = init?.statusUi === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        ...(client.inlineCompletion ? { inlineCompletionProvider: true } : {}),
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        executeCommandProvider: { commands: Object.values(COMMANDS) },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'plausibility', version: VERSION },
    };
  });

  connection.onInitialized(async () => {
    if (client.configuration && client.dynamicConfiguration)
      void connection.client.register(DidChangeConfigurationNotification.type, { section: SECTION }).catch(() => undefined);
    if (client.workspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders(async () => {
        const folders = (await connection.workspace.getWorkspaceFolders()) ?? [];
        allowList.setFolders(folders.map((f) => fsPath(f.uri)).filter((p): p is string => !!p));
        lint.republishAll();
      });
    }
    await refreshSettings();
    settingsReady();
    void engine(); // load the model now, not at the first document
  });

  // The one settings schema says what a change makes stale: the model, the findings, or only what is published.
  // Changes are handled one after another, each against the settings the previous one left.
  let settingsChange = Promise.resolve();
  connection.onDidChangeConfiguration((change) => {
    const pushed = (change.settings as Record<string, unknown> | null | undefined)?.[SECTION];
    if (pushed !== undefined) pushedSettings = pushed;
    settingsChange = settingsChange.then(async () => {
      await ready;
      const before = settings;
      await refreshSettings();
      const what = invalidationBetween(before.read, settings.read);
      if (what === 'reload' || (settings.enabled && !before.enabled)) {
        if (settings.enabled) await models.ensure(settings, true);
        lint.scheduleAll();
      } else if (what === 'rescore') lint.scheduleAll();
      else if (what === 'republish') lint.republishAll();
    }).catch((e) => log(`settings change failed: ${(e as Error)?.stack ?? String(e)}`));
  });

  // The allow-list file changed on disk (clients that watch it for us).
  connection.onDidChangeWatchedFiles(() => lint.republishAll());

  // Whether to check depends on the settings: decide only once they are read.
  documents.onDidOpen((e) => {
    void ready.then(() => {
      if (settings.checkFrequency === 'save') lint.schedule(e.document.uri, 0);
    });
  });
  documents.onDidChangeContent((e) => {
    void ready.then(() => {
      if (settings.checkFrequency === 'edit') lint.schedule(e.document.uri, e.document.version <= 1 ? 0 : settings.debounceMs);
    });
  });
  documents.onDidSave((e) => {
    void ready.then(() => {
      if (settings.checkFrequency === 'save') lint.schedule(e.document.uri, 0);
    });
  });
  documents.onDidClose((e) => lint.close(e.document.uri));

  const paragraphTags = new ParagraphTags();
  const hoverSources: HoverSources = {
    findings: (doc) => lint.findings(doc),
    blocks: (doc) => lint.result(doc)?.blocks,
    heatmap: () => settings.heatmap,
    engine: () => models.current,
    idle: () => lint.idle(),
    exclusive: (work) => lint.exclusive(work),
  };
  connection.onHover((p, token) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? hoverAt(doc, doc.offsetAt(p.position), hoverSources, paragraphTags, client.markdownHover, abortSignalOf(token)) : null;
  });

  connection.onCodeAction((p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return [];
    return codeActions(doc, lint.findings(doc), p, allowList.folderFor(doc.uri) !== undefined);
  });

  connection.onExecuteCommand((p, token) =>
    executeCommand(
      {
        engine,
        retryFailedModel: async () => {
          await ready;
          if (settings.enabled && models.lastError) await models.ensure(settings, true);
        },
        settings: () => settings,
        linting: lint,
        info: (m) => show(MessageType.Info, m),
        error: (m) => show(MessageType.Error, m),
        progress: (title, work) => withProgress(title, (report) => work((message, percent) => report(percent ?? 0, message))),
        report: (uri) => {
          const doc = documents.get(uri);
          const r = doc && lint.result(doc);
          if (!doc || !r) return null;
          const totals = { tokens: r.tokens, perplexity: r.perplexity, findings: lint.findings(doc).length };
          return buildReport(r.blocks, totals, (o) => doc.positionAt(o).line);
        },
      },
      p.command,
      p.arguments ?? [],
      token,
    ),
  );

  // Ranked continuations at the end of a line, for clients with inline completions (off unless the setting is on).
  connection.languages.inlineCompletion.on(async (p, token) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc || !settings.inlineCompletions || !settings.languages.includes(normalizeLanguageId(doc.languageId))) return [];
    // A short pause first: most keystrokes cancel the request before the model runs.
    await new Promise((r) => setTimeout(r, 150));
    const engine = models.current;
    if (!engine || token.isCancellationRequested) return [];
    const ranked = await lint.exclusive(() => completionsAt(engine, doc.getText(), doc.offsetAt(p.position), abortSignalOf(token))).catch(() => []);
    return ranked.map((c) => ({ insertText: c.text, range: { start: p.position, end: p.position } }));
  });

  connection.onRequest(STATS_REQUEST, (): StatsResult => {
    const m = process.memoryUsage();
    return { ...lint.stats(), rssMb: m.rss / 1048576, heapUsedMb: m.heapUsed / 1048576 };
  });

  connection.onShutdown(() => models.dispose());

  documents.listen(connection);
  connection.listen();
}

/** Starts the server on the transport named in process.argv (--stdio, --node-ipc, --socket=N); stdio by default. */
export function startFromArgv(): void {
  if (!process.argv.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe')))
    process.argv.push('--stdio');
  startServer(createConnection(ProposedFeatures.all));
}
