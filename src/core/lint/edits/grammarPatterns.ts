/**
 * Grammar patterns tried wherever they stand, since a small model rarely finds such a slip surprising: subject-verb
 * agreement after a determiner and its noun, a noun's number for the quantity before it, "a" or "an" for the next
 * sound, a verb's base form after a modal, "do" or "to", a word's usual preposition, a preposition missing before a
 * determiner, an adverb before its auxiliary, "of" for "have" after a modal and "to" for "too" before an adjective
 * that ends its phrase. Each proposes one edit; the verifier decides, under its kind's margin.
 */
import type { Lexicon } from './lexicon';
import type { EditKind } from './proposals';
import { DETERMINERS, isClosedClass, PREPOSITIONS } from './wordClasses';

/** Numbers above one, in words. */
const NUMBER_WORDS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
/**
 * Quantities of a plural whose verb agrees with the plural ("most of these systems run", "two of the tests were"; "one
 * of the tests is" agrees with "one").
 */
const PARTITIVES: ReadonlySet<string> = new Set(['most', 'some', 'all', 'many', 'several', 'few', 'both', 'half', 'lots', 'plenty', ...NUMBER_WORDS, 'dozens', 'hundreds', 'thousands', 'millions']);
/**
 * Nouns that are singular whatever their sense ("the weather were", "this information are"): a learner may take them
 * for plurals. Collective nouns are left out, since either number is right after them ("the staff were").
 */
const MASS_NOUNS: ReadonlySet<string> = new Set(['advice', 'information', 'equipment', 'furniture', 'weather', 'knowledge', 'evidence', 'homework', 'luggage', 'baggage', 'traffic', 'pollution', 'progress', 'research', 'news', 'scenery', 'machinery', 'software', 'feedback', 'behaviour', 'behavior', 'violence', 'unemployment', 'transportation', 'accommodation']);
/** Plurals in form that take a singular verb ("the news is", "this series is"); -ics words are found by their ending. */
const SINGULAR_PLURALS: ReadonlySet<string> = new Set(['news', 'series', 'species', 'means', 'headquarters', 'whereabouts', 'crossroads', 'barracks', 'measles', 'mumps', 'diabetes', 'billiards', 'darts', 'thanks', 'odds']);

/**
 * Nouns of quantity or kind whose verb follows the noun after "of" ("a number of people are", "the rest of the books
 * were", "the kind of people who are"), and which may stand for many ("a lot", "a couple").
 */
const QUANTITY_HEADS: ReadonlySet<string> = new Set(['number', 'lot', 'lots', 'majority', 'minority', 'rest', 'bulk', 'half', 'third', 'quarter', 'percent', 'percentage', 'proportion', 'fraction', 'part', 'couple', 'variety', 'range', 'series', 'host', 'handful', 'group', 'set', 'pair', 'total', 'kind', 'sort', 'type', 'plenty', 'remainder', 'dozen', 'hundred', 'thousand', 'million', 'billion', 'none', 'one', 'each', 'any', 'all', 'some', 'most', 'family', 'team', 'crowd', 'staff', 'class', 'committee', 'government', 'public', 'audience', 'board', 'jury', 'panel', 'council', 'band', 'company', 'army', 'police', 'collection', 'list', 'pile', 'bunch', 'mass', 'amount']);
/** Plural pronouns after "of" in a quantity ("most of them", "some of us"). */
const PLURAL_OBJECT_PRONOUNS: ReadonlySet<string> = new Set(['them', 'us', 'these', 'those']);
/** Auxiliaries of either number: after "these" or "those" only they show the word is a verb ("some of these games"). */
const NUMBER_AUXILIARIES = /^(is|are|was|were|has|have|does|do)$/;
/** Quantities of one ("one of them", "each of us"), whose verb is singular. */
const SINGLE_PARTS: ReadonlySet<string> = new Set(['one', 'each']);
/** Determiners of a plural noun: the noun after them is not a singular subject ("these sheep"). */
const PLURAL_DETERMINERS: ReadonlySet<string> = new Set(['these', 'those', 'many', 'several', 'both', 'few']);

/** Words before a noun phrase that ask for a plural noun ("several reasons", "one of the best players"). */
const PLURAL_QUANTIFIERS: ReadonlySet<string> = new Set(['these', 'those', 'many', 'several', 'both', 'few', 'various', 'numerous', 'multiple', ...NUMBER_WORDS]);
/** Words before a noun phrase that ask for a singular noun ("every year", "another reason"). */
const SINGULAR_QUANTIFIERS: ReadonlySet<string> = new Set(['a', 'an', 'each', 'every', 'another', 'this', 'one']);
/**
 * Words for a part of a plural: "one of the players", "each of these rules". ("most of", "some of" and "all of" take a
 * mass noun as well: "most of the time".)
 */
const PART_OF_PLURAL: ReadonlySet<string> = new Set(['one', 'each', 'many', 'several', 'both', 'few', 'either', 'neither']);
/** Words after which a verb takes its base form ("can swim", "does not know"). */
const BASE_AFTER: ReadonlySet<string> = new Set(['can', 'could', 'will', 'would', 'shall', 'should', 'may', 'might', 'must', 'do', 'does', 'did', "don't", "doesn't", "didn't", "can't", "won't", 'cannot']);
/** A word that may stand between a modal and its verb: "not" or an adverb ("can now grow", "will usually stay"). */
const BETWEEN_AUX_AND_VERB = /^(not|also|always|never|now|still|just|only|even|often|already|sometimes|\p{Ll}+ly)$/u;
/** Words that open a verb's object ("to sent their sympathies"). */
const OBJECT_OPENERS: ReadonlySet<string> = new Set(['the', 'a', 'an', 'their', 'his', 'her', 'its', 'our', 'my', 'your', 'them', 'him', 'it', 'me', 'us', 'this', 'these', 'those']);
/** Nouns of number, which stay singular after a number ("two hundred people", "three dozen eggs"). */
const NUMBER_NOUNS: ReadonlySet<string> = new Set(['hundred', 'thousand', 'million', 'billion', 'trillion', 'dozen', 'score']);

/** A word of the sentence, with its offsets. */
interface PatternWord {
  start: number;
  end: number;
  text: string;
  mention?: boolean;
}

/**
 * An edit a pattern proposes, by word index: another form of word `i` (only its form changes, so a rare word is fine),
 * a word inserted before word `i`, or words `i` and `i + 1` swapped.
 */
export type PatternEdit =
  | { op: 'replace'; i: number; to: string; kind: EditKind }
  | { op: 'insert'; i: number; word: string; kind: EditKind }
  | { op: 'swap'; i: number; kind: EditKind };

/** Words `a` and `b` are joined by spaces only. */
function spaced(sentence: string, words: PatternWord[], a: number, b: number): boolean {
  return /^\s+$/.test(sentence.slice(words[a].end, words[b].start));
}

/**
 * A lower-case open-class word, joined to the next by spaces: a noun or its modifier (so the noun is spaced from the
 * verb after it).
 */
function modifier(sentence: string, words: PatternWord[], k: number): boolean {
  return /^\p{Ll}+$/u.test(words[k].text) && !isClosedClass(words[k].text) && spaced(sentence, words, k, k + 1);
}

/** Word `k` is a noun or its modifier with a lower-case open-class word after it: the phrase goes on. */
function beforeOpenWord(sentence: string, words: PatternWord[], k: number): boolean {
  return k + 1 < words.length && modifier(sentence, words, k) && /^\p{Ll}+$/u.test(words[k + 1].text) && !isClosedClass(words[k + 1].text);
}

/**
 * Subject-verb agreement right after a determiner and its noun, with at most two words between them ("The reports
 * shows", "This new rule have", "The heart disease patients shows"): the verb's form for the noun's number, wherever
 * it stands, since a small model rarely finds the slip surprising.
 */
function agreementChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 2; i < words.length; i++) {
    const np = nounPhraseAt(sentence, words, i - 1, lex);
    // A noun phrase after a preposition is not the subject ("the plectra in this instrument are"), unless a
    // quantity of it is ("most of these systems runs"); one after "and" is the last of several ("the weights, the
    // optimizer state and the loss stay").
    if (!np || !opensSubject(words, np.detAt)) continue;
    const edit = verbAgreeing(sentence, words, i, np.plural, lex);
    if (edit) out.push(edit);
  }
  return out;
}

/**
 * The number of the noun phrase that ends at word `k` and opens with a determiner, with at most two modifiers between
 * ("the new reports": plural; "this information": singular), or none where the noun's number is unknown.
 */
function nounPhraseAt(sentence: string, words: PatternWord[], k: number, lex: Lexicon): { plural: boolean; detAt: number } | undefined {
  if (k < 1) return undefined;
  // The nearest determiner before the noun with only modifiers between (a closed-class word is no noun: "the
  // reports that show").
  let detAt: number | undefined;
  for (let d = k - 1; d >= Math.max(0, k - 3) && modifier(sentence, words, d + 1); d--) {
    if (DETERMINERS.has(words[d].text.toLowerCase())) {
      detAt = d;
      break;
    }
  }
  if (detAt === undefined || !spaced(sentence, words, detAt, detAt + 1)) return undefined;
  const noun = words[k].text;
  const plural = lex.singularOf(noun) !== undefined;
  if (!plural && ((!lex.hasPlural(noun) && !MASS_NOUNS.has(noun.toLowerCase())) || PLURAL_DETERMINERS.has(words[detAt].text.toLowerCase())))
    return undefined;
  return { plural, detAt };
}

/**
 * A noun phrase opening at `detAt` may be a subject: not the object of a preposition, unless a quantity of it is ("most
 * of these systems runs"), and not the last of several joined by "and".
 */
function opensSubject(words: PatternWord[], detAt: number): boolean {
  const before = detAt > 0 ? words[detAt - 1].text.toLowerCase() : '';
  const partitive = before === 'of' && detAt > 1 && PARTITIVES.has(words[detAt - 2].text.toLowerCase());
  return !(PREPOSITIONS.has(before) && !partitive) && !/^(and|or|nor)$/.test(before);
}

/** The form of verb `i` for a subject of the given number, as an edit, where it differs. */
function verbAgreeing(sentence: string, words: PatternWord[], i: number, plural: boolean, lex: Lexicon): PatternEdit | undefined {
  // A word closing a list or a phrase ("the pulse jet and ramjet", "the territorial reform, it") is a noun, not a verb.
  if (/^\s*([,;:)\]]|(and|or|nor)\b)/i.test(sentence.slice(words[i].end))) return undefined;
  const to = lex.agreementForm(words[i].text, plural);
  // "were" after "if", "wish" or "as though" is the subjunctive, right with any subject ("if the bill were passed").
  if (to === 'was' && /\b(if|wish|wished|though|unless|whether|suppose)\b/i.test(sentence.slice(0, words[i].start))) return undefined;
  return to ? { op: 'replace', i, to, kind: 'agreement' } : undefined;
}

/**
 * Agreement with a plural subject that has no determiner and opens the sentence ("Endangered animals is", "And details
 * is"): the verb's plural form. The noun is in lower case (a capitalised one may be a name: "Banks is"), and a number or
 * a gerund before it makes the subject singular ("Two years is a long time", "Making friends is hard").
 */
function bareSubjectAgreementChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  // A sentence that opens in lower case may be a fragment of a longer one ("... in U.S. dollars was legalized").
  if (words.length === 0 || !/^\p{Lu}/u.test(words[0].text)) return [];
  const s = /^(and|but|so)$/i.test(words[0].text) ? 1 : 0;
  for (let k = s; k < Math.min(words.length - 1, s + 3); k++) {
    const noun = words[k].text;
    const plural = /^\p{Ll}+$/u.test(noun) && !isClosedClass(noun) && lex.singularOf(noun) !== undefined && !SINGULAR_PLURALS.has(noun) && !/ics$/.test(noun);
    if (plural && spaced(sentence, words, k, k + 1)) {
      const edit = verbAgreeing(sentence, words, k + 1, true, lex);
      return edit ? [edit] : [];
    }
    // Only modifiers before the noun: open-class words, no number, no gerund.
    const w = words[k].text;
    if (!/^\p{L}\p{Ll}*$/u.test(w) || isClosedClass(w.toLowerCase()) || /ing$/.test(w) || NUMBER_WORDS.includes(w.toLowerCase()) || !spaced(sentence, words, k, k + 1)) return [];
  }
  return [];
}

/**
 * Agreement with the head of a subject that a prepositional phrase follows: "the section on costs need" (needs), "the
 * quality of the products are" (is). The verb agrees with the head, not with the noun next to it. Heads that name a
 * quantity or a kind are left out, since their verb follows the noun after "of" ("a number of people are").
 */
function attractedAgreementChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 4; i < words.length; i++) {
    if (!modifier(sentence, words, i - 1)) continue;
    // Back over the inner phrase's modifiers and determiner to its preposition.
    let p = i - 2;
    while (p > i - 5 && p > 1 && !PREPOSITIONS.has(words[p].text) && modifier(sentence, words, p)) p--;
    if (p > 1 && DETERMINERS.has(words[p].text.toLowerCase()) && spaced(sentence, words, p, p + 1)) p--;
    if (p < 2 || !PREPOSITIONS.has(words[p].text) || !spaced(sentence, words, p, p + 1) || !spaced(sentence, words, p - 1, p)) continue;
    const head = nounPhraseAt(sentence, words, p - 1, lex);
    if (!head || QUANTITY_HEADS.has(words[p - 1].text.toLowerCase()) || !opensSubject(words, head.detAt)) continue;
    const edit = verbAgreeing(sentence, words, i, head.plural, lex);
    if (edit) out.push(edit);
  }
  return out;
}

/**
 * Agreement in a relative clause with the noun it describes: "a paragraph that summarise" (summarises), "the people who
 * lives" (live).
 */
function relativeClauseAgreementChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 3; i < words.length; i++) {
    if (!/^(that|which|who)$/.test(words[i - 1].text) || !spaced(sentence, words, i - 1, i)) continue;
    const np = nounPhraseAt(sentence, words, i - 2, lex);
    if (!np || QUANTITY_HEADS.has(words[i - 2].text.toLowerCase())) continue;
    const edit = verbAgreeing(sentence, words, i, np.plural, lex);
    if (edit) out.push(edit);
  }
  return out;
}

/** Words after "a" that open a count of many ("there are a few", "an estimated 300", "a further ten"). */
const COUNT_ADJECTIVES = /^(few|great|good|estimated|additional|extra|further|average|approximate|whopping|staggering|record|mere|total)$/;

/**
 * "is" or "are" after an existential "there" for the number of what follows: "there is a few points" (are), "there
 * were a problem" (was). Only a plain quantity or article decides; "a lot of", "a number of" and the like are left
 * to the noun after them.
 */
function existentialThereChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let t = 0; t + 2 < words.length; t++) {
    if (words[t].text.toLowerCase() !== 'there' || !/^(is|are|was|were)$/.test(words[t + 1].text)) continue;
    if (!spaced(sentence, words, t, t + 1) || !spaced(sentence, words, t + 1, t + 2)) continue;
    const next = words[t + 2].text.toLowerCase();
    const after = t + 3 < words.length ? words[t + 3].text.toLowerCase() : '';
    let plural: boolean;
    if (PLURAL_QUANTIFIERS.has(next) || (next === 'a' && after === 'few') || (lex.singularOf(next) !== undefined && !MASS_NOUNS.has(next))) plural = true;
    else if ((next === 'a' || next === 'an' || next === 'another') && after !== '' && !QUANTITY_HEADS.has(after) && !COUNT_ADJECTIVES.test(after)) plural = false;
    else continue;
    const edit = verbAgreeing(sentence, words, t + 1, plural, lex);
    if (edit) out.push(edit);
  }
  return out;
}

/**
 * Agreement after a quantity of a plural pronoun: "most of them was" (the quantity is plural), "each of us have" (it is
 * one). The verb comes right after the pronoun, or after "also", "still" or a -ly adverb. A word the sentence opens
 * before the quantity may make it an object ("I saw most of them were gone"): only a quantity that opens the sentence or
 * follows a comma is taken as the subject.
 */
function pronounPartitiveChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let q = 0; q + 3 < words.length; q++) {
    const quantity = words[q].text.toLowerCase();
    const plural = PARTITIVES.has(quantity);
    if ((!plural && !SINGLE_PARTS.has(quantity)) || words[q + 1].text !== 'of' || !PLURAL_OBJECT_PRONOUNS.has(words[q + 2].text)) continue;
    if (q > 0 && !/,\s*$/.test(sentence.slice(words[q - 1].end, words[q].start))) continue;
    if (!spaced(sentence, words, q, q + 1) || !spaced(sentence, words, q + 1, q + 2) || !spaced(sentence, words, q + 2, q + 3)) continue;
    let v = q + 3;
    if (v + 1 < words.length && /^(also|still|\p{Ll}+ly)$/u.test(words[v].text) && spaced(sentence, words, v, v + 1)) v++;
    if (/^th[eo]se$/.test(words[q + 2].text) && !NUMBER_AUXILIARIES.test(words[v].text)) continue;
    const edit = verbAgreeing(sentence, words, v, plural, lex);
    if (edit) out.push(edit);
  }
  return out;
}

/**
 * A noun's number for the quantity before it ("several reason", "many new employee", "one of the best player",
 * "every years"): the noun is the last open-class word of the phrase, with at most two modifiers before it. Tried
 * wherever it stands, like agreement, since a small model rarely finds the slip surprising.
 */
function nounNumberChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let d = 0; d + 1 < words.length; d++) {
    const det = words[d].text.toLowerCase();
    // A part of a plural: "one of the best players", "each of these rules", "a number of reasons", "the number of cars".
    const of = (k: number) => k >= 1 && words[k].text.toLowerCase() === 'of' && spaced(sentence, words, k - 1, k);
    const partOf =
      (d >= 2 && /^(the|these|those|my|your|his|her|its|our|their)$/.test(det) && of(d - 1) && PART_OF_PLURAL.has(words[d - 2].text.toLowerCase())) ||
      (det === 'of' && d >= 1 && /^(number|couple|lot|lots|plenty|variety)$/.test(words[d - 1].text.toLowerCase()));
    const wantsPlural = PLURAL_QUANTIFIERS.has(det) || partOf;
    // (In lower case, or capitalised as the first word.)
    const asWritten = words[d].text === det || (d === 0 && words[d].text === det[0].toUpperCase() + det.slice(1));
    if ((!wantsPlural && !SINGULAR_QUANTIFIERS.has(det)) || !asWritten || !spaced(sentence, words, d, d + 1)) continue;
    // "one of" is a part of a plural; "a few", "a lot" and "a number of" are quantities, not a noun's determiner.
    if (det === 'one' && words[d + 1].text.toLowerCase() === 'of') continue;
    // The phrase: up to three lower-case open-class words. A plural in it is its noun ("these results show"); else
    // the noun is its last word that is a noun ("several volunteer came": a verb may follow).
    let k = d + 1;
    while (k < d + 3 && lex.singularOf(words[k].text) === undefined && beforeOpenWord(sentence, words, k)) k++;
    while (k > d + 1 && lex.singularOf(words[k].text) === undefined && !lex.hasPlural(words[k].text)) k--;
    const noun = words[k];
    if (!/^\p{Ll}+$/u.test(noun.text) || noun.mention || isClosedClass(noun.text) || NUMBER_NOUNS.has(noun.text)) continue;
    // Whole words only ("there a r e reasons" is letter-spaced).
    if (words.slice(d + 1, k + 1).some((w) => w.text.length < 2)) continue;
    // The noun ends its phrase: a hyphen or another word glued on makes it a part of something longer, and "and" or
    // "or" after it joins it to another ("both tort and trust defendants").
    if (/^([-‐–'’]|\s+(and|or)\b)/i.test(sentence.slice(noun.end))) continue;
    const singular = lex.singularOf(noun.text);
    if (wantsPlural) {
      if (singular !== undefined || !lex.hasPlural(noun.text)) continue;
      const to = lex.inflections(noun.text).find((f) => lex.singularOf(f) === noun.text);
      if (to) out.push({ op: 'replace', i: k, to, kind: 'noun-number' });
    } else {
      // A plural before another noun is attributive ("a points system", "a crafts centre"). After a noun, or after
      // "this" or "one" standing for a noun, an -s word is a verb ("a child follows", "this shows that").
      if (!singular || beforeOpenWord(sentence, words, k)) continue;
      if ((k > d + 1 || det === 'this' || det === 'one') && lex.agreementForm(noun.text, true) !== undefined) continue;
      out.push({ op: 'replace', i: k, to: singular, kind: 'noun-number' });
    }
  }
  return out;
}

/**
 * "a" or "an" for the sound that follows ("a important" -> "an"), wherever it stands: the model knows which words
 * open with a vowel sound ("a university", "an hour"), and the article's form is no surprise to it otherwise.
 */
function articleChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 0; i + 1 < words.length; i++) {
    const art = words[i].text;
    // A letter or an acronym is read by its letters' names, which the model cannot hear ("an L-shape", "an FBI agent").
    const next = words[i + 1].text;
    if (!/^(a|an|A|An)$/.test(art) || !spaced(sentence, words, i, i + 1) || !/^\p{L}\p{Ll}/u.test(next) || words[i].mention) continue;
    // Only toward what the spelling allows: a vowel letter may want "an", a consonant "a"; "h" and "u" go either way
    // ("an hour", "a unit"), and so does "eu" or "one" ("a European", "a one-off").
    const to = art.toLowerCase() === 'a' ? 'an' : 'a';
    const l = next.toLowerCase();
    const either = /^(h|u|eu|one|onc)/.test(l);
    if (either || /^[aeio]/.test(l) === (to === 'an')) out.push({ op: 'replace', i, to, kind: 'article' });
  }
  return out;
}

/**
 * The base form after a modal or "do" ("will causes" -> "cause", "did not stimulated" -> "stimulate"), wherever it
 * stands. A modal that follows a determiner is a noun ("the will", "a can"). After "to", only a past or -s form
 * with its object after it ("to sent their sympathies"): "to" is a preposition too ("to trained staff").
 */
function baseFormChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i < words.length; i++) {
    // "not" or an adverb may stand between ("does not knows", "can now grows").
    const m = i >= 2 && BETWEEN_AUX_AND_VERB.test(words[i - 1].text) ? i - 2 : i - 1;
    const aux = words[m].text;
    const infinitive = aux === 'to' && m === i - 1 && !/ing$/.test(words[i].text) && i + 1 < words.length && OBJECT_OPENERS.has(words[i + 1].text.toLowerCase());
    if ((!BASE_AFTER.has(aux.toLowerCase()) && !infinitive) || (aux !== aux.toLowerCase() && m !== 0) || (m > 0 && DETERMINERS.has(words[m - 1].text.toLowerCase()))) continue;
    if (!spaced(sentence, words, m, m + 1) || (m !== i - 1 && !spaced(sentence, words, i - 1, i)) || !/^\p{Ll}+$/u.test(words[i].text) || words[i].mention) continue;
    const base = lex.baseVerbOf(words[i].text);
    // The library's base of an irregular past can be a rare verb ("went" -> "wend"): such a base is no fix.
    if (base && lex.frequencyRank(base) <= 20 * lex.frequencyRank(words[i].text) + 1000) out.push({ op: 'replace', i, to: base, kind: 'inflection' });
  }
  return out;
}

/** Word `i` is a lower-case word written plainly after a plain word, as a pattern's word must be. */
function plainAfter(sentence: string, words: PatternWord[], i: number): boolean {
  return i >= 1 && spaced(sentence, words, i - 1, i) && !words[i - 1].mention && !words[i].mention && /^\p{Ll}+$/u.test(words[i - 1].text) && /^\p{Ll}+$/u.test(words[i].text);
}

/** A word with noun forms: it has a plural or is one (many are verbs too: "face", "listen"). */
function hasNounForms(w: string, lex: Lexicon): boolean {
  return lex.hasPlural(w) || lex.singularOf(w) !== undefined;
}

/** Verbs that link a subject to a predicative adjective or a passive participle ("is interested", "became known"). */
const LINKING_VERBS: ReadonlySet<string> = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'being', 'am', 'become', 'becomes', 'became', 'seem', 'seems', 'seemed', 'feel', 'feels', 'felt', 'get', 'gets', 'got', 'remain', 'remains', 'remained']);
/** Words of degree before an adjective ("very interested", "so afraid"). */
const DEGREE_WORDS: ReadonlySet<string> = new Set(['very', 'so', 'too', 'quite', 'more', 'most', 'less', 'least', 'really', 'fully']);
/** Adverbs that may stand between a linking verb and its predicate ("is also responsible", "was not interested"). */
const PREDICATE_ADVERBS = /^(not|also|always|never|still|often|usually|only|just|all|\p{Ll}+ly)$/u;

/**
 * Word `k` stands as a predicate: after a linking verb, or after a word of degree, with at most one adverb between
 * ("is interested", "are very interested", "was fully responsible"). Such an adjective or participle governs its
 * preposition ("interested in", "responsible for"); after a noun or an active verb, a preposition often opens a phrase
 * of its own ("attached at the shoulder", "contrasted against the bedrooms", "access without git").
 */
function predicative(words: PatternWord[], k: number): boolean {
  const before = (j: number) => (j >= 0 ? words[j].text.toLowerCase().replace('’', "'") : '');
  // A contracted "is", "are" or "am" ends its word ("she's", "they're").
  const linking = (w: string) => LINKING_VERBS.has(w) || /^\p{L}+'(s|re|m)$/u.test(w);
  const prev = before(k - 1);
  if (linking(prev) || DEGREE_WORDS.has(prev)) return true;
  return PREDICATE_ADVERBS.test(prev) && linking(before(k - 2));
}

/**
 * A preposition the corpus rarely puts after the word before it, for the one it almost always puts there
 * ("interested on" -> "in", "responsible of" -> "for"), where that word is a predicate that governs its preposition.
 * A usual choice is left alone ("based in").
 */
function prepositionChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i < words.length; i++) {
    const head = words[i - 1].text;
    if (!PREPOSITIONS.has(words[i].text) || !plainAfter(sentence, words, i) || isClosedClass(head) || !predicative(words, i - 1)) continue;
    // The corpus lookup first: the morphology library's noun test is the costly one.
    const to = lex.collocations.usualPreposition(head, words[i].text);
    // Never after a noun, where the model prefers "of" nearly everywhere ("a source within the ministry").
    if (to && PREPOSITIONS.has(to) && !hasNounForms(head, lex)) out.push({ op: 'replace', i, to, kind: 'preposition' });
  }
  return out;
}

/**
 * A preposition missing between a word and a determiner, where the corpus almost never puts a determiner straight
 * after the word ("went the store" -> "went to the store", "listen the radio" -> "listen to the radio").
 */
function missingPrepositionChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i < words.length; i++) {
    const head = words[i - 1].text;
    if (!DETERMINERS.has(words[i].text) || !plainAfter(sentence, words, i) || isClosedClass(head)) continue;
    // The corpus lookup first (a determiner follows most words): the morphology library's tests are the costly ones.
    const to = lex.collocations.prepositionBeforeDeterminer(head);
    if (!to || !PREPOSITIONS.has(to)) continue;
    // A determiner after a noun that is no verb opens another phrase ("made the production the most notable").
    if (!hasNounForms(head, lex) || lex.isVerbOpener(head)) out.push({ op: 'insert', i, word: to, kind: 'missing-preposition' });
  }
  return out;
}

/** Adverbs that stand after the first auxiliary of a perfect ("have only eaten", "has just arrived"). */
const MID_ADVERBS: ReadonlySet<string> = new Set(['only', 'just', 'already', 'recently', 'also', 'always', 'never', 'ever', 'often', 'still']);

/**
 * An adverb before "have", "has" or "had" and its participle, moved after the auxiliary ("I only have eaten" -> "I have
 * only eaten"). Not at a sentence's start, where the adverb may invert the clause ("Never have I seen").
 */
function adverbPositionChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i + 2 < words.length; i++) {
    if (!MID_ADVERBS.has(words[i].text) || !/^(have|has|had)$/.test(words[i + 1].text) || words[i].mention) continue;
    if (spaced(sentence, words, i, i + 1) && spaced(sentence, words, i + 1, i + 2) && lex.isPastParticiple(words[i + 2].text))
      out.push({ op: 'swap', i, kind: 'adverb-position' });
  }
  return out;
}

/** Modals after which "of" is a slip for "have" ("should of known"). */
const MODALS_BEFORE_HAVE: ReadonlySet<string> = new Set(['could', 'should', 'would', 'must', 'might', 'may']);

/**
 * "of" written for "have" after a modal and before a past participle ("should of invited" -> "should have invited").
 * "would of course" and "must of necessity" are left alone (no participle follows), and so is the noun "the might of".
 */
function modalOfChanges(sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i + 1 < words.length; i++) {
    const modal = words[i - 1].text;
    // A modal opening the sentence may be capitalised ("Should of known").
    if (words[i].text !== 'of' || !MODALS_BEFORE_HAVE.has(i - 1 === 0 ? modal.toLowerCase() : modal) || !spaced(sentence, words, i - 1, i)) continue;
    if (i >= 2 && DETERMINERS.has(words[i - 2].text.toLowerCase())) continue;
    if (spaced(sentence, words, i, i + 1) && !words[i + 1].mention && (words[i + 1].text === 'been' || lex.isPastParticiple(words[i + 1].text)))
      out.push({ op: 'replace', i, to: 'have', kind: 'confusable' });
  }
  return out;
}

/**
 * Adjectives of degree that "too" goes with and that are not also verbs ("close", "slow", "thin", "narrow" and "long"
 * are: "began to thin"), nor pronouns after "amount to" ("much", "little"), nor settings values ("set the level to
 * high").
 */
const TOO_ADJECTIVES: ReadonlySet<string> = new Set(['big', 'small', 'late', 'early', 'short', 'far', 'hot', 'cold', 'hard', 'easy', 'expensive', 'cheap', 'difficult', 'busy', 'tired', 'young', 'old', 'large', 'heavy', 'loud', 'soon', 'often', 'strong', 'weak', 'complicated', 'dangerous', 'risky', 'simple', 'wide', 'thick', 'deep', 'shallow', 'bright', 'dark', 'tight', 'noisy', 'crowded', 'much', 'similar', 'different', 'narrow', 'steep', 'boring', 'serious']);
/** Words after the adjective that end its phrase ("to big for", "to late to"); not "and", which may join a second one ("to young and old"). */
const AFTER_TOO_PHRASE: ReadonlySet<string> = new Set(['for', 'to', 'but', 'so']);

/** "from" stands within four words before word `i`, in the same clause: "from X to Y" reads "to" as a preposition. */
function opensRange(sentence: string, words: PatternWord[], i: number): boolean {
  for (let k = i - 1; k >= Math.max(0, i - 4); k--) {
    if (words[k].text.toLowerCase() === 'from') return true;
    if (/[.,;:!?]/.test(sentence.slice(words[k].end, words[k + 1].start))) return false;
  }
  return false;
}

/**
 * "to" for "too" before an adjective of degree that ends its phrase ("grown to big for the corner", "it is to late.").
 * Not in a range: "from bad to worse", "hot to cold".
 */
function toTooChanges(sentence: string, words: PatternWord[]): PatternEdit[] {
  const out: PatternEdit[] = [];
  for (let i = 1; i + 1 < words.length; i++) {
    if (words[i].text !== 'to' || !TOO_ADJECTIVES.has(words[i + 1].text) || !plainAfter(sentence, words, i + 1)) continue;
    if (TOO_ADJECTIVES.has(words[i - 1].text.toLowerCase()) && words[i - 1].text !== 'far') continue;
    if (opensRange(sentence, words, i)) continue;
    const after = sentence.slice(words[i + 1].end).trimStart();
    const ends = after === '' || /^[.,;:!?)]/.test(after) || (i + 2 < words.length && AFTER_TOO_PHRASE.has(words[i + 2].text) && spaced(sentence, words, i + 1, i + 2));
    if (ends) out.push({ op: 'replace', i, to: 'too', kind: 'confusable' });
  }
  return out;
}

/**
 * The irregular past or participle for a regular "-ed" form that is no word ("have dealed" -> "dealt", "teached" ->
 * "taught"): the spelling's nearest words rarely include it.
 */
function irregularPastChanges(_sentence: string, words: PatternWord[], lex: Lexicon): PatternEdit[] {
  const out: PatternEdit[] = [];
  words.forEach((w, i) => {
    if (/^\p{Ll}+$/u.test(w.text) && !w.mention) for (const to of lex.irregularPastsOf(w.text)) out.push({ op: 'replace', i, to, kind: 'inflection' });
  });
  return out;
}

/** The patterns, in the order their candidates are proposed. */
export const GRAMMAR_PATTERNS: readonly ((sentence: string, words: PatternWord[], lex: Lexicon) => PatternEdit[])[] = [
  agreementChanges,
  bareSubjectAgreementChanges,
  attractedAgreementChanges,
  relativeClauseAgreementChanges,
  existentialThereChanges,
  pronounPartitiveChanges,
  nounNumberChanges,
  articleChanges,
  baseFormChanges,
  prepositionChanges,
  missingPrepositionChanges,
  adverbPositionChanges,
  modalOfChanges,
  toTooChanges,
  irregularPastChanges,
];
