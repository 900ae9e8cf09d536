/**
 * Sentences of a document for the toxicity head, and which of them are prose: headings, code, front matter, HTML and
 * sentences without a content word (a word that is not a function word, e.g. "OK, so." or "1.") are skipped.
 */
import { mergeRanges, skipRegions } from './markdown';
import { splitSentences as splitRanges } from './sentences';

/** A sentence of a document: [start, end) UTF-16 offsets, trimmed of surrounding whitespace. */
export interface SentenceRange {
  start: number;
  end: number;
  text: string;
}

/** Sentences of `text` with their text, from the one shared splitter (./text/sentences). */
export function splitSentences(text: string): SentenceRange[] {
  return splitRanges(text).map((r) => ({ start: r.start, end: r.end, text: text.slice(r.start, r.end) }));
}

// Function words (closed classes) and fillers: a sentence made only of these says nothing the head could judge.
const FUNCTION_WORDS = new Set(
  (
    'a an the and or but nor so yet for of to in on at by with from up down out over under into onto off as than then ' +
    'if when while because though although that this these those there here which who whom whose what where why how ' +
    'i me my mine we us our ours you your yours he him his she her hers it its they them their theirs one ' +
    'is am are was were be been being do does did done have has had having will would shall should can could may ' +
    'might must not no yes ok okay oh ah um uh hm hmm well very too also just only all any some each both either ' +
    'neither such own same other more most less few many much again ever still even now etc ie eg vs'
  ).split(' '),
);

/** Whether the text has a content word: a word of two or more letters that is not a function word. */
export function hasContentWord(text: string): boolean {
  for (const m of text.matchAll(/\p{L}[\p{L}\p{M}'’]*/gu)) {
    const w = m[0].toLowerCase().replace(/['’].*$/, '');
    if (w.length >= 2 && !FUNCTION_WORDS.has(w)) return true;
  }
  return false;
}

/** A Markdown/ATX heading line (`# Notes`), or a setext heading's text line. */
function headingLines(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(/^[ \t]{0,3}#{1,6}(?:[ \t][^\n]*)?$/gm)) out.push({ start: m.index!, end: m.index! + m[0].length });
  for (const m of text.matchAll(/^([^\n]*\S[^\n]*)\n[ \t]{0,3}(?:=+|-{2,})[ \t]*$/gm)) out.push({ start: m.index!, end: m.index! + m[0].length });
  return out;
}

/**
 * The sentences of `text` that are prose. With `markdown` (default), front matter, code, HTML and directive-disabled
 * regions are skipped; headings are skipped in every kind of text.
 */
export function proseSentences(text: string, opts: { markdown?: boolean } = {}): SentenceRange[] {
  const skip = mergeRanges([...(opts.markdown === false ? [] : skipRegions(text)), ...headingLines(text)]);
  return splitSentences(text).filter(
    (s) => hasContentWord(s.text) && !skip.some((r) => r.start < s.end && s.start < r.end && coversMostOf(r, s)),
  );
}

/** A skipped region hides a sentence when it covers at least half of it (inline code leaves the rest prose). */
function coversMostOf(r: { start: number; end: number }, s: SentenceRange): boolean {
  return Math.min(r.end, s.end) - Math.max(r.start, s.start) >= (s.end - s.start) / 2;
}
