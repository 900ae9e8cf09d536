/** Closed word classes: the small sets of function words whose members writers confuse with one another. */

/** Words that open a noun phrase, so the word after them is its noun (when a verb follows). */
export const DETERMINERS: ReadonlySet<string> = new Set(['the', 'a', 'an', 'this', 'that', 'these', 'those', 'my', 'your', 'his', 'her', 'its', 'our', 'their', 'each', 'every', 'many', 'several', 'both', 'few']);

const PREPOSITION_LIST = ['in', 'on', 'at', 'to', 'for', 'of', 'with', 'by', 'from', 'about', 'into', 'onto', 'over', 'under', 'between', 'among', 'through', 'during', 'since', 'until', 'towards', 'toward', 'against', 'without', 'within'];
export const PREPOSITIONS: ReadonlySet<string> = new Set(PREPOSITION_LIST);

/** Closed word classes whose members writers swap for one another. */
const WORD_CLASSES: readonly (readonly string[])[] = [
  PREPOSITION_LIST,
  // Determiners, by what a slip confuses: an article, a demonstrative's number, a quantity. "the" for "that" is a
  // choice of meaning, not a slip, so articles and demonstratives are apart.
  ['a', 'an', 'the', 'some', 'any'],
  ['this', 'that', 'these', 'those'],
  ['each', 'every', 'some', 'any', 'much', 'many', 'few', 'little', 'less', 'fewer'],
  ['he', 'she', 'it', 'they', 'we', 'you', 'i'],
  ['him', 'her', 'them', 'us', 'me', 'it', 'you'],
  ['his', 'her', 'its', 'their', 'our', 'your', 'my'],
  ['who', 'which', 'whom', 'whose', 'that'],
  ['is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'has', 'have', 'had', 'do', 'does', 'did', 'will', 'would', 'can', 'could', 'shall', 'should', 'may', 'might', 'must'],
  ['and', 'or', 'but', 'nor', 'because', 'although', 'though', 'if', 'when', 'while', 'whether', 'unless'],
];
const WORD_CLASS = new Map<string, number[]>();
WORD_CLASSES.forEach((ws, c) => ws.forEach((w) => WORD_CLASS.set(w, [...(WORD_CLASS.get(w) ?? []), c])));

/** A member of a closed word class: a preposition, determiner, pronoun, auxiliary or conjunction. */
export function isClosedClass(w: string): boolean {
  return WORD_CLASS.has(w);
}

/** Two different words of one closed class ("on"/"in", "a"/"the", "is"/"are"). */
export function sameWordClass(a: string, b: string): boolean {
  const ca = WORD_CLASS.get(a.toLowerCase());
  const cb = WORD_CLASS.get(b.toLowerCase());
  return a.toLowerCase() !== b.toLowerCase() && !!ca && !!cb && ca.some((c) => cb.includes(c));
}
