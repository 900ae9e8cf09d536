/**
 * Commands (contributes.commands in package.json).
 */
import * as vscode from 'vscode';
import { COMMAND_ALLOW_PHRASE, COMMAND_IGNORE_SPAN } from './codeActions';
import { SECTION } from './config';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';
import type { TokenReport } from './report';
import { COMMAND_MENU } from './statusBar';
import type { Suppressions } from './suppressions';

export interface CommandContext {
  engine: EngineService;
  documents: DocumentController;
  suppressions: Suppressions;
  report: TokenReport;
  log: vscode.LogOutputChannel;
}

function activeDoc(): vscode.TextDocument | undefined {
  return vscode.window.activeTextEditor?.document;
}

async function docFor(uri: unknown): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  return activeDoc();
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { engine, documents, suppressions, report } = ctx;

  // A per-workspace view state: toggling never writes the user's settings.
  const toggleHeatmap = async () => {
    await documents.toggleHeatmap();
  };

  const rescore = async (uri?: unknown) => {
    const doc = await docFor(uri);
    if (!doc) return;
    if (!documents.isEligible(doc)) {
      void vscode.window.showInformationMessage(
        `Plausibility does not check ${doc.languageId} documents. Add "${doc.languageId}" to plausibility.languages to check them.`,
      );
      return;
    }
    engine.resetFailure();
    await documents.rescore(doc, true);
  };

  // plausibility.selectModel lives in ./models (ModelManager).

  const showReport = () => {
    const doc = activeDoc();
    if (!doc) {
      void vscode.window.showInformationMessage('Plausibility: open a document to see its token report.');
      return;
    }
    report.show(doc);
  };

  const showMenu = async () => {
    type Item = vscode.QuickPickItem & { command: string };
    const heatmapOn = documents.heatmapVisible;
    const items: Item[] = [
      { label: `$(symbol-color) ${heatmapOn ? 'Hide' : 'Show'} heatmap`, command: 'plausibility.toggleHeatmap' },
      { label: '$(refresh) Rescore document', command: 'plausibility.rescore' },
      { label: '$(graph) Show token report', command: 'plausibility.showTokenReport' },
      { label: '$(package) Choose model…', command: 'plausibility.selectModel' },
      { label: '$(output) Show log', command: 'plausibility.showLog' },
      { label: '$(settings-gear) Settings', command: 'workbench.action.openSettings' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Plausibility' });
    if (!pick) return;
    if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, SECTION);
    else await vscode.commands.executeCommand(pick.command);
  };

  const ignoreSpan = async (uri: unknown, start: unknown, end: unknown) => {
    const doc = await docFor(uri);
    if (!doc || typeof start !== 'number' || typeof end !== 'number') return;
    await suppressions.ignoreSpan(doc, start, end);
  };

  const allowPhrase = async (uri: unknown, phrase: unknown) => {
    const doc = await docFor(uri);
    if (!doc) return;
    let p = typeof phrase === 'string' ? phrase : undefined;
    if (!p) {
      const editor = vscode.window.activeTextEditor;
      const sel = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
      p = await vscode.window.showInputBox({ title: 'Add a phrase to the workspace allow-list', value: sel });
    }
    if (p?.trim()) await suppressions.allowPhrase(doc, p);
  };

  const clearIgnored = async () => {
    const doc = activeDoc();
    if (doc) await suppressions.clearIgnored(doc);
  };

  const restartEngine = async () => {
    await engine.restart();
  };

  const showLog = () => ctx.log.show(true);

  return [
    vscode.commands.registerCommand('plausibility.toggleHeatmap', toggleHeatmap),
    vscode.commands.registerCommand('plausibility.rescore', rescore),
    vscode.commands.registerCommand('plausibility.showTokenReport', showReport),
    vscode.commands.registerCommand(COMMAND_MENU, showMenu),
    vscode.commands.registerCommand(COMMAND_IGNORE_SPAN, ignoreSpan),
    vscode.commands.registerCommand(COMMAND_ALLOW_PHRASE, allowPhrase),
    vscode.commands.registerCommand('plausibility.clearIgnoredSpans', clearIgnored),
    vscode.commands.registerCommand('plausibility.restartEngine', restartEngine),
    vscode.commands.registerCommand('plausibility.showLog', showLog),
  ];
}
