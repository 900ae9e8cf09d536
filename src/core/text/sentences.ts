/**
 * The one sentence splitter. Soft line breaks inside a paragraph are read as spaces; a blank line, a Markdown heading
 * or list item, or sentence-final punctuation followed by space ends a sentence. Linear in the text.
 */
import type { Range } from './markdown';

const CLOSERS = new Set(['"', "'", ')', ']', '’', '”', '»']);
const ABBREVIATIONS = /(?:^|[\s(])(?:e\.g|i\.e|etc|vs|cf|Mr|Mrs|Ms|Dr|Prof|St|No|Fig|approx)\.$/;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00a0';
}

/** Whether the line starting at `i` opens a new block-level item (heading, list item, quote). */
function opensItem(text: string, i: number): boolean {
  let j = i;
  while (j < text.length && (text[j] === ' ' || text[j] === '\t') && j - i < 4) j++;
  const c = text[j];
  if (c === '#' || c === '>' || c === '|') return true;
  if ((c === '-' || c === '*' || c === '+') && text[j + 1] === ' ') return true;
  let k = j;
  while (k < text.length && k - j < 4 && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k++;
  return k > j && (text[k] === '.' || text[k] === ')') && text[k + 1] === ' ';
}

/** Sentences of `text` as trimmed [start, end) ranges, in order. */
export function splitSentences(text: string): Range[] {
  const out: Range[] = [];
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    let e = end;
    while (e > start && isSpace(text[e - 1])) e--;
    if (e > start) out.push({ start, end: e });
    start = -1;
  };
  const n = text.length;
  let lineStart = 0;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      // A blank line, a heading line, or a new heading/list item on the next line ends the sentence; a soft break
      // does not.
      let j = i + 1;
      if (c === '\r' && text[j] === '\n') j++;
      let k = j;
      while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
      let h = lineStart;
      while (h < i && (text[h] === ' ' || text[h] === '\t')) h++;
      if (k >= n || text[k] === '\n' || text[k] === '\r' || text[h] === '#' || opensItem(text, j)) close(i);
      lineStart = j;
      i = j - 1;
      continue;
    }
    if (start < 0) {
      if (!isSpace(c)) start = i;
      else continue;
    }
    if (c === '.' || c === '!' || c === '?' || c === '…') {
      let j = i + 1;
      while (j < n && (text[j] === '.' || text[j] === '!' || text[j] === '?')) j++;
      while (j < n && CLOSERS.has(text[j])) j++;
      if (j < n && !isSpace(text[j])) {
        i = j - 1;
        continue;
      }
      // "e.g." and "Dr." do not end a sentence; nor does a full stop followed by a lowercase word.
      if (c === '.' && j === i + 1 && ABBREVIATIONS.test(text.slice(Math.max(start, i - 8), i + 1))) continue;
      let k = j;
      while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
      if (k < n && /\p{Ll}/u.test(text[k])) continue;
      close(j);
      i = j - 1;
    }
  }
  close(n);
  return out;
}

/** The sentence containing `offset` (or the nearest one before it). */
export function sentenceAt(sentences: Range[], offset: number): Range | undefined {
  let lo = 0;
  let hi = sentences.length - 1;
  let best: Range | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sentences[mid].start <= offset) {
      best = sentences[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
