/**
 * The checks every offered rewrite passes, as plain functions of text (no model), so that the editor, the CLI, the
 * benchmark and the tests apply the very same rules:
 *
 * - content: every content word of the sentence outside the changed span is still there; inside the span, a content
 *   word may be replaced but not silently dropped (except for the toxicity rewrite, whose span is the toxic part);
 * - completeness: the rewritten sentence ends where the original did (a sentence or clause end), and no clause ends
 *   on a dangling article, preposition or conjunction;
 * - lexicon: no word or phrase of the LDNOOBW list (npm `naughty-words`, a different list from `badwords-list`, which
 *   bench/steer.ts and bench/rewrites.ts judge with), nor a few common curses and insults it lacks.
 */
import lexiconEn from 'naughty-words/en.json';

/** Words that carry no content of their own: dropping or adding them does not lose meaning. */
const FUNCTION_WORDS = new Set(
  (
    'a an the and or but nor so yet if then than as of to in on at by for from with into onto upon about over under ' +
    'after before between through during without within against among around off out up down near since until ' +
    'is are was were be been being am do does did done have has had having will would shall should can could may ' +
    'might must not no it its it\'s this that these those there here what which who whom whose when where why how ' +
    'i me my mine we us our ours you your yours he him his she her hers they them their theirs one ones some any ' +
    'all each every both either neither such very too also just only even still much many more most less few own ' +
    'same other another again once ever s t'
  ).split(/\s+/),
);

/** Words after which a clause cannot end. */
const DANGLING = new Set(
  (
    'a an the and or but nor of to in on at by for from with into onto about over under after before between ' +
    'through without against among than as my your his her their our its this these those is are was were be been ' +
    'am very that which who whose'
  ).split(/\s+/),
);

/** Lower-cased words (letters, digits, inner apostrophes and hyphens) of a text. */
export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*/gu) ?? []).map((w) => w.replace(/’/g, "'"));
}

export function isContentWord(word: string): boolean {
  return /\p{L}/u.test(word) && !FUNCTION_WORDS.has(word);
}

export function contentWords(text: string): string[] {
  return wordsOf(text).filter(isContentWord);
}

/** Common curses, insults and British slang the LDNOOBW list (mostly sexual terms) lacks. */
const MILD_PROFANITY = [
  'damn', 'damned', 'dammit', 'goddamn', 'hell', 'crap', 'crappy', 'piss', 'pissed', 'bugger', 'arse', 'bollock', 'bollocks',
  'idiot', 'moron', 'imbecile', 'jerk', 'muff', 'knob', 'shag', 'tosser', 'twat', 'wank', 'wanker', 'slag', 'prick',
];

const SINGLE_TERMS = new Set<string>();
const PHRASE_TERMS: string[][] = [];
for (const entry of [...(lexiconEn as string[]), ...MILD_PROFANITY]) {
  const ws = wordsOf(entry);
  if (ws.length === 1) SINGLE_TERMS.add(ws[0]);
  else if (ws.length > 1) PHRASE_TERMS.push(ws);
}

/** The lexicon terms a text contains (whole words, plural -s/-es included, and multi-word phrases). */
export function lexiconTerms(text: string): string[] {
  const ws = wordsOf(text);
  const hits = new Set<string>();
  for (const w of ws) {
    const bases = [w, w.replace(/s$/, ''), w.replace(/es$/, ''), w.replace(/'s$/, '')];
    const hit = bases.find((b) => b.length > 1 && SINGLE_TERMS.has(b));
    if (hit) hits.add(hit);
  }
  for (const p of PHRASE_TERMS)
    for (let i = 0; i + p.length <= ws.length; i++)
      if (p.every((x, j) => ws[i + j] === x)) {
        hits.add(p.join(' '));
        break;
      }
  return [...hits];
}

/** A word with its inner punctuation ("don't", "e-mail"), without the punctuation around it. */
export const WORD_TOKEN = /[\p{L}\p{N}]+(?:['’\-.][\p{L}\p{N}]+)*/gu;

/** Character ranges of the words of `text` that are lexicon terms (or part of a lexicon phrase). */
export function lexiconWordRanges(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const tokens = [...text.matchAll(WORD_TOKEN)];
  for (const m of tokens) if (lexiconTerms(m[0]).length > 0) out.push({ start: m.index!, end: m.index! + m[0].length });
  for (const p of PHRASE_TERMS)
    for (let i = 0; i + p.length <= tokens.length; i++)
      if (p.every((x, j) => wordsOf(tokens[i + j][0]).join(' ') === x))
        for (let j = 0; j < p.length; j++) out.push({ start: tokens[i + j].index!, end: tokens[i + j].index! + tokens[i + j][0].length });
  return out.sort((a, b) => a.start - b.start);
}

/** Multiset difference: the words of `want` that `have` lacks. */
function missing(want: string[], have: string[]): string[] {
  const left = new Map<string, number>();
  for (const w of have) left.set(w, (left.get(w) ?? 0) + 1);
  const out: string[] = [];
  for (const w of want) {
    const n = left.get(w) ?? 0;
    if (n > 0) left.set(w, n - 1);
    else out.push(w);
  }
  return out;
}

/** Length of the longest common subsequence of two word lists, and which words of `a` it uses. */
function lcsKeep(a: string[], b: string[]): boolean[] {
  const T = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) T[i][j] = a[i] === b[j] ? T[i + 1][j + 1] + 1 : Math.max(T[i + 1][j], T[i][j + 1]);
  const kept = new Array<boolean>(a.length).fill(false);
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      kept[i] = true;
      i++;
      j++;
    } else if (T[i + 1][j] >= T[i][j + 1]) i++;
    else j++;
  }
  return kept;
}

/** Words changed between two texts: the larger side of the word-level difference (0 when equal). */
export function changedWords(original: string, candidate: string): number {
  const a = wordsOf(original);
  const b = wordsOf(candidate);
  const common = lcsKeep(a, b).filter(Boolean).length;
  return Math.max(a.length - common, b.length - common);
}

/** Whether two words are one spelling apart (one edit, or a swap of neighbours): a fix, not a new word. */
function spellingVariant(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1 || Math.min(a.length, b.length) < 3) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ra = a.slice(i);
  const rb = b.slice(i);
  if (ra.slice(1) === rb.slice(1) || ra.slice(1) === rb || ra === rb.slice(1)) return true;
  return ra.length >= 2 && ra[0] === rb[1] && ra[1] === rb[0] && ra.slice(2) === rb.slice(2);
}

/**
 * Content words a rewrite loses. `outside`: content words of the sentence outside the span that the rewritten
 * sentence lacks. `inSpan`: content words of the span that are neither kept (nor respelled, "form" → "from") nor
 * replaced by a new content word, like "form the regional" → "from the" or → "to your"; with `isWord` (a dictionary),
 * also the span's non-words that no candidate word respells.
 */
export function droppedContent(
  sentence: string,
  spanStart: number,
  spanEnd: number,
  rewrittenSentence: string,
  replacement: string,
  isWord?: (w: string) => boolean,
): { outside: string[]; inSpan: string[] } {
  const outsideWords = contentWords(sentence.slice(0, spanStart) + ' ' + sentence.slice(spanEnd));
  const outside = missing(outsideWords, wordsOf(rewrittenSentence));
  const cand = wordsOf(replacement);
  const used = new Array<boolean>(cand.length).fill(false);
  const lost: string[] = [];
  // A misspelt word ("wnid") means the word it is a spelling of: only that word keeps it, never another ("car").
  const misspelt: string[] = [];
  for (const w of wordsOf(sentence.slice(spanStart, spanEnd))) {
    if (!isContentWord(w)) continue;
    const j = cand.findIndex((c, k) => !used[k] && spellingVariant(w, c));
    if (j >= 0) used[j] = true;
    else if (isWord && /^\p{L}+$/u.test(w) && !isWord(w)) misspelt.push(w);
    else lost.push(w);
  }
  const newContent = cand.filter((c, k) => !used[k] && isContentWord(c)).length;
  return { outside, inSpan: [...misspelt, ...lost.slice(Math.min(lost.length, newContent))] };
}

/**
 * A seam the model did not see: a word repeated across an edge of the replacement ("the the street"), a replacement
 * ending on a word that needs a complement right before another function word ("a study of about"), or clause
 * punctuation inside a replacement for a span that had none ("the reaction process, however on").
 */
export function badSeam(original: string, left: string, replacement: string, right: string): boolean {
  const l = wordsOf(left);
  const c = wordsOf(replacement);
  const r = wordsOf(right);
  if (c.length === 0) return l.length > 0 && r.length > 0 && l[l.length - 1] === r[0];
  if ((l.length > 0 && l[l.length - 1] === c[0]) || (r.length > 0 && c[c.length - 1] === r[0])) return true;
  const last = c[c.length - 1];
  if (DANGLING.has(last) && /^\s+\p{L}/u.test(right) && r.length > 0 && !isContentWord(r[0]) && last !== wordsOf(original).pop()) return true;
  return /[,;:]/.test(replacement) && !/[,;:]/.test(original);
}

const SENTENCE_END = /[.!?…]["'”’)\]]*\s*$/u;
const CLAUSE_END = /[.!?…,;:]["'”’)\]]*\s*$/u;

/** The last word before any closing punctuation, lower-cased. */
function lastWord(text: string): string {
  const ws = wordsOf(text);
  return ws[ws.length - 1] ?? '';
}

/**
 * Why a rewritten sentence reads as cut off, or undefined when it is complete: it must end a sentence (or clause)
 * where the original did, and neither its end nor the end of the replacement before a clause break may be a word
 * that cannot close a clause ("the", "of", "and"…).
 */
export function truncation(originalSentence: string, rewrittenSentence: string, replacement: string, rightOfSpan: string): string | undefined {
  if (/[\n\uFFFD]/u.test(replacement)) return 'the replacement holds a line break or a broken character';
  const o = originalSentence.trimEnd();
  const r = rewrittenSentence.trimEnd();
  if (SENTENCE_END.test(o) && !SENTENCE_END.test(r)) return 'the rewritten sentence no longer ends a sentence';
  if (CLAUSE_END.test(o) && !CLAUSE_END.test(r)) return 'the rewritten sentence no longer ends a clause';
  const end = lastWord(r);
  if (DANGLING.has(end) && end !== lastWord(o)) return `the sentence ends on "${end}"`;
  // The replacement closes a clause when what follows it is punctuation or nothing.
  if (replacement.trim() && /^\s*([.!?…,;:)\]"”]|$)/u.test(rightOfSpan)) {
    const w = lastWord(replacement);
    if (DANGLING.has(w) && w !== lastWord(originalSentence.slice(0, originalSentence.length - rightOfSpan.length))) return `the clause ends on "${w}"`;
  }
  // A sentence end inside the replacement, with more of the sentence after it, cuts the sentence in two.
  if (/[.!?…]\s+\S/u.test(replacement.trim() + rightOfSpan.replace(/^\s*$/, '')) && !/[.!?…]\s+\S/u.test(originalSentence.trim()))
    return 'the replacement ends the sentence early';
  return undefined;
}
