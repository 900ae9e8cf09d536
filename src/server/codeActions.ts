/**
 * Code actions on findings: the fix (preferred), one per other suggestion, "ignore this span" (kept in server memory
 * per document) and "add to the allow-list" (a command: it writes a file in the workspace folder).
 */
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../core/lint/finding';
import { findingRange, toDiagnostic } from './diagnostics';
import { COMMANDS } from './protocol';

export function collapsePhrase(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Findings whose span meets the requested range (an empty range at a finding's edge counts). */
function findingsIn(doc: TextDocument, findings: readonly Finding[], params: CodeActionParams): Finding[] {
  const a = doc.offsetAt(params.range.start);
  const b = doc.offsetAt(params.range.end);
  return findings.filter((f) => f.start <= b && a <= f.end);
}

function actionsFor(doc: TextDocument, f: Finding, allowListFolder: boolean): CodeAction[] {
  const diagnostic: Diagnostic = toDiagnostic(doc, f);
  const range = findingRange(doc, f);
  const original = doc.getText().slice(f.start, f.end);
  const out: CodeAction[] = [];
  const fixes = f.replacement === undefined ? [] : [f.replacement, ...f.suggestions];
  fixes.forEach((replacement, i) => {
    if (replacement === original) return;
    out.push({
      title: replacement === '' ? `Delete "${original.trim()}"` : `Replace "${original}" with "${replacement}"`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: i === 0,
      edit: { changes: { [doc.uri]: [{ range, newText: replacement }] } },
    });
  });
  out.push({
    title: 'Ignore this span',
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    command: { title: 'Ignore this span', command: COMMANDS.ignoreSpan, arguments: [doc.uri, f.start, f.end] },
  });
  const phrase = collapsePhrase(f.text);
  if (allowListFolder && phrase) {
    const title = `Add "${phrase}" to the workspace allow-list`;
    out.push({
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      command: { title, command: COMMANDS.addToAllowList, arguments: [doc.uri, phrase] },
    });
  }
  return out;
}

export function codeActions(doc: TextDocument, findings: readonly Finding[], params: CodeActionParams, allowListFolder: boolean): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`))) return [];
  return findingsIn(doc, findings, params).flatMap((f) => actionsFor(doc, f, allowListFolder));
}
