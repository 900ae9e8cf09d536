/**
 * Quick fixes on a Plausibility diagnostic: apply the finding's verified fix (or another alternative), ignore this span, and add the
 * phrase to the workspace allow-list. Further providers (rewrites with the model, later) plug into
 * {@link QUICK_FIX_PRODUCERS}.
 */
import * as vscode from 'vscode';
import type { Finding } from '../worker/document';
import { DocumentController, SOURCE } from './documents';
import { cachedRewriteFixes } from './rewrite';
import { ALLOW_LIST_PATH } from './suppressions';

export const COMMAND_IGNORE_SPAN = 'plausibility.ignoreSpan';
export const COMMAND_ALLOW_PHRASE = 'plausibility.addToAllowList';

/** Keeps the case pattern of the replaced word ("Dog" -> "Cat", "DOG" -> "CAT"). */
export function matchCase(original: string, replacement: string): string {
  if (original.length > 1 && original === original.toUpperCase() && /\p{L}/u.test(original)) return replacement.toUpperCase();
  if (/^\p{Lu}/u.test(original)) return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  return replacement;
}

type Producer = (doc: vscode.TextDocument, f: Finding, diagnostic: vscode.Diagnostic) => vscode.CodeAction[];

/** The finding's fix (preferred, applied in one step), then its other whole-word alternatives. */
const applyFix: Producer = (doc, f, diagnostic) => {
  if (f.replacement === undefined) return [];
  const range = new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end));
  const original = doc.getText(range);
  const out: vscode.CodeAction[] = [];
  [f.replacement, ...f.suggestions].forEach((replacement, i) => {
    if (replacement === original) return;
    const title = replacement === '' ? `Delete "${original.trim()}"` : `Replace "${original}" with "${replacement}"`;
    const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    a.edit = new vscode.WorkspaceEdit();
    a.edit.replace(doc.uri, range, replacement);
    a.diagnostics = [diagnostic];
    a.isPreferred = i === 0;
    out.push(a);
  });
  return out;
};

const ignoreSpan: Producer = (doc, f, diagnostic) => {
  const a = new vscode.CodeAction('Ignore this span', vscode.CodeActionKind.QuickFix);
  a.command = { command: COMMAND_IGNORE_SPAN, title: 'Ignore this span', arguments: [doc.uri, f.start, f.end] };
  a.diagnostics = [diagnostic];
  return [a];
};

const allowPhrase: Producer = (doc, f, diagnostic) => {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const phrase = f.text.replace(/\s+/g, ' ').trim();
  const a = new vscode.CodeAction(`Add "${phrase}" to the workspace allow-list (${ALLOW_LIST_PATH})`, vscode.CodeActionKind.QuickFix);
  a.command = { command: COMMAND_ALLOW_PHRASE, title: 'Add to allow-list', arguments: [doc.uri, phrase] };
  a.diagnostics = [diagnostic];
  return [a];
};

export const QUICK_FIX_PRODUCERS: Producer[] = [applyFix, cachedRewriteFixes, ignoreSpan, allowPhrase];

export class QuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  constructor(private readonly documents: DocumentController) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === SOURCE);
    if (ours.length === 0) return [];
    const findings = this.documents.findingsFor(doc);
    const out: vscode.CodeAction[] = [];
    for (const d of ours) {
      const start = doc.offsetAt(d.range.start);
      const end = doc.offsetAt(d.range.end);
      const f = findings.find((x) => x.start === start && x.end === end);
      if (!f) continue;
      for (const p of QUICK_FIX_PRODUCERS) out.push(...p(doc, f, d));
    }
    return out;
  }
}
