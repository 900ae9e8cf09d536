/**
 * Hovers. On a finding: its message, what the fix changes and how much more likely the sentence becomes, in words
 * (numbers only in a details line). Elsewhere, while the heatmap is on: the token under the cursor (GLTR). On a
 * paragraph of prose: the tags the model infers for it, when it is confident. Document text is escaped, never
 * rendered as Markdown.
 */
import { Hover, MarkupKind } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Engine } from '../core/engine';
import type { Finding } from '../core/lint/finding';
import { escapeMarkdown, hoverText } from '../core/lint/describe';
import type { ScoredBlock } from '../core/lint/linter';
import { inferTags, loadConditioning } from '../core/scoring/conditional';
import { tokenAt, tokenHoverText } from '../core/scoring/tokenDetail';
import { findingRange, PositionMapper } from './diagnostics';

export { escapeMarkdown, findingAt, hoverText, timesMoreLikely } from '../core/lint/describe';

/** The posterior of the best tag above which the inferred tags are shown. */
const CONFIDENT_POSTERIOR = 0.6;
const MIN_PARAGRAPH_WORDS = 8;

export function findingHover(doc: PositionMapper, f: Finding, markdown: boolean): Hover {
  return {
    contents: { kind: markdown ? MarkupKind.Markdown : MarkupKind.PlainText, value: hoverText(f, markdown) },
    range: findingRange(doc, f),
  };
}

/** The token under `offset`, from the last pass's scores. */
export function tokenHover(doc: TextDocument, blocks: readonly ScoredBlock[], offset: number, markdown: boolean): Hover | null {
  const t = tokenAt(blocks, offset);
  if (!t) return null;
  const value = tokenHoverText(doc.getText().slice(t.start, t.end), t, markdown);
  if (!value) return null;
  return { contents: { kind: markdown ? MarkupKind.Markdown : MarkupKind.PlainText, value }, range: findingRange(doc, t) };
}

/** The blank-line-delimited paragraph around an offset, or undefined on a blank line. */
export function paragraphAt(text: string, offset: number): { start: number; end: number } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEndAt = text.indexOf('\n', offset);
  if (text.slice(lineStart, lineEndAt < 0 ? text.length : lineEndAt).trim() === '') return undefined;
  const blank = /\n[ \t]*\r?\n/g;
  let start = 0;
  let end = text.length;
  for (let m = blank.exec(text); m; m = blank.exec(text)) {
    if (m.index + m[0].length <= offset) start = m.index + m[0].length;
    else if (m.index >= offset) {
      end = m.index;
      break;
    }
  }
  return { start, end };
}

/** Inferred tags of paragraphs, by text (hovers repeat). */
export class ParagraphTags {
  private readonly cache = new Map<string, string | null>();

  /** "Inferred tags for this paragraph: a 70% · b 20%", or null when the model has no tags or is not confident. */
  async line(engine: Engine, text: string, offset: number, markdown: boolean): Promise<string | null> {
    const p = paragraphAt(text, offset);
    if (!p) return null;
    const para = text.slice(p.start, p.end).trim();
    if (para.split(/\s+/).length < MIN_PARAGRAPH_WORDS || /^(```|~~~|---)/.test(para)) return null;
    const key = `${engine.info.modelDir}\u0000${para}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    let line: string | null = null;
    try {
      const r = await inferTags(engine, loadConditioning(engine.info.modelDir), para, { maxTokens: 200 });
      const top = r.ranking.slice(0, 3);
      // Only a confident guess is worth a line in the hover.
      if (top.length && top[0].posterior >= CONFIDENT_POSTERIOR) {
        const esc = markdown ? escapeMarkdown : (s: string) => s;
        line = `Inferred tags for this paragraph: ${top.map((t) => `${esc(t.tag)} ${(t.posterior * 100).toFixed(0)}%`).join(' · ')}`;
      }
    } catch {
      line = null; // a model without conditioning.json has no tags to infer
    }
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(key, line);
    return line;
  }
}
