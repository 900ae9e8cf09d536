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
import { escapeMarkdown, findingAt, hoverText } from '../core/lint/describe';
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

  /** The paragraph at `offset` worth inferring tags for, and its cache key; undefined for none. */
  private paragraph(engine: Engine, text: string, offset: number, markdown: boolean): { para: string; key: string } | undefined {
    const p = paragraphAt(text, offset);
    if (!p) return undefined;
    const para = text.slice(p.start, p.end).trim();
    if (para.split(/\s+/).length < MIN_PARAGRAPH_WORDS || /^(```|~~~|---)/.test(para)) return undefined;
    return { para, key: `${engine.info.modelDir}\u0000${markdown ? 'md' : 'txt'}\u0000${para}` };
  }

  /** The line if it is known already: a string, null (nothing to show), or undefined (not computed yet). */
  cached(engine: Engine, text: string, offset: number, markdown: boolean): string | null | undefined {
    const p = this.paragraph(engine, text, offset, markdown);
    return p ? this.cache.get(p.key) : null;
  }

  /** "Inferred tags for this paragraph: a 70% · b 20%", or null when the model has no tags or is not confident. */
  async line(engine: Engine, text: string, offset: number, markdown: boolean, signal?: AbortSignal): Promise<string | null> {
    const p = this.paragraph(engine, text, offset, markdown);
    if (!p) return null;
    const { para, key } = p;
    if (this.cache.has(key)) return this.cache.get(key)!;
    if (signal?.aborted) return null;
    let line: string | null = null;
    try {
      const r = await inferTags(engine, loadConditioning(engine.info.modelDir), para, { maxTokens: 200 });
      const top = r.ranking.slice(0, 3);
      // Only a confident guess is worth a line in the hover.
      if (top.length && top[0].posterior >= CONFIDENT_POSTERIOR) {
        const esc = markdown ? escapeMarkdown : (x: string) => x;
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

export interface HoverSources {
  findings(doc: TextDocument): readonly Finding[];
  blocks(doc: TextDocument): readonly ScoredBlock[] | undefined;
  heatmap(): boolean;
  engine(): Engine | undefined;
  /** Whether no pass or command is running or queued (a model call now would not wait). */
  idle(): boolean;
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The hover at an offset: a finding's, else the token's (heatmap on) with the paragraph's inferred tags. Tags are
 * computed now only when the engine is idle; otherwise in the background, for the next hover, so a hover never
 * waits behind a lint pass.
 */
export async function hoverAt(
  doc: TextDocument,
  offset: number,
  src: HoverSources,
  tags: ParagraphTags,
  markdown: boolean,
  signal: AbortSignal,
): Promise<Hover | null> {
  const f = findingAt(src.findings(doc), offset);
  if (f) return findingHover(doc, f, markdown);
  const blocks = src.blocks(doc);
  // The per-token view belongs to the heatmap: without it, a hover over ordinary words would be noise.
  const hover = src.heatmap() && blocks ? tokenHover(doc, blocks, offset, markdown) : null;
  const engine = blocks ? src.engine() : undefined;
  if (!engine) return hover;
  const text = doc.getText();
  let line = tags.cached(engine, text, offset, markdown);
  if (line === undefined) {
    const idle = src.idle();
    const compute = src.exclusive(() => tags.line(engine, text, offset, markdown, idle ? signal : undefined)).catch(() => null);
    line = idle ? await compute : null;
  }
  if (!line || signal.aborted) return hover;
  if (!hover) return { contents: { kind: markdown ? MarkupKind.Markdown : MarkupKind.PlainText, value: `${markdown ? '**Plausibility**' : 'Plausibility'} · ${line}` } };
  const c = hover.contents as { kind: MarkupKind; value: string };
  return { ...hover, contents: { kind: c.kind, value: `${c.value}\n\n${line}` } };
}
