/**
 * Regions of a document the linter must not flag: Markdown front matter, fenced and indented code blocks, inline
 * code, URLs and autolinks, link destinations, HTML comments and tags, and regions switched off by inline directives:
 *
 * - `<!-- plausibility-disable -->` ... `<!-- plausibility-enable -->` (to the end of the document if not re-enabled)
 * - `<!-- plausibility-disable-next-line -->` (the next non-empty line)
 * - `<!-- plausibility-disable-line -->` (the line it is on)
 *
 * Directives are recognised in any comment syntax (`//`, `#`, `<!-- -->`), so they also work in plain text files.
 * The text is still fed to the model as context; only flags inside these regions are dropped.
 */

/** A half-open UTF-16 range [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * reStructuredText's inline literals and roles (``x``, :func:`open() <open>`), which may run over a line break but not
 * a paragraph: code. A scan stops at the next backtick, so it is linear in the text.
 */
export const RST_CODE = /(?::[\w.+-]{1,40}:)?``(?:[^`\n]|\n(?![ \t]*\n)){1,400}``|:[\w.+-]{1,40}(?::[\w.+-]{1,40}){0,3}:`(?:[^`\n]|\n(?![ \t]*\n)){1,400}`/g;

/** Why a region is skipped. */
export type SkipKind = 'front-matter' | 'code-block' | 'inline-code' | 'url' | 'html' | 'directive' | 'table-cell';

/** A skipped region. */
export interface SkipRange extends Range {
  kind: SkipKind;
}

interface Line {
  start: number;
  /** End of the line content (before the line break). */
  end: number;
  /** Start of the next line. */
  next: number;
  text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\n|\r/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    lines.push({ start, end: m.index, next: m.index + m[0].length, text: text.slice(start, m.index) });
    start = m.index + m[0].length;
  }
  lines.push({ start, end: text.length, next: text.length, text: text.slice(start) });
  return lines;
}

/** Counts characters visited by the inline scanners, so tests can check the masking is linear without timing it. */
export interface WorkCounter {
  steps: number;
}

/**
 * Inline code: a maximal run of backticks closed by the next run of the same length (CommonMark). Each run's next
 * same-length run is found with one right-to-left pass, so unmatched openers cost nothing extra.
 */
function scanInlineCode(text: string, out: SkipRange[], work: WorkCounter): void {
  const starts: number[] = [];
  const lengths: number[] = [];
  for (let i = text.indexOf('`'); i >= 0; i = text.indexOf('`', i)) {
    let j = i;
    while (j < text.length && text.charCodeAt(j) === 96) j++;
    work.steps += j - i;
    starts.push(i);
    lengths.push(j - i);
    i = j;
  }
  const nextSame = new Array<number>(starts.length).fill(-1);
  const lastSeen = new Map<number, number>();
  for (let r = starts.length - 1; r >= 0; r--) {
    work.steps++;
    nextSame[r] = lastSeen.get(lengths[r]) ?? -1;
    lastSeen.set(lengths[r], r);
  }
  for (let r = 0; r < starts.length; r++) {
    work.steps++;
    const close = nextSame[r];
    if (close < 0) continue;
    out.push({ start: starts[r], end: starts[close] + lengths[close], kind: 'inline-code' });
    r = close;
  }
}

/** Reference definitions `[id]: dest` (the destination may be on the next line): bounded to two lines each. */
function scanReferenceDefinitions(lines: Line[], out: SkipRange[], work: WorkCounter): void {
  for (let n = 0; n < lines.length; n++) {
    const t = lines[n].text;
    let p = 0;
    while (p < 3 && t.charCodeAt(p) === 32) p++;
    work.steps += p + 1;
    if (t.charCodeAt(p) !== 91 /* [ */) continue;
    const close = t.indexOf(']', p + 1);
    work.steps += (close < 0 ? t.length : close) - p;
    if (close <= p + 1 || t.charCodeAt(close + 1) !== 58 /* : */) continue;
    let q = close + 2;
    while (q < t.length && /\s/.test(t[q])) q++;
    work.steps += q - close;
    let endLine = n;
    if (q >= t.length) {
      // Destination on the following line.
      if (n + 1 >= lines.length || lines[n + 1].text.trim() === '') continue;
      endLine = n + 1;
      work.steps += lines[n + 1].text.length;
    }
    out.push({ start: lines[n].start, end: lines[endLine].end, kind: 'url' });
  }
}

const isWordCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLocalCode = (c: number): boolean => isWordCode(c) || c === 46 || c === 43 || c === 45; // . + -
const isLabelCode = (c: number): boolean => isWordCode(c) || c === 45;

/**
 * E-mail addresses `local@domain.tld`. Anchored on each `@`: the local part is scanned backwards and the domain
 * forwards, and neither scan crosses another `@`, so every character is visited a bounded number of times.
 */
function scanEmails(text: string, out: SkipRange[], work: WorkCounter): void {
  let consumed = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let from = at;
    while (from > consumed && isLocalCode(text.charCodeAt(from - 1))) from--;
    work.steps += at - from + 1;
    // The address starts at the first word character of the local part (a word boundary).
    while (from < at && !isWordCode(text.charCodeAt(from))) from++;
    if (from >= at) continue;
    // Domain: labels of [\w-] separated by single dots, at least two labels.
    let p = at + 1;
    let labels = 0;
    let lastGood = -1;
    while (p < text.length) {
      const labelStart = p;
      while (p < text.length && isLabelCode(text.charCodeAt(p))) p++;
      work.steps += p - labelStart + 1;
      if (p === labelStart) break;
      labels++;
      // The match must end at a word boundary: back off over trailing hyphens of this label.
      let e = p;
      while (e > labelStart && !isWordCode(text.charCodeAt(e - 1))) e--;
      if (labels >= 2 && e > labelStart && !isWordCode(text.charCodeAt(e))) lastGood = e;
      if (text.charCodeAt(p) !== 46 || !isLabelCode(text.charCodeAt(p + 1))) break;
      p++;
    }
    if (lastGood < 0) continue;
    out.push({ start: from, end: lastGood, kind: 'url' });
    consumed = lastGood;
    at = Math.max(at, lastGood - 1);
  }
}

/**
 * A table row's short cells: a cell of one or two words is a label, a name or a value ("| aom | BSD 2-Clause |"), not a
 * sentence, and its words have no context to be judged in. Longer cells are prose and are checked.
 */
function scanTableRow(line: Line, out: SkipRange[]): void {
  const t = line.text;
  let from = t.indexOf('|') + 1;
  while (from > 0 && from < t.length) {
    let to = from;
    while (to < t.length && !(t[to] === '|' && t[to - 1] !== '\\')) to++;
    const cell = t.slice(from, to);
    if (cell.trim() && (cell.match(/\S+/g) ?? []).length <= 2) out.push({ start: line.start + from, end: line.start + to, kind: 'table-cell' });
    from = to + 1;
  }
}

/** Computes the regions to skip, sorted by start, possibly overlapping. */
export function skipRegions(text: string, opts: { markdown?: boolean; rst?: boolean; work?: WorkCounter } = {}): SkipRange[] {
  const markdown = opts.markdown !== false;
  const out: SkipRange[] = [];
  const lines = splitLines(text);
  let i = 0;

  // Front matter (YAML --- or TOML +++) at the very start.
  if (markdown && lines.length > 1 && /^(---|\+\+\+)\s*$/.test(lines[0].text)) {
    const fence = lines[0].text.trim();
    for (let j = 1; j < lines.length; j++) {
      const t = lines[j].text.trim();
      if (t === fence || (fence === '---' && t === '...')) {
        out.push({ start: 0, end: lines[j].end, kind: 'front-matter' });
        i = j + 1;
        break;
      }
    }
  }

  // Line-based pass: fenced/indented code and directives.
  let disabledFrom = -1;
  let prevBlank = true;
  let inList = false;
  for (; i < lines.length; i++) {
    const line = lines[i];
    const t = line.text;
    if (/plausibility-disable-next-line/.test(t)) {
      let j = i + 1;
      while (j < lines.length && lines[j].text.trim() === '') j++;
      if (j < lines.length) out.push({ start: lines[j].start, end: lines[j].end, kind: 'directive' });
    } else if (/plausibility-disable-line/.test(t)) {
      out.push({ start: line.start, end: line.end, kind: 'directive' });
    } else if (/plausibility-disable(?![-\w])/.test(t)) {
      if (disabledFrom < 0) disabledFrom = line.start;
    } else if (/plausibility-enable(?![-\w])/.test(t)) {
      if (disabledFrom >= 0) {
        out.push({ start: disabledFrom, end: line.end, kind: 'directive' });
        disabledFrom = -1;
      }
    }
    if (!markdown) continue;
    const fm = /^ {0,3}(`{3,}|~{3,})/.exec(t);
    if (fm && !(fm[1][0] === '`' && t.slice(fm[0].length).includes('`'))) {
      const ch = fm[1][0];
      const len = fm[1].length;
      let j = i + 1;
      const close = new RegExp(`^ {0,3}${ch === '`' ? '`' : '~'}{${len},}\\s*$`);
      while (j < lines.length && !close.test(lines[j].text)) j++;
      const endLine = lines[Math.min(j, lines.length - 1)];
      out.push({ start: line.start, end: endLine.end, kind: 'code-block' });
      i = Math.min(j, lines.length - 1);
      prevBlank = false;
      continue;
    }
    const blank = t.trim() === '';
    if (/^ {0,3}([-*+]|\d{1,9}[.)])\s/.test(t)) inList = true;
    else if (blank) {
      /* a blank line does not end a list by itself */
    } else if (!/^\s/.test(t)) inList = false;
    if (!blank && /^( {4,}|\t)/.test(t) && prevBlank && !inList) {
      // Indented code block: this and following indented or blank lines.
      let j = i;
      let last = i;
      while (j < lines.length && (lines[j].text.trim() === '' || /^( {4,}|\t)/.test(lines[j].text))) {
        if (lines[j].text.trim() !== '') last = j;
        j++;
      }
      out.push({ start: line.start, end: lines[last].end, kind: 'code-block' });
      i = last;
      prevBlank = false;
      continue;
    }
    if (/^ {0,3}\|/.test(t)) scanTableRow(line, out);
    prevBlank = blank;
  }
  if (disabledFrom >= 0) out.push({ start: disabledFrom, end: text.length, kind: 'directive' });

  // Inline patterns. The three that could backtrack (inline code, reference definitions, e-mail addresses) are
  // hand-written scanners that visit each character a bounded number of times; the remaining regexes stop at a
  // delimiter that bounds every attempt, so the whole pass is linear in the text length.
  const add = (re: RegExp, kind: SkipKind, group = 0) => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      let start = m.index;
      let len = m[0].length;
      if (group) {
        start = m.index + m[0].indexOf(m[group]);
        len = m[group].length;
      }
      out.push({ start, end: start + len, kind });
    }
  };
  const work = opts.work ?? { steps: 0 };
  if (markdown) {
    scanInlineCode(text, out, work);
    // Link destinations: [text](dest)
    add(/\]\(([^)\s]*(?:\s+"[^"]*")?)\)/g, 'url', 1);
    scanReferenceDefinitions(lines, out, work);
    // Autolinks and HTML
    add(/<(?:https?|ftp|mailto):[^>\s]*>/gi, 'url');
    add(/<!--[\s\S]*?(?:-->|$)/g, 'html');
    add(/<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>/g, 'html');
  }
  // reStructuredText's inline literals and roles (``x``, :func:`open`).
  if (opts.rst) add(RST_CODE, 'inline-code');
  add(/\b(?:https?|ftp|file):\/\/[^\s<>()"'`]+/gi, 'url');
  add(/\bwww\.[^\s<>()"'`]+/gi, 'url');
  scanEmails(text, out, work);
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  return out;
}

/** Merges overlapping/adjacent ranges. */
export function mergeRanges<T extends Range>(ranges: T[]): Range[] {
  const sorted = ranges.map((r) => ({ start: r.start, end: r.end })).sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** True if [start, end) overlaps any of the merged, sorted ranges. */
export function overlapsAny(merged: readonly Range[], start: number, end: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = merged[mid];
    if (r.end <= start) lo = mid + 1;
    else if (r.start >= end) hi = mid - 1;
    else return true;
  }
  return false;
}

/** A view of a document for scoring: soft line breaks inside paragraphs replaced by spaces, with an offset map. */
export interface ProseView {
  /** The text fed to the model. */
  text: string;
  /** Maps an offset in `text` to the offset in the original document. */
  toOriginal(offset: number): number;
  /** True if nothing changed. */
  identity: boolean;
}

const BLOCK_START = /^\s{0,3}(?:[-*+]\s|\d{1,9}[.)]\s|#{1,6}\s|>|```|~~~|\||<|\[[^\]]+\]:)/;

/**
 * Replaces soft line breaks (a single line break between two non-blank prose lines of one Markdown paragraph, or of
 * one plain-text paragraph) with a space, so that hard-wrapped text reads to the model as it would to a person.
 * Fenced code, front matter, headings, lists, tables and block quotes are left alone. Offsets map back exactly.
 */
export function proseView(text: string, opts: { markdown?: boolean } = {}): ProseView {
  const markdown = opts.markdown !== false;
  const lines = splitLines(text);
  const skip = markdown ? mergeRanges(skipRegions(text).filter((r) => r.kind === 'code-block' || r.kind === 'front-matter')) : [];
  // Breaks to replace: [start, end) of the line break characters.
  const soft: Range[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const a = lines[i];
    const b = lines[i + 1];
    if (a.text.trim() === '' || b.text.trim() === '') continue;
    if (/plausibility-(disable|enable)/.test(a.text) || /plausibility-(disable|enable)/.test(b.text)) continue;
    if (markdown) {
      if (BLOCK_START.test(b.text) || /^\s{0,3}(#{1,6}\s|```|~~~|\||<)/.test(a.text) || /\|\s*$/.test(a.text)) continue;
      if (/ {2}$|\\$/.test(a.text)) continue; // Markdown hard break
      if (overlapsAny(skip, a.start, b.end)) continue;
    }
    soft.push({ start: a.end, end: a.next });
  }
  if (soft.length === 0) return { text, toOriginal: (o) => o, identity: true };
  let out = '';
  let pos = 0;
  // Segment table: normalized start -> original start, for piecewise-linear mapping.
  const normStarts: number[] = [];
  const origStarts: number[] = [];
  for (const s of soft) {
    normStarts.push(out.length);
    origStarts.push(pos);
    out += text.slice(pos, s.start) + ' ';
    pos = s.end;
  }
  normStarts.push(out.length);
  origStarts.push(pos);
  out += text.slice(pos);
  return {
    text: out,
    identity: false,
    toOriginal(offset: number): number {
      let lo = 0;
      let hi = normStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (normStarts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      const o = origStarts[lo] + (offset - normStarts[lo]);
      // Inside a replaced break (the single space): map to its start, or to its end when at the space's end.
      const nextOrig = lo + 1 < origStarts.length ? origStarts[lo + 1] : text.length;
      return Math.min(o, nextOrig);
    },
  };
}
