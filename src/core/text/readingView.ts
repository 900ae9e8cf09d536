/**
 * Text as a reader reads it, for the model that verifies an edit: inline markup dropped (Markdown's emphasis marks,
 * link syntax, images, HTML tags and backslash escapes; reStructuredText's emphasis and reference syntax), inline code
 * read as a quoted name, and each run of whitespace read as one space. Raw markup makes the model's predictions
 * unreliable ("`index.js` is [TypeScript](https://... "TypeScript is a typed superset...")"), and an edit must not win
 * by removing layout. Offsets map back to the text as written.
 */
import { overlapsAny, RST_CODE, type Range } from './markdown';

/** Linear scans: every pattern is bounded by a delimiter it cannot cross. */
const LINK = /(!?\[)([^[\]\n]*)(\]\([^()\s]*(?:\s+"[^"\n]*")?\)|\]\[[^[\]\n]*\])/g;
/** A reference link's label (`[text][label]`, also around an image: `[![alt][img]][label]`). */
const REF_LABEL = /\]\[[^[\]\n]*\]/g;
const HTML_TAG = /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?\/?>/g;
const ESCAPE = /\\(?=[!-/:-@[-`{-~])/g;
/** A run of emphasis marks that opens or closes (a mark inside a word, as in snake_case, or escaped, stays). */
const EMPHASIS = /(?<![\p{L}\p{N}\\])[*_~]{1,3}(?=[^\s*_~])|(?<=[^\s*_~\\])[*_~]{1,3}(?![\p{L}\p{N}])/gu;

/**
 * The inline markup of a Markdown text: the characters a reader does not read. Inline code is read (see
 * {@link inlineCodeStandIns}), so markup characters inside it are code.
 */
export function inlineMarkup(text: string, code: readonly StandIn[] = inlineCodeStandIns(text)): Range[] {
  const out: Range[] = [];
  for (const m of text.matchAll(LINK)) {
    // An image is not read in the flow of the text: its alt text describes it (a badge: "travis", "npm").
    if (m[1] === '![') {
      out.push({ start: m.index!, end: m.index! + m[0].length });
      continue;
    }
    out.push({ start: m.index!, end: m.index! + m[1].length });
    const close = m.index! + m[1].length + m[2].length;
    out.push({ start: close, end: close + m[3].length });
  }
  for (const re of [REF_LABEL, HTML_TAG, ESCAPE, EMPHASIS]) for (const m of text.matchAll(re)) out.push({ start: m.index!, end: m.index! + Math.max(1, m[0].length) });
  return out.filter((r) => !overlapsAny(code, r.start, r.start + 1)).sort((a, b) => a.start - b.start);
}

export interface ReadingView {
  text: string;
  /** The view's offset of an offset of the original (a dropped character maps to where it would be). */
  toView(offset: number): number;
  /** The original range of a view range, or undefined where it would take markup with it. */
  toOriginal(start: number, end: number): [number, number] | undefined;
  /** True where the original character at `offset` is markup, not read. */
  isMarkup(offset: number): boolean;
}

/** A range of the original read as other text (inline code as a stand-in name). */
export interface StandIn extends Range {
  text: string;
}

/** Inline code spans (single or double backticks, within a line). */
const INLINE_CODE = /(``?)(?!`)[^`\n]+?\1(?!`)/g;

/**
 * Inline code read as prose quotes a name: in quotation marks. Bare, its content would read as words of the sentence
 * ("For `worker` worker type" as a repeated word, "objects where `added` and `removed` are" as verbs); with its
 * backticks, as noise.
 */
export function inlineCodeStandIns(text: string): StandIn[] {
  return [...text.matchAll(INLINE_CODE)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, text: quotedName(m[0].slice(m[1].length, m[0].length - m[1].length)) }));
}

/** Code as a quoted name: itself when it is one short token, else a quoted ellipsis. */
function quotedName(code: string): string {
  const c = code.trim();
  return c.length <= 40 && !/["\s]/.test(c) ? `"${c}"` : '"..."';
}

/** `text` without the `drop` ranges, the `standIns` read as their text, each whitespace run as one space. */
export function readingView(text: string, drop: readonly Range[] = [], standIns: readonly StandIn[] = []): ReadingView {
  const dropped = new Uint8Array(text.length);
  for (const r of drop) dropped.fill(1, Math.max(0, r.start), Math.min(text.length, r.end));
  const standInAt = new Map<number, StandIn>();
  for (const r of standIns) if (r.end > r.start && !dropped[r.start]) standInAt.set(r.start, r);
  // Per view character: its original range, and whether it stands in for other text. Per original offset: the view
  // offset.
  const starts: number[] = [];
  const ends: number[] = [];
  const standing: boolean[] = [];
  const viewAt = new Array<number>(text.length + 1);
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (dropped[i]) {
      viewAt[i++] = out.length;
      continue;
    }
    const si = standInAt.get(i);
    if (si) {
      for (let k = i; k < si.end; k++) viewAt[k] = out.length;
      for (const c of si.text) {
        starts.push(si.start);
        ends.push(si.end);
        standing.push(true);
        out += c;
      }
      i = si.end;
      continue;
    }
    let j = i + 1;
    if (/\s/.test(text[i])) {
      // Whitespace, and the markup inside a run of it, reads as one space.
      while (j < text.length && (/\s/.test(text[j]) || dropped[j])) j++;
      while (j > i + 1 && dropped[j - 1]) j--;
      // A space right after a dropped mark that followed a space is the same gap ("a *b* c" keeps single spaces).
      if (out.endsWith(' ')) {
        for (let k = i; k < j; k++) viewAt[k] = out.length;
        ends[ends.length - 1] = j;
        i = j;
        continue;
      }
    }
    for (let k = i; k < j; k++) viewAt[k] = out.length;
    starts.push(i);
    ends.push(j);
    standing.push(false);
    out += j - i > 1 || /\s/.test(text[i]) ? ' ' : text[i];
    i = j;
  }
  viewAt[text.length] = out.length;
  return {
    text: out,
    toView: (o) => viewAt[Math.max(0, Math.min(text.length, o))],
    isMarkup: (o) => dropped[o] === 1,
    toOriginal: (a, b) => {
      const start = a < starts.length ? starts[a] : text.length;
      const end = b > a ? ends[b - 1] : start;
      for (let k = a; k < b; k++) if (standing[k]) return undefined;
      for (let k = start; k < end; k++) if (dropped[k]) return undefined;
      return [start, end];
    },
  };
}

/** A reStructuredText hyperlink reference (`text <url>`_, `text`_): its text is read, the rest is markup. */
const RST_LINK = /(`)([^`<\n]+?)(\s*<[^>\n]*>)?(`__?)/g;

/** The markup a reader does not read, and the code read as a quoted name, of a Markdown or reStructuredText text. */
export function readingMarkup(text: string, syntax: 'markdown' | 'restructuredtext'): { drop: Range[]; standIns: StandIn[] } {
  if (syntax === 'markdown') {
    const standIns = inlineCodeStandIns(text);
    return { drop: inlineMarkup(text, standIns), standIns };
  }
  // A role's target (":func:`open() <open>`") and its display marks ("~", "!") are not read.
  const standIns: StandIn[] = [...text.matchAll(RST_CODE)].map((m) => ({
    start: m.index!,
    end: m.index! + m[0].length,
    text: quotedName(m[0].replace(/^(?::[\w.+-]+)*:?`+|`+$/g, '').replace(/\s*<[^>]*>$/, '').replace(/^[~!]/, '')),
  }));
  const inCode = (i: number) => overlapsAny(standIns, i, i + 1);
  const drop: Range[] = [];
  for (const m of text.matchAll(RST_LINK)) {
    if (inCode(m.index!)) continue;
    drop.push({ start: m.index!, end: m.index! + 1 });
    const after = m.index! + 1 + m[2].length;
    drop.push({ start: after, end: m.index! + m[0].length });
  }
  for (const m of text.matchAll(EMPHASIS)) if (!inCode(m.index!) && m[0][0] === '*') drop.push({ start: m.index!, end: m.index! + m[0].length });
  return { drop: drop.sort((a, b) => a.start - b.start), standIns };
}

/** Text as a reader reads it, line breaks kept (the text before a verified sentence: no offsets needed). */
export function readableText(text: string, syntax?: 'markdown' | 'restructuredtext'): string {
  let out = text;
  if (syntax) {
    const { drop, standIns } = readingMarkup(text, syntax);
    const parts: StandIn[] = [...drop.map((r) => ({ ...r, text: '' })), ...standIns].sort((a, b) => a.start - b.start);
    out = '';
    let at = 0;
    for (const r of parts) {
      if (r.start < at) continue;
      out += text.slice(at, r.start) + r.text;
      at = r.end;
    }
    out += text.slice(at);
  }
  return out.replace(/[^\S\n]+/g, ' ');
}
