/**
 * Registers the generation features: rewrites with the model (code action + command), rank alternatives (command),
 * ranked inline completions (off by default), and tags (off-tag diagnostics, inferred-tag hover).
 */
import * as vscode from 'vscode';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';
import { RankedInlineCompletions } from './inlineCompletions';
import { COMMAND_RANK, rankAlternatives } from './rankAlternatives';
import { COMMAND_REWRITE, RewriteProvider } from './rewrite';
import { TagController } from './tags';

export function registerModelFeatures(
  engine: EngineService,
  documents: DocumentController,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  const selector: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];
  const rewrite = new RewriteProvider(engine, documents, log);
  const tags = new TagController(engine, documents);
  return [
    rewrite,
    tags,
    vscode.languages.registerCodeActionsProvider(selector, rewrite, RewriteProvider.metadata),
    vscode.commands.registerCommand(COMMAND_REWRITE, (uri?: vscode.Uri, start?: number, end?: number, choose?: number) =>
      rewrite.run(uri, start, end, choose),
    ),
    vscode.commands.registerCommand(COMMAND_RANK, (choose?: string | number) => rankAlternatives(engine, documents, log, choose)),
    vscode.languages.registerInlineCompletionItemProvider(selector, new RankedInlineCompletions(engine, documents, log)),
    vscode.languages.registerHoverProvider(selector, { provideHover: (doc, pos, token) => tags.provideHover(doc, pos, token) }),
  ];
}
