/**
 * Extension entry point (bundled as dist/extension.js): a thin language client. The engine, the lint pipeline and
 * every model call run in the language server (dist/server.js, its own process); this side draws decorations, the
 * status bar and the token report, and runs the commands' UI. Each concern lives in its own module.
 */
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import { COMMANDS, HEATMAP_NOTIFICATION, HeatmapParams, MODEL_NOTIFICATION, ModelParams, STATUS_NOTIFICATION, StatusParams } from '../server/protocol';
import type { ReportData } from '../core/scoring/tokenDetail';
import { registerCommands } from './commands';
import { HeatmapToggle, SECTION } from './config';
import { Heatmap } from './heatmap';
import { checkedDocuments, createClient } from './languageClient';
import { registerModelFeatures } from './modelFeatures';
import { ModelManager } from './models';
import { TokenReport } from './report';
import { StatusBar } from './statusBar';

let stop: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Plausibility', { log: true });
  const toggle = new HeatmapToggle(context.workspaceState);
  const { client, command, settingsChanged, restart, disposables } = createClient(context, log, toggle);
  const status = new StatusBar();
  const heatmap = new Heatmap(() => toggle.visible);
  const report = new TokenReport(context.extensionUri, (doc) => command<ReportData | null>(COMMANDS.report, [{ uri: doc.uri.toString() }]));
  let everRunning = false;
  context.subscriptions.push(
    log,
    status,
    heatmap,
    report,
    ...disposables,
    client.onNotification(HEATMAP_NOTIFICATION, (p: HeatmapParams) => heatmap.update(p)),
    client.onNotification(STATUS_NOTIFICATION, (p: StatusParams) => status.setDocument(p)),
    client.onNotification(MODEL_NOTIFICATION, (p: ModelParams) => {
      // The server logs the load itself; providers `auto` tried and skipped are routine.
      for (const s of p.skippedProviders ?? []) log.info(`execution provider ${s.name} unavailable: ${s.reason}; using ${p.provider}`);
      if (p.state === 'error') void offerOtherModel(p.message ?? 'unknown error');
      status.setModel(p);
    }),
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) everRunning = true;
      else heatmap.clearAll(); // the next server sends its own buckets
      status.setEngine(e.newState === State.Running ? 'running' : e.newState === State.Starting ? (everRunning ? 'restarting' : 'starting') : 'stopped');
    }),
    // The one configuration listener: the server pulls the new settings and decides what they make stale.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (e.affectsConfiguration(`${SECTION}.languages`)) {
        // Which documents the server receives is fixed when it starts.
        client.clientOptions.documentSelector = checkedDocuments();
        heatmap.clearAll();
        client.restart().catch((err) => log.error(`restarting the language server failed: ${(err as Error)?.message ?? String(err)}`));
      } else settingsChanged();
      heatmap.refresh();
      status.update();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => settingsChanged()),
    ...registerCommands({
      report,
      log,
      heatmapVisible: () => toggle.visible,
      toggleHeatmap: async () => {
        await toggle.toggle();
        heatmap.refresh();
        settingsChanged();
      },
      restart,
    }),
    ...registerModelFeatures(command, log),
    ...new ModelManager(context, command, log).register(),
  );
  stop = () => client.stop();
  try {
    await client.start();
    log.info('Plausibility activated');
  } catch (e) {
    // The editor keeps working; the status bar says the engine stopped and the menu can restart it.
    log.error(`the language server did not start: ${(e as Error)?.message ?? String(e)}`);
    status.setEngine('stopped');
  }
}

/** A model that cannot be loaded: one message, with a way out. */
async function offerOtherModel(message: string): Promise<void> {
  const choose = 'Choose Model…';
  const bundled = 'Use Bundled Model';
  const pick = await vscode.window.showErrorMessage(`Plausibility could not load the model: ${message}`, choose, bundled);
  if (pick === choose) await vscode.commands.executeCommand('plausibility.selectModel');
  else if (pick === bundled) await vscode.workspace.getConfiguration(SECTION).update('model', 'bundled', vscode.ConfigurationTarget.Global);
}

export async function deactivate(): Promise<void> {
  await stop?.();
  stop = undefined;
}
