/**
 * Extension entry point (bundled as dist/extension.js). Wires the modules together; each concern lives in its own
 * module: config, engine (worker + model), documents (scoring and diagnostics), heatmap, hover, status bar,
 * commands, code actions, suppressions, report. Inference never runs here: it runs in dist/worker.js.
 */
import * as vscode from 'vscode';
import { QuickFixProvider } from './codeActions';
import { registerCommands } from './commands';
import { affectsUs } from './config';
import { DocumentController } from './documents';
import { EngineService } from './engine';
import { TokenHoverProvider } from './hover';
import { registerModelFeatures } from './modelFeatures';
import { ModelManager } from './models';
import { TokenReport } from './report';
import { StatusBar } from './statusBar';
import { Suppressions } from './suppressions';
import { ToxicityController } from './toxicity';

let documents: DocumentController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('Plausibility', { log: true });
  const engine = new EngineService(context, log);
  const suppressions = new Suppressions(context.workspaceState);
  await suppressions.loadAll();
  documents = new DocumentController(engine, suppressions, log, context.workspaceState);
  const status = new StatusBar(engine, documents);
  const report = new TokenReport(context.extensionUri, documents);
  // Every document selector is re-evaluated on use, so a language added in the settings is picked up.
  const selector: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];
  const docs = documents;
  const hover = new TokenHoverProvider(docs);
  context.subscriptions.push(
    log,
    engine,
    suppressions,
    documents,
    status,
    report,
    vscode.languages.registerHoverProvider(selector, {
      provideHover: (doc, pos) => (docs.isEligible(doc) ? hover.provideHover(doc, pos) : undefined),
    }),
    vscode.languages.registerCodeActionsProvider(selector, new QuickFixProvider(documents), QuickFixProvider.metadata),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsUs(e)) return;
      docs.onSettingsChanged(e);
      status.update();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => docs.rescoreAll(false)),
    ...registerCommands({ engine, documents, suppressions, report, log }),
    ...registerModelFeatures(engine, docs, log),
    ...new ModelManager(context, engine, log).register(),
  );
  const toxicity = new ToxicityController(engine, log);
  context.subscriptions.push(
    toxicity,
    vscode.languages.registerCodeActionsProvider(selector, toxicity, ToxicityController.metadata),
  );
  documents.start();
  log.info('Plausibility activated');
}

export function deactivate(): void {
  documents = undefined;
}
