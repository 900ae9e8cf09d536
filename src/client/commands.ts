/**
 * The client's own commands (contributes.commands in package.json). The server's commands (rescore, ignore a span,
 * the allow-list) are registered by the language client from the server's capabilities; their palette arguments are
 * filled in by the client's middleware (./languageClient).
 */
import * as vscode from 'vscode';
import { SECTION } from './config';
import type { TokenReport } from './report';
import { COMMAND_MENU } from './statusBar';

export interface CommandContext {
  report: TokenReport;
  log: vscode.LogOutputChannel;
  toggleHeatmap(): Promise<void>;
  heatmapVisible(): boolean;
  restart(): Promise<void>;
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const showReport = () => {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc) {
      void vscode.window.showInformationMessage('Plausibility: open a document to see its token report.');
      return;
    }
    ctx.report.show(doc);
  };

  const showMenu = async () => {
    type Item = vscode.QuickPickItem & { command: string };
    const items: Item[] = [
      { label: `$(symbol-color) ${ctx.heatmapVisible() ? 'Hide' : 'Show'} heatmap`, command: 'plausibility.toggleHeatmap' },
      { label: '$(refresh) Rescore document', command: 'plausibility.rescore' },
      { label: '$(graph) Show token report', command: 'plausibility.showTokenReport' },
      { label: '$(package) Choose model…', command: 'plausibility.selectModel' },
      { label: '$(debug-restart) Restart engine', command: 'plausibility.restartEngine' },
      { label: '$(output) Show log', command: 'plausibility.showLog' },
      { label: '$(settings-gear) Settings', command: 'workbench.action.openSettings' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Plausibility' });
    if (!pick) return;
    if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, SECTION);
    else await vscode.commands.executeCommand(pick.command);
  };

  return [
    // A per-workspace view state: toggling never writes the user's settings.
    vscode.commands.registerCommand('plausibility.toggleHeatmap', () => ctx.toggleHeatmap()),
    vscode.commands.registerCommand('plausibility.showTokenReport', showReport),
    vscode.commands.registerCommand(COMMAND_MENU, showMenu),
    vscode.commands.registerCommand('plausibility.restartEngine', () => ctx.restart()),
    vscode.commands.registerCommand('plausibility.showLog', () => ctx.log.show(true)),
  ];
}
