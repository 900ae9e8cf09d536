/**
 * Splitting a document into independently scored blocks (inline directives are handled by src/core/text/markdown).
 *
 * The document is first *masked*: everything that is not prose (Markdown code fences, front matter, HTML comments,
 * LaTeX comments, and in code files everything outside comments, comment markers included) becomes spaces, newlines
 * kept. The masked text has the same length as the document, so offsets need no mapping. Blocks are then the
 * paragraphs of the masked text (runs of non-blank lines), with long paragraphs cut at sentence ends.
 *
 * Pure text: shared by the CLI, the language server and the benchmarks.
 */

/** Languages whose whole text is prose. Any other enabled language is checked in its comments only. */
export const PROSE_LANGUAGES = new Set(['markdown', 'plaintext', 'latex', 'tex', 'restructuredtext', 'asciidoc', 'text']);

export interface Block {
  /** Offset of the first character in the document (UTF-16 code units). */
  start: number;
  /** The block's text (a slice of the masked document). */
  text: string;
}

/**
 * Ranges of a text to blank (spaces, line breaks kept), applied in one pass: no per-character array, so a 10 MB
 * document costs a few strings, not tens of millions of one-character ones.
 */
class Blanks {
  private readonly ranges: [number, number][] = [];
  add(from: number, to: number): void {
    if (to > from) this.ranges.push([from, to]);
  }
  apply(text: string): string {
    if (this.ranges.length === 0) return text;
    this.ranges.sort((a, b) => a[0] - b[0]);
    const parts: string[] = [];
    let at = 0;
    for (const [from, to] of this.ranges) {
      const a = Math.max(from, at);
      if (to <= a) continue;
      parts.push(text.slice(at, a), text.slice(a, to).replace(/[^\r\n]/g, ' '));
      at = to;
    }
    parts.push(text.slice(at));
    return parts.join('');
  }
}

/** Line start offsets of `text` (the first is 0). */
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) out.push(i + 1);
  return out;
}

function maskMarkdown(text: string, chars: Blanks): void {
  const starts = lineStarts(text);
  const lineEnd = (i: number) => (i + 1 < starts.length ? starts[i + 1] : text.length);
  let i = 0;
  // Front matter: a first line of --- (YAML) or +++ (TOML) up to the matching closing line.
  const first = text.slice(0, lineEnd(0)).trim();
  if (first === '---' || first === '+++') {
    for (let j = 1; j < starts.length; j++) {
      if (text.slice(starts[j], lineEnd(j)).trim() === first) {
        chars.add(0, lineEnd(j));
        i = j + 1;
        break;
      }
    }
  }
  // Fenced code blocks (``` or ~~~, any indentation up to 3 spaces, closed by a fence of the same kind).
  let fence: string | undefined;
  let fenceStart = 0;
  for (; i < starts.length; i++) {
    const line = text.slice(starts[i], lineEnd(i));
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (m) {
        fence = m[1];
        fenceStart = starts[i];
      }
    } else if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) {
      chars.add(fenceStart, lineEnd(i));
      fence = undefined;
    }
  }
  if (fence !== undefined) chars.add(fenceStart, text.length);
  maskRegex(text, chars, /<!--[\s\S]*?(?:-->|$)/g);
}

/** A line of code: it ends in ; { or }, or opens with a preprocessor line, a prompt, a comment or a call or assignment. */
const CODE_LINE =
  /[;{}]\s*$|^\s*(?:#\s*(?:include|define|if|ifdef|endif)\b|\$ |>>> |\/\/|\/\*|(?:def|class|import|return|static|int|void|char|const)\b.*[({:;=]|[A-Za-z_][\w.]*\s*=\s*\S|[A-Za-z_][\w.]*\([^()]*\)\s*$)/;

/**
 * Code pasted into a plain-text document: a paragraph whose lines are all indented (four spaces or a tab) and at
 * least half of which read as code. Indented prose (a quotation) has no such lines and stays.
 */
function maskIndentedCode(text: string, chars: Blanks): void {
  for (const m of text.matchAll(/(?:^|\n)((?:[ \t]*\S[^\n]*(?:\n|$))+)/g)) {
    const para = m[1];
    const lines = para.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0 || !lines.every((l) => /^(?: {4}|\t)/.test(l))) continue;
    if (lines.filter((l) => CODE_LINE.test(l)).length * 2 < lines.length) continue;
    const start = m.index! + m[0].length - para.length;
    chars.add(start, start + para.length);
  }
}

/**
 * reStructuredText's non-prose lines: comments and directive lines (`.. note::`; the body of a code directive too),
 * section adornments (`=====`), doctest blocks (`>>> ...` to the next blank line) and literal blocks (the indented
 * block after a paragraph ending in "::").
 */
function maskRst(text: string, chars: Blanks): void {
  const starts = lineStarts(text);
  const lineEnd = (i: number) => (i + 1 < starts.length ? starts[i + 1] : text.length);
  const line = (i: number) => text.slice(starts[i], lineEnd(i)).replace(/\r?\n$/, '');
  const indent = (t: string) => t.length - t.trimStart().length;
  for (let i = 0; i < starts.length; i++) {
    const t = line(i);
    const code = /^\s*\.\. (?:code-block|code|sourcecode|literalinclude|doctest|testcode|testoutput|productionlist)::/.test(t);
    // An admonition's own text after its marker is prose (".. note:: It is strongly advised ...").
    const directive = /^\s*\.\. [\w:-]+::[ \t]*(?=\S)/.exec(t);
    if (directive && !code) {
      chars.add(starts[i], starts[i] + directive[0].length);
      continue;
    }
    // Grid tables read across their columns, not as sentences: their border and row lines.
    const gridLine = /^\s*\+[-=+]+\+\s*$/.test(t) || (/^\s*\|.*\|\s*$/.test(t) && /^\s*[+|]/.test(i > 0 ? line(i - 1) : ''));
    if (/^\s*\.\.(?:\s|$)/.test(t) || /^([=\-`:'"~^_*+#<>.])\1{2,}\s*$/.test(t) || gridLine || code) {
      chars.add(starts[i], lineEnd(i));
      if (!code) continue;
    }
    if (/^\s*>>> /.test(t)) {
      let j = i;
      while (j < starts.length && line(j).trim() !== '') j++;
      chars.add(starts[i], lineEnd(j - 1));
      i = j - 1;
      continue;
    }
    if (code || /::\s*$/.test(t)) {
      // Skip blank lines, then take every line indented deeper than the "::" line (or blank) as the literal block.
      let j = i + 1;
      while (j < starts.length && line(j).trim() === '') j++;
      const base = indent(t);
      let last = -1;
      for (let k = j; k < starts.length; k++) {
        const u = line(k);
        if (u.trim() === '') continue;
        if (indent(u) <= base) break;
        last = k;
      }
      if (last >= j) {
        chars.add(starts[j], lineEnd(last));
        i = last;
      }
    }
  }
}

function maskRegex(text: string, chars: Blanks, re: RegExp): void {
  for (const m of text.matchAll(re)) chars.add(m.index!, m.index! + m[0].length);
}

/** Comment syntax by language id, for languages checked in their comments only. */
const COMMENT_SYNTAX: Record<string, { line?: string[]; block?: [string, string][] }> = {
  python: { line: ['#'], block: [['"""', '"""']] },
  shellscript: { line: ['#'] },
  ruby: { line: ['#'] },
  perl: { line: ['#'] },
  r: { line: ['#'] },
  yaml: { line: ['#'] },
  toml: { line: ['#'] },
  dockerfile: { line: ['#'] },
  makefile: { line: ['#'] },
  powershell: { line: ['#'], block: [['<#', '#>']] },
  sql: { line: ['--'], block: [['/*', '*/']] },
  lua: { line: ['--'] },
  haskell: { line: ['--'], block: [['{-', '-}']] },
  html: { block: [['<!--', '-->']] },
  xml: { block: [['<!--', '-->']] },
};
const C_LIKE = { line: ['//'], block: [['/*', '*/']] as [string, string][] };

/**
 * Keeps only comment bodies (markers blanked). A small scanner: it knows string literals in the common quote
 * styles so that `"// not a comment"` stays code, which is enough for linting prose in comments.
 */
function maskCode(text: string, languageId: string): string {
  const syntax = COMMENT_SYNTAX[languageId] ?? C_LIKE;
  const keep = new Uint8Array(text.length);
  let i = 0;
  const n = text.length;
  const startsWith = (s: string, at: number) => text.startsWith(s, at);
  while (i < n) {
    const c = text[i];
    let matched = false;
    for (const [open, close] of syntax.block ?? []) {
      if (startsWith(open, i)) {
        const end = text.indexOf(close, i + open.length);
        const stop = end < 0 ? n : end;
        for (let j = i + open.length; j < stop; j++) keep[j] = 1;
        i = end < 0 ? n : end + close.length;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const open of syntax.line ?? []) {
      if (startsWith(open, i)) {
        let j = i + open.length;
        while (j < n && text[j] === open[0]) j++; // '///', '##'
        const eol = text.indexOf('\n', j);
        const stop = eol < 0 ? n : eol;
        for (let k = j; k < stop; k++) keep[k] = 1;
        i = stop;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (c === '"' || c === "'" || c === '`') {
      // Skip a string literal (same-line for ' and ", multi-line for `).
      let j = i + 1;
      while (j < n && text[j] !== c && (c === '`' || text[j] !== '\n')) j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    i++;
  }
  const blanks = new Blanks();
  for (let k = 0; k < n; ) {
    let j = k;
    while (j < n && keep[j] === keep[k]) j++;
    if (!keep[k]) blanks.add(k, j);
    k = j;
  }
  // Leading '*' of JSDoc-style continuation lines is a marker, not prose.
  return blanks.apply(text).replace(/^([ \t]*)\*(?!\*)/gm, '$1 ');
}

/** The masked document: same length as `text`, with non-prose replaced by spaces. */
export function maskDocument(text: string, languageId: string): string {
  if (!PROSE_LANGUAGES.has(languageId)) return maskCode(text, languageId);
  const chars = new Blanks();
  if (languageId === 'markdown') maskMarkdown(text, chars);
  else if (languageId === 'latex' || languageId === 'tex') {
    maskRegex(text, chars, /(?<!\\)%.*$/gm);
    // Verbatim environments are code: \begin{verbatim} ... \end{verbatim} (also lstlisting, minted, Verbatim).
    maskRegex(text, chars, /\\begin\{(verbatim\*?|Verbatim|lstlisting|minted|alltt)\}[\s\S]*?(?:\\end\{\1\}|$(?![\s\S]))/g);
  } else if (languageId === 'restructuredtext') maskRst(text, chars);
  else if (languageId === 'plaintext' || languageId === 'text') maskIndentedCode(text, chars);
  return chars.apply(text);
}

/** Splits masked text into paragraphs, each at most `maxChars` long (cut at sentence or word ends). */
export function splitBlocks(masked: string, maxChars = 1200): Block[] {
  const blocks: Block[] = [];
  const re = /\S[\s\S]*?(?=\n[ \t\r]*\n|\s*$)/g;
  for (const m of masked.matchAll(re)) {
    let start = m.index!;
    let text = m[0];
    while (text.length > maxChars) {
      const cut = cutPoint(text, maxChars);
      blocks.push({ start, text: text.slice(0, cut).trimEnd() });
      const rest = text.slice(cut);
      const lead = rest.length - rest.trimStart().length;
      start += cut + lead;
      text = rest.slice(lead);
    }
    if (text.length > 0) blocks.push({ start, text });
  }
  return blocks;
}

/** Where to cut a long paragraph: after the last sentence end before `max`, else the last space, else `max`. */
function cutPoint(text: string, max: number): number {
  const head = text.slice(0, max);
  let best = -1;
  for (const m of head.matchAll(/[.!?;:]["')\]]*\s+/g)) if (m.index! + m[0].length > max / 3) best = m.index! + m[0].length;
  if (best > 0) return best;
  const sp = head.lastIndexOf(' ');
  if (sp > max / 3) return sp + 1;
  // Do not cut a surrogate pair.
  const c = text.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max;
}

/**
 * The left context of a block: up to `maxChars` of masked text before it, starting at a word boundary, with
 * whitespace runs squeezed (a paragraph break stays a paragraph break).
 */
export function leftContext(masked: string, blockStart: number, maxChars: number): string {
  if (maxChars <= 0 || blockStart === 0) return '';
  let from = Math.max(0, blockStart - maxChars * 2);
  let raw = masked.slice(from, blockStart);
  raw = raw.replace(/[ \t]*\n[ \t\r\n]*\n[ \t\r\n]*/g, '\n\n').replace(/[ \t]+/g, ' ').replace(/^\s+/, '');
  if (raw.trim().length === 0) return '';
  if (raw.length > maxChars) {
    raw = raw.slice(raw.length - maxChars);
    const sp = raw.search(/\s/);
    raw = sp >= 0 ? raw.slice(sp + 1) : raw;
  }
  // The separator before the block is kept as it is (a paragraph break, usually).
  return raw.endsWith('\n\n') || raw.endsWith(' ') || raw.endsWith('\n') ? raw : raw + ' ';
}

/** 53-bit FNV-1a-style hash of strings, as a short key. */
export function hashKey(...parts: string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let len = 0;
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 2246822519);
    }
    h1 = Math.imul(h1 ^ 0x1f, 16777619);
    len += s.length + 1;
  }
  return `${len.toString(36)}.${(h1 >>> 0).toString(36)}.${(h2 >>> 0).toString(36)}`;
}

/** Cheap check for binary content: NUL characters, or a line longer than `maxLine`. */
export function looksBinaryOrHugeLine(text: string, maxLine = 20_000): 'binary' | 'huge-line' | undefined {
  const probe = text.length > 1_000_000 ? text.slice(0, 1_000_000) : text;
  if (probe.includes('\u0000')) return 'binary';
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 10) {
      if (i - last > maxLine) return 'huge-line';
      last = i + 1;
    }
  }
  return undefined;
}
