/**
 * Which prepositions follow a word in the model's training corpus (the model folder's collocations.tsv, written by
 * `plausibility_train collocations`): "interested" is followed by "in" hundreds of times as often as by "on", and
 * "listen" by "to the" fifty times as often as by "the". The preposition patterns propose from these counts; the model
 * still decides each edit. A model folder without the file has no preposition patterns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const COLLOCATIONS_FILE = 'collocations.tsv';

/** How much rarer the written preposition must be than the word's usual one before the usual one is tried. */
const RARE_PREPOSITION = 20;
/** How much rarer a determiner straight after the word must be than "preposition + determiner" after it. */
const RARE_DETERMINER = 4;
/** Fewest corpus occurrences of the usual pairing for it to count as evidence. */
const MIN_EVIDENCE = 30;
/**
 * The share of a word's occurrences its usual preposition must follow for the word to govern it ("interested in",
 * "responsible for"). Below it, a preposition after the word mostly opens a phrase of its own ("recovered at the
 * scenes"), and the model's liking for the commonest pairing is no evidence of a slip.
 */
const GOVERNS_SHARE = 0.5;

interface WordCollocations {
  /** Occurrences of the word (in lower case). */
  count: number;
  /** Occurrences of the word followed directly by a determiner. */
  determinerAfter: number;
  /** Occurrences of "word preposition", most frequent first. */
  prepositions: [string, number][];
  /** Occurrences of "word preposition determiner", most frequent first. */
  prepositionsBeforeDeterminer: [string, number][];
}

function pairs(field: string | undefined): [string, number][] {
  if (!field) return [];
  const out: [string, number][] = [];
  for (const item of field.split(',')) {
    const [w, n] = item.split(':');
    const c = Number(n);
    if (/^[a-z]+$/.test(w ?? '') && Number.isFinite(c)) out.push([w, c]);
  }
  return out.sort((a, b) => b[1] - a[1]);
}

export class Collocations {
  private constructor(private readonly words: Map<string, WordCollocations>) {}

  static readonly none = new Collocations(new Map());

  /** Parses the file's text: word, count, determiners after, "prep:n,..." and "prep:n,..." (before a determiner). */
  static parse(text: string): Collocations {
    const words = new Map<string, WordCollocations>();
    for (const line of text.split(/\r?\n/)) {
      const f = line.split('\t');
      if (f.length < 5 || !/^[a-z]+$/.test(f[0])) continue;
      const count = Number(f[1]);
      const determinerAfter = Number(f[2]);
      if (!Number.isFinite(count) || !Number.isFinite(determinerAfter)) continue;
      words.set(f[0], { count, determinerAfter, prepositions: pairs(f[3]), prepositionsBeforeDeterminer: pairs(f[4]) });
    }
    return new Collocations(words);
  }

  /** The model folder's collocations, or none (optional evidence: without it only fewer candidates are tried). */
  static read(modelDir: string): Collocations {
    try {
      return Collocations.parse(readFileSync(join(modelDir, COLLOCATIONS_FILE), 'utf8'));
    } catch {
      return Collocations.none;
    }
  }

  get size(): number {
    return this.words.size;
  }

  /**
   * The preposition the corpus almost always puts after `word` where `written` is rare after it ("interested on" ->
   * "in"), or none when `written` is a usual choice too ("based in"), or when the word governs no preposition
   * ("arrived": "at", "in" and "on" each open a phrase of their own).
   */
  usualPreposition(word: string, written: string): string | undefined {
    const c = this.words.get(word);
    const top = c?.prepositions[0];
    if (!top || top[0] === written || top[1] < MIN_EVIDENCE || top[1] < GOVERNS_SHARE * c.count) return undefined;
    const seen = c.prepositions.find(([p]) => p === written)?.[1] ?? 0;
    return seen * RARE_PREPOSITION <= top[1] ? top[0] : undefined;
  }

  /**
   * The preposition the corpus puts between `word` and a determiner where a determiner straight after `word` is rare
   * ("went the store" -> "to"), or none for a word that takes an object ("told the story").
   */
  prepositionBeforeDeterminer(word: string): string | undefined {
    const c = this.words.get(word);
    const top = c?.prepositionsBeforeDeterminer[0];
    if (!top || top[1] < MIN_EVIDENCE) return undefined;
    return c.determinerAfter * RARE_DETERMINER <= top[1] ? top[0] : undefined;
  }
}
