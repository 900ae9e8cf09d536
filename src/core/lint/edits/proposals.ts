/**
 * Candidate edits of one sentence: where to look (non-words, and words the model finds surprising) and what to try
 * there. Nothing here decides; the verifier keeps an edit only when the model finds the edited sentence clearly more
 * likely.
 */
import { GRAMMAR_PATTERNS } from './grammarPatterns';
import { editDistance, type Lexicon } from './lexicon';
import { sameWordClass } from './wordClasses';

/**
 * Kinds of candidate edit; each has its own margin. A repeated word is an extra word with much stronger evidence.
 * Replacements of a real word come in seven kinds, because the evidence each needs differs: `word-choice` (a word a
 * letter or two away), `inflection` (another form of the same word: agreement and tense), `agreement` (the verb form
 * for its subject's number, right after a determiner and noun), `noun-number` (the noun's number for the determiner
 * or number before it: "several reason", "every years"), `article` ("a" or "an" for the sound after it),
 * `preposition` (the word's usual preposition in the corpus: "interested on"), `function-word` (the model's own choice
 * of preposition, article or pronoun) and `confusable` (homophones). `missing-preposition` ("went the store") and
 * `adverb-position` ("I only have eaten") are the patterns' own insertions and swaps, with their own margins.
 */
export type EditKind =
  | 'spelling'
  | 'word-choice'
  | 'inflection'
  | 'agreement'
  | 'noun-number'
  | 'article'
  | 'preposition'
  | 'function-word'
  | 'confusable'
  | 'missing-word'
  | 'missing-preposition'
  | 'extra-word'
  | 'repeated-word'
  | 'word-order'
  | 'adverb-position'
  | 'capitalization';

/**
 * Words writers confuse with another real word (homophones and near-homophones). A small model rarely finds the
 * slip surprising ("Their is"), so every occurrence is tried; the swap must still make the sentence clearly more
 * likely, by the margin calibrated for this kind. Words as common as "to" and "of" are left out: trying "too" and
 * "off" everywhere would cost more than it finds.
 */
const CONFUSABLE_SETS = [
  ['their', 'there', "they're"],
  ['your', "you're"],
  ['its', "it's"],
  ['then', 'than'],
  ['were', 'where'],
  ['whose', "who's"],
  ['lose', 'loose'],
  ['affect', 'effect'],
  ['accept', 'except'],
  ['quiet', 'quite'],
  ['weather', 'whether'],
  ['advice', 'advise'],
  ['breath', 'breathe'],
  ['peace', 'piece'],
  ['principal', 'principle'],
  ['passed', 'past'],
  ['led', 'lead'],
  ['form', 'from'],
  // Pairs a writer mixes up whose other word rarely fits the same place. Pairs where both often fit ("sight"/"site",
  // "whole"/"hole", "desert"/"dessert", "threw"/"through") were tried and flagged correct prose in a corpus probe.
  ['complement', 'compliment'],
  ['stationary', 'stationery'],
  ['personal', 'personnel'],
  ['discreet', 'discrete'],
  ['aloud', 'allowed'],
  ['adverse', 'averse'],
  ['elicit', 'illicit'],
  ['council', 'counsel'],
  ['week', 'weak'],
  ['wander', 'wonder'],
];
const CONFUSABLES = new Map<string, string[]>();
for (const set of CONFUSABLE_SETS) for (const w of set) CONFUSABLES.set(w, set.filter((x) => x !== w));

/** The words a writer may have meant instead of `word` (lower case), or none. */
export function confusablesOf(word: string): readonly string[] {
  return CONFUSABLES.get(word.toLowerCase().replace(/’/g, "'")) ?? [];
}

/** Offsets are relative to the sentence. */
export interface Edit {
  kind: EditKind;
  /** The text replaced, [start, end), and what replaces it. */
  start: number;
  end: number;
  replacement: string;
  /** The finding's range (the error itself; for a missing word, the two words around the gap) and its fix. */
  flagStart: number;
  flagEnd: number;
  flagReplacement: string;
  /** Bits the edit must win by beyond its kind's margin: far-fetched candidates need more evidence. */
  cost: number;
}

export interface SentenceWord {
  start: number;
  end: number;
  text: string;
  /** Surprisal of the word's tokens in bits, and whether it is above the pre-filter threshold. */
  bits: number;
  surprising: boolean;
  /** The model's likeliest whole words at this word's position (from its first token's alternatives). */
  alternatives: string[];
  /** The model's probability of each alternative's token at this position. */
  alternativeProbs: number[];
  /** Rank of the word's first token under the model (1 = its first choice). */
  rank: number;
  /**
   * Set apart as a mention (`_he_` for the package "he", `*might*` for stress): another word in its place is no fix,
   * though a misspelling of it still is.
   */
  mention?: boolean;
  /** Right after markup the reader does not read (a link's "[", an emphasis mark): a lower case there may be a name. */
  afterMarkup?: boolean;
}

export interface ProposalOptions {
  enabled: Set<EditKind>;
  /** The text before ends mid-sentence (a long paragraph cut at a colon): the first word opens nothing. */
  continues?: boolean;
  /** At most this many candidates per sentence. */
  maxCandidates?: number;
}

const WORD_RE = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*/gu;

/** Words of a sentence with their offsets. */
export function sentenceWords(sentence: string): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(sentence))) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out;
}

/** `to` written in the letter case of `from` (Their -> There, THE -> THEM). */
export function matchCase(from: string, to: string): string {
  if (from.length > 1 && from === from.toUpperCase() && /\p{Lu}/u.test(from)) return to.toUpperCase();
  if (/^\p{Lu}/u.test(from) && /^\p{Ll}/u.test(to)) return to[0].toUpperCase() + to.slice(1);
  return to;
}

function isName(w: string, sentenceStart: boolean): boolean {
  return !sentenceStart && /^\p{Lu}/u.test(w);
}

/** Characters that only code glues to a word (`@ecosyste-ms`, `$HOME`, `a=b`, `~/dir`). */
const CODE_GLUE = /[\\@#$=<>{}|~^+&%]/;
/** Characters that join two words into one name or path (`options.nodupes`, `src/index`, `no_dupes`). */
const NAME_JOINERS = /[._/]/;

/**
 * An identifier or a name written as one, not a word to spell-check: inner capitals (`isEven`, `jQuery`, `CommonJS`),
 * code punctuation glued to it, joined to another word by a full stop, underscore or slash, or one part of a name of
 * three or more hyphenated parts (`vso-node-api`) or of two with a number (`darwin-x64`; "new-fasion" is prose).
 */
export function isCodeLike(sentence: string, w: { start: number; end: number; text: string }): boolean {
  if (/\p{Ll}\p{Lu}/u.test(w.text)) return true;
  const before = sentence[w.start - 1] ?? '';
  const after = sentence[w.end] ?? '';
  if (CODE_GLUE.test(before) || CODE_GLUE.test(after)) return true;
  const word = /[\p{L}\p{N}]/u;
  if ((NAME_JOINERS.test(before) && word.test(sentence[w.start - 2] ?? '')) || (NAME_JOINERS.test(after) && word.test(sentence[w.end + 1] ?? ''))) return true;
  const left = /(?:[\p{L}\p{N}]+-)*$/u.exec(sentence.slice(Math.max(0, w.start - 100), w.start))![0];
  const right = /^(?:-[\p{L}\p{N}]+)*/u.exec(sentence.slice(w.end, w.end + 100))![0];
  const parts = (left.match(/-/g) ?? []).length + (right.match(/-/g) ?? []).length + 1;
  // A compound with a number in it is a name too (`darwin-x64`, `utf-8`).
  return parts >= 3 || (parts === 2 && /\p{N}/u.test(left + right));
}

/** Candidate costs in bits, by how far-fetched the candidate is (a noisy-channel prior, roughly). */
export const CANDIDATE_COST = {
  dictionary: 0,
  neighbour1: 0,
  neighbour2: 3,
  inflection: 0,
  functionWord: 1,
  spelling2: 3,
  spelling3: 8,
  sentenceStartName: 6,
  insertion: 2,
  deletion: 0,
  swap: 2,
  confusable: 0,
  confusableDeletion: 4,
  designedRepeat: 8,
  pattern: 0,
};

/** Words English doubles on purpose ("had had", "that that", "very very"): a repeat of any other word is a slip. */
export const DOUBLED_BY_DESIGN: ReadonlySet<string> = new Set(['had', 'that', 'is', 'was', 'do', 'very', 'so', 'no', 'really', 'far', 'long', 'well', 'again', 'more', 'much', 'bye', 'ha', 'knock', 'can', 'will', 'what', 'who']);

/**
 * Extra bits a replacement needs when it is a more frequent word than the original: the model prefers frequent words
 * everywhere, and a rare correct word must not lose to a common wrong one. Zipf: log-probability falls with log-rank.
 */
function frequencyPenalty(from: string, to: string, lex: Lexicon): number {
  const r = (w: string) => Math.min(lex.frequencyRank(w), lex.frequentWords * 2) + 50;
  return Math.max(0, Math.log2(r(from) / r(to)));
}

/** Short, very frequent words: the only ones a deletion or insertion may touch (apart from a repeated word). */
function isFunctionWord(w: string, lex: Lexicon): boolean {
  return w.length <= 5 && /^[a-z]+$/i.test(w) && lex.frequencyRank(w) < 150;
}

/**
 * Real-word errors are confusions between common words (form/from, their/there, shows/show): a rare word is almost
 * always meant, and the model prefers common words everywhere, so rare words are never replaced by another word.
 */
function isCommonWord(w: string, lex: Lexicon): boolean {
  return lex.frequencyRank(w) < COMMON_WORDS;
}
const COMMON_WORDS = 3000;
/** Candidates verified per sentence, most promising first (non-words, repeats, then the most surprising words). */
const MAX_CANDIDATES = 20;
/** Spelling candidates tried for one non-word. */
const SPELLING_PER_WORD = 6;
/** Words examined a sentence, the most surprising first. */
const MAX_EXAMINED = 3;
/** The probability above which the model "expects" a word at a position (an insertion or a replacement there). */
const EXPECTED_PROB = 0.1;

/** Proposes candidate edits for one sentence. */
export function proposeEdits(sentence: string, words: SentenceWord[], lex: Lexicon, opts: ProposalOptions): Edit[] {
  const out: Edit[] = [];
  const seen = new Set<string>();
  const on = opts.enabled;
  const add = (e: Edit) => {
    if (!on.has(e.kind)) return;
    const k = `${e.start}:${e.end}:${e.replacement}`;
    if (seen.has(k) || sentence.slice(e.start, e.end) === e.replacement) return;
    seen.add(k);
    out.push(e);
  };
  // `ownForm`: only the word's form changes (a grammar pattern's fix), so a rare word is fine.
  const replaceWord = (i: number, to: string, kind: EditKind, cost: number, ownForm = false) => {
    const w = words[i];
    // One closed-class word for another is a function-word swap, whichever list proposed it ("on" -> "in").
    if (kind === 'word-choice' && sameWordClass(w.text, to)) kind = 'function-word';
    const realWordSwap = kind === 'word-choice' || kind === 'inflection' || kind === 'agreement' || kind === 'noun-number' || kind === 'preposition' || kind === 'function-word';
    if (realWordSwap && !ownForm && !isCommonWord(to, lex)) return;
    // A confusion already tried as such is not tried again as a plain word choice.
    if (realWordSwap && confusablesOf(w.text).includes(to.toLowerCase())) return;
    const r = matchCase(w.text, to);
    const k = r.toLowerCase() === w.text.toLowerCase() && r !== w.text ? 'capitalization' : kind;
    // Two forms of one verb differ in frequency by their grammar, which the subject decides, not by the writer's choice.
    const c = cost + (kind === 'spelling' || ownForm ? 0 : frequencyPenalty(w.text, to, lex));
    add({ kind: k, start: w.start, end: w.end, replacement: r, flagStart: w.start, flagEnd: w.end, flagReplacement: r, cost: c });
  };
  // A word inserted before word i: the finding covers the words around the gap.
  const insertBefore = (i: number, word: string, kind: EditKind, cost: number) => {
    const w = words[i];
    const prev = words[i - 1];
    add({ kind, start: w.start, end: w.start, replacement: word + ' ', flagStart: prev.start, flagEnd: w.end, flagReplacement: sentence.slice(prev.start, w.start) + word + ' ' + w.text, cost });
  };
  // Words a and b swapped (a swap keeps the first word's capital at the sentence start).
  const swapWords = (a: number, b: number, kind: EditKind, cost: number) => {
    const A = words[a];
    const B = words[b];
    const gap = sentence.slice(A.end, B.start);
    const first = a === 0 ? matchCase(A.text, B.text) : B.text;
    const second = a === 0 && lex.isKnown(A.text.toLowerCase()) ? A.text.toLowerCase() : A.text;
    const swapped = first + gap + second;
    add({ kind, start: A.start, end: B.end, replacement: swapped, flagStart: A.start, flagEnd: B.end, flagReplacement: swapped, cost });
  };
  // An identifier is the writer's exact name for something, and a part of a hyphenated compound belongs to it
  // ("built-ins"): no other word replaces either ("batch/sequence/past axes").
  const hyphened = (w: SentenceWord) => /[\p{L}\p{N}]-$/u.test(sentence.slice(Math.max(0, w.start - 2), w.start)) || /^-[\p{L}\p{N}]/u.test(sentence.slice(w.end, w.end + 2));
  const codeLike = words.map((w) => isCodeLike(sentence, w));
  words = words.map((w, i) => (!w.mention && (codeLike[i] || hyphened(w)) ? { ...w, mention: true } : w));
  const nonWord = new Set<number>();
  const spelling: { i: number; cands: { to: string; cost: number }[] }[] = [];

  // Non-words: dictionary corrections. Names, acronyms, words with digits, words frequent in the model's training
  // text and the other dialect's spellings are real words (a word used again in the document is cleared by the
  // runner, which sees the whole document).
  words.forEach((w, i) => {
    if (!/^[\p{L}\p{M}'’]+$/u.test(w.text) || w.text.length < 3) return;
    const start = i === 0;
    if (isName(w.text, start) || (w.text.length > 1 && w.text === w.text.toUpperCase())) return;
    if (lex.isWord(w.text, start)) return;
    nonWord.add(i);
    // A lower-case word standing alone (a heading or list item of one word: "### nobrace", "- punctuator") is an
    // option, a command or a term, with no context to judge it by.
    if (codeLike[i] || (words.length === 1 && /^\p{Ll}/u.test(w.text))) return;
    // Not English words to correct: letters outside ASCII (a foreign or transliterated word), an inner apostrophe
    // (eye dialect: ag’in, calc'late), or a word quoted on its own (a mention, not a use).
    // A misspelt negative contraction (doens't, dont't) is a typo, not dialect.
    if (/[^\x00-\x7F]/.test(w.text.replace(/’/g, "'")) || (/\p{L}['’]\p{L}/u.test(w.text) && !/['’]t$/i.test(w.text))) return;
    if (/["'“‘«(\[]/.test(sentence[w.start - 1] ?? '') && /["'”’»)\]]/.test(sentence[w.end] ?? '')) return;
    // A capitalised non-word opening a sentence is usually a name, certainly when a capitalised word follows.
    if (start && /^\p{Lu}/u.test(w.text) && /^\p{Lu}/u.test(words[1]?.text ?? '')) return;
    const nameRisk = start && /^\p{Lu}/u.test(w.text) ? CANDIDATE_COST.sentenceStartName : 0;
    // Candidates: frequent words near the typo, the dictionary's suggestions, and the regular form of an
    // over-regularised verb or noun (catched -> caught). Typos are mostly one edit away; a suggestion further away
    // needs more evidence. The cheapest few are tried, so that a sentence with several typos has room for each.
    const lw = w.text.toLowerCase();
    const cands = new Map<string, { to: string; cost: number; order: number }>();
    const put = (to: string, cost: number) => {
      if (!cands.has(to.toLowerCase())) cands.set(to.toLowerCase(), { to, cost, order: cands.size });
    };
    for (const s of lex.nearWords(w.text).concat(lex.suggest(w.text))) {
      const d = editDistance(lw, s.toLowerCase(), 3);
      put(s, nameRisk + (d <= 1 ? CANDIDATE_COST.dictionary : d === 2 ? CANDIDATE_COST.spelling2 : CANDIDATE_COST.spelling3));
    }
    for (const s of lex.inflections(w.text)) put(s, nameRisk + CANDIDATE_COST.inflection);
    spelling.push({ i, cands: [...cands.values()].sort((a, b) => a.cost - b.cost || a.order - b.order).slice(0, SPELLING_PER_WORD) });
  });
  // Round-robin over the non-words: each one's best candidates before any one's worst.
  for (let k = 0; k < SPELLING_PER_WORD; k++)
    for (const { i, cands } of spelling) if (cands[k]) replaceWord(i, cands[k].to, 'spelling', cands[k].cost);

  // Capitals a writer forgot: the first word of a sentence, and the pronoun "i". Names with inner capitals (iPhone),
  // list items, link texts ("[npm](...) is") and a word alone (a fragment: "instead." after a code block) are left
  // alone; the model decides whether the capital reads better.
  const first = words[0];
  if (
    first &&
    first.start === 0 &&
    !opts.continues &&
    words.length > 1 &&
    !first.afterMarkup &&
    /^\p{Ll}[\p{Ll}'’]*$/u.test(first.text) &&
    lex.isKnown(first.text) &&
    !/^[-‐–'’]/.test(sentence.slice(first.end)) &&
    /[.!?]["')\]”’]*$/.test(sentence.trimEnd())
  ) {
    const cap = first.text[0].toUpperCase() + first.text.slice(1);
    add({ kind: 'capitalization', start: 0, end: first.end, replacement: cap, flagStart: 0, flagEnd: first.end, flagReplacement: cap, cost: 0 });
  }
  words.forEach((w) => {
    if (w.text === 'i' || /^i['’](m|ve|ll|d)$/.test(w.text)) {
      const cap = 'I' + w.text.slice(1);
      add({ kind: 'capitalization', start: w.start, end: w.end, replacement: cap, flagStart: w.start, flagEnd: w.end, flagReplacement: cap, cost: 0 });
    }
  });
  // Confusable words, wherever they stand (matchCase keeps a capital: Their -> There).
  words.forEach((w, i) => {
    if (!w.mention) for (const c of confusablesOf(w.text)) replaceWord(i, c, 'confusable', CANDIDATE_COST.confusable);
  });
  // Grammar patterns tried wherever they stand: agreement, a noun's number, the article, a verb's base form, the
  // word's usual preposition, a missing preposition, an adverb's place, "of"/"have" and "to"/"too" in their frames.
  // Each kind's margin is its evidence.
  for (const rule of GRAMMAR_PATTERNS)
    for (const c of rule(sentence, words, lex)) {
      if (c.op === 'replace') replaceWord(c.i, c.to, c.kind, CANDIDATE_COST.pattern, true);
      else if (c.op === 'insert') insertBefore(c.i, c.word, c.kind, CANDIDATE_COST.pattern);
      else swapWords(c.i, c.i + 1, c.kind, CANDIDATE_COST.pattern);
    }
  // A word repeated ("the the"): always try deleting the second one.
  for (let i = 1; i < words.length; i++) {
    const a = words[i - 1];
    const b = words[i];
    // The same word twice, same case, not the first part of a compound (Hydrogen Hydrogen-1).
    // A capitalised pair is usually a name or a title (Turuk Turuk), not a slip.
    if (a.text === b.text && /^\p{Ll}/u.test(a.text) && /^\s+$/.test(sentence.slice(a.end, b.start)) && !/^[-‐–]/.test(sentence.slice(b.end)))
      add({
        kind: 'repeated-word',
        start: a.end,
        end: b.end,
        replacement: '',
        flagStart: a.end,
        flagEnd: b.end,
        flagReplacement: '',
        cost: CANDIDATE_COST.deletion + (DOUBLED_BY_DESIGN.has(a.text) ? CANDIDATE_COST.designedRepeat : 0),
      });
  }
  // Surprising words: confusions, other forms, the model's alternatives, a missing or extra word, a swap.
  // A short frequent word that is not the model's first choice is examined too: prepositions, articles and
  // agreement errors are rarely surprising enough on their own.
  const examined = (i: number) => {
    const w = words[i];
    if (w.surprising) return true;
    // A short common word the model finds at least 8 times less likely than the word it expects there.
    const top = w.alternativeProbs[0] ?? 0;
    return isFunctionWord(w.text, lex) && w.rank > 2 && top >= EXPECTED_PROB && w.bits + Math.log2(top) >= 3;
  };
  const order = words
    .map((_, i) => i)
    .filter((i) => examined(i) && !nonWord.has(i) && !words[i].mention)
    .sort((a, b) => words[b].bits - words[a].bits)
    .slice(0, MAX_EXAMINED);
  // A sentence may open with a verb: an imperative ("Train the new volunteers"), the -s form of documentation ("Returns
  // the path") or a gerund ("Running the tests"). The opener is the writer's choice of verb and form, not a slip, and
  // with nothing before it in the sentence the model's preference there says little.
  // A parenthesis opens such a fragment too ("(uses the context from the options)").
  const opensFragment = (k: number) => k === 0 || /\(\s*$/.test(sentence.slice(words[k - 1].end, words[k].start));
  const isOpener = (k: number) => opensFragment(k) && /^\p{L}+$/u.test(words[k].text) && lex.isVerbOpener(words[k].text);
  for (const i of order) {
    const w = words[i];
    const lw = w.text.toLowerCase();
    for (const j of [i, i - 1]) {
      const wj = words[j];
      if (j < 0 || nonWord.has(j) || wj.mention || !/^[\p{L}'’]+$/u.test(wj.text) || isName(wj.text, j === 0) || !isCommonWord(wj.text, lex)) continue;
      if (isOpener(j)) continue;
      // The word before the surprise gets its close confusions only (their/there before "is").
      for (const c of lex.neighbours(wj.text, 1, j === i ? 3 : 2)) replaceWord(j, c, 'word-choice', CANDIDATE_COST.neighbour1);
      if (wj.text.length >= 4) for (const c of lex.neighbours(wj.text, 2, j === i ? 3 : 1)) replaceWord(j, c, 'word-choice', CANDIDATE_COST.neighbour2);
      // An opener's form has nothing before it in the sentence to agree with: its agreement is the verb's to fix.
      if (j === i && j > 0) for (const c of lex.inflections(wj.text)) replaceWord(j, c, 'inflection', CANDIDATE_COST.inflection);
    }
    // The model's own choice replaces a closed-class word only by one of its class: a preposition by a preposition,
    // an article by an article ("interested on" -> "in"), never "more" by "you".
    for (const c of w.alternatives.slice(0, 2)) if (sameWordClass(w.text, c)) replaceWord(i, c, 'function-word', CANDIDATE_COST.functionWord);
    // A missing short word before w: the model's likely function words at this position.
    if (i > 0) {
      for (const [k, c] of w.alternatives.slice(0, 3).entries()) {
        // Only a word the model clearly expects here.
        // "that" opening a clause may always be left out ("It is thought [that] ..."): its absence is no error.
        if (c.toLowerCase() === lw || c.toLowerCase() === 'that' || !isFunctionWord(c, lex) || w.alternativeProbs[k] < EXPECTED_PROB) continue;
        insertBefore(i, c, 'missing-word', CANDIDATE_COST.insertion);
      }
    }
    // An unnecessary short word: delete it with the space before it.
    if (i > 0 && isFunctionWord(w.text, lex) && /^\p{Ll}+$/u.test(w.text) && /^\s+$/.test(sentence.slice(words[i - 1].end, w.start))) {
      const from = words[i - 1].end;
      // A word writers confuse with another ("your right") was more likely miswritten than written in excess.
      const cost = CANDIDATE_COST.deletion + (confusablesOf(w.text).length > 0 ? CANDIDATE_COST.confusableDeletion : 0);
      add({ kind: 'extra-word', start: from, end: w.end, replacement: '', flagStart: from, flagEnd: w.end, flagReplacement: '', cost });
    }
    // Two words swapped.
    for (const [a, b] of [[i - 1, i], [i, i + 1]]) {
      if (a < 0 || b >= words.length || isOpener(a)) continue;
      const A = words[a];
      const B = words[b];
      if (!/^\s+$/.test(sentence.slice(A.end, B.start)) || A.text.toLowerCase() === B.text.toLowerCase() || !isCommonWord(A.text, lex) || !isCommonWord(B.text, lex)) continue;
      // Swaps worth trying move a short common word ("is it"); two content words rarely trade places.
      if (!isFunctionWord(A.text, lex) && !isFunctionWord(B.text, lex)) continue;
      swapWords(a, b, 'word-order', CANDIDATE_COST.swap);
    }
  }
  return out.slice(0, opts.maxCandidates ?? MAX_CANDIDATES);
}
