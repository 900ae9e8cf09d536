/**
 * The hover of a finding: its message, what the fix changes and how much more likely the sentence becomes, in
 * words; the numbers (bits) only in a details line. Document text is escaped, never rendered as Markdown.
 */
import { Hover, MarkupKind } from 'vscode-languageserver/node';
import type { Finding } from '../core/lint/finding';
import { hoverText } from '../core/lint/describe';

export { escapeMarkdown, findingAt, hoverText, timesMoreLikely } from '../core/lint/describe';
import { findingRange, PositionMapper } from './diagnostics';

export function findingHover(doc: PositionMapper, f: Finding, markdown: boolean): Hover {
  return {
    contents: { kind: markdown ? MarkupKind.Markdown : MarkupKind.PlainText, value: hoverText(f, markdown) },
    range: findingRange(doc, f),
  };
}
