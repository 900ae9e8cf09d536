/**
 * Registers the generation features: rewrites with the model (code action + command), rank alternatives (command),
 * and the toxicity rewrite and head training. Inline completions come from the server (textDocument/inlineCompletion).
 */
import * as vscode from 'vscode';
import { DOCUMENT_SELECTOR } from './languageClient';
import { COMMAND_RANK, rankAlternatives } from './rankAlternatives';
import { COMMAND_REWRITE, RewriteProvider } from './rewrite';
import type { ServerCommand } from './serverCommand';
import { ToxicityController } from './toxicity';

export function registerModelFeatures(server: ServerCommand, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const rewrite = new RewriteProvider(server, log);
  const toxicity = new ToxicityController(server, log);
  return [
    rewrite,
    toxicity,
    vscode.languages.registerCodeActionsProvider(DOCUMENT_SELECTOR, rewrite, RewriteProvider.metadata),
    vscode.languages.registerCodeActionsProvider(DOCUMENT_SELECTOR, toxicity, ToxicityController.metadata),
    vscode.commands.registerCommand(COMMAND_REWRITE, (uri?: vscode.Uri, start?: number, end?: number, choose?: number) => rewrite.run(uri, start, end, choose)),
    vscode.commands.registerCommand(COMMAND_RANK, (choose?: string | number) => rankAlternatives(server, log, choose)),
  ];
}
