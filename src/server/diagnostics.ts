/** Findings as LSP diagnostics: code = rule id, source = plausibility, ranges from the findings' UTF-16 offsets. */
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../core/lint/finding';
import { SOURCE } from './protocol';

/** Anything that maps UTF-16 offsets to LSP positions (a TextDocument). */
export interface PositionMapper {
  positionAt(offset: number): { line: number; character: number };
}

export function lspSeverity(s: Severity): DiagnosticSeverity {
  switch (s) {
    case 'error':
      return DiagnosticSeverity.Error;
    case 'warning':
      return DiagnosticSeverity.Warning;
    case 'hint':
      return DiagnosticSeverity.Hint;
    default:
      return DiagnosticSeverity.Information;
  }
}

export function findingRange(doc: PositionMapper, f: Pick<Finding, 'start' | 'end'>): Range {
  return { start: doc.positionAt(f.start), end: doc.positionAt(f.end) };
}

/** Data a client sends back with code-action requests; lets the server find the finding again. */
export interface DiagnosticData {
  start: number;
  end: number;
}

export function toDiagnostic(doc: PositionMapper, f: Finding): Diagnostic {
  const data: DiagnosticData = { start: f.start, end: f.end };
  return {
    range: findingRange(doc, f),
    severity: lspSeverity(f.severity),
    code: f.rule,
    source: SOURCE,
    message: f.message,
    data,
  };
}
