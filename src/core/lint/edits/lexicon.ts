/**
 * What counts as a word, and which words are near a word: a Hunspell dictionary (nspell with the en-US and en-GB
 * dictionaries from npm), a morphology library (en-inflectors), and the model's own vocabulary, whose whole-word
 * tokens are the words frequent in its training text.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import nspell from 'nspell';
import { Inflectors } from 'en-inflectors';
import { PlausibilityError } from '../../errors';
import { Collocations } from './collocations';

type Speller = ReturnType<typeof nspell>;

/** Finds an npm package's folder (the one holding `file`) by walking up from this bundle (the packages export only their ESM entry). */
function findPackageDir(name: string, file: string): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const p = join(dir, 'node_modules', name);
    if (existsSync(join(p, file))) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

function packageDir(name: string): string {
  const dir = findPackageDir(name, 'index.dic');
  if (dir) return dir;
  throw new PlausibilityError(`the spelling dictionary ${name} is missing (it ships in node_modules/${name})`, 'MISSING_DICTIONARY');
}

let softwareTermSet: ReadonlySet<string> | undefined;

/**
 * Words of technical writing that general dictionaries lack ("deduped", "minifier", "eslint", "truthy"): the word
 * lists of cspell's software-terms dictionary (MIT), in lower case. Accepted as words, never proposed as corrections.
 * Optional evidence: without the package, only fewer words are known.
 */
export function softwareTerms(): ReadonlySet<string> {
  if (softwareTermSet) return softwareTermSet;
  const terms = new Set<string>();
  softwareTermSet = terms;
  const pkg = findPackageDir('@cspell/dict-software-terms', 'dict');
  if (!pkg) return terms;
  const dir = join(pkg, 'dict');
  for (const f of readdirSync(dir)) {
    let text: string;
    try {
      if (f.endsWith('.txt')) text = readFileSync(join(dir, f), 'utf8');
      else if (f.endsWith('.txt.gz')) text = gunzipSync(readFileSync(join(dir, f))).toString('utf8');
      else continue;
    } catch {
      continue;
    }
    for (const line of text.split(/\r?\n/)) {
      // "#" comments, "!" forbidden words; "*", "+" and "~" mark compounds and case-insensitive entries.
      if (line.startsWith('!')) continue;
      const w = line.replace(/#.*/, '').replace(/[*+~]/g, '').trim().toLowerCase();
      if (/^[a-z][a-z'-]{2,}$/.test(w)) terms.add(w);
    }
  }
  return terms;
}

/** A software term or a regular inflection of one ("minified" from "minify", "triaging" from "triage"). */
export function isSoftwareTerm(w: string): boolean {
  const terms = softwareTerms();
  const lw = w.replace(/’/g, "'").toLowerCase();
  if (terms.has(lw)) return true;
  const m = /^([a-z]{3,}?)(ies|ied|es|s|ed|ing)$/.exec(lw);
  if (!m) return false;
  const [, stem, suffix] = m;
  const bases = suffix === 'ies' || suffix === 'ied' ? [stem + 'y'] : [stem, stem + 'e'];
  // A doubled final consonant (grepped -> grep).
  if ((suffix === 'ed' || suffix === 'ing') && /([b-df-hj-np-tv-z])\1$/.test(stem)) bases.push(stem.slice(0, -1));
  return bases.some((b) => terms.has(b));
}

let spellers: Map<string, Speller> | undefined;

function speller(dialect: 'en-US' | 'en-GB'): Speller {
  spellers ??= new Map();
  let s = spellers.get(dialect);
  if (!s) {
    const dir = packageDir(dialect === 'en-US' ? 'dictionary-en' : 'dictionary-en-gb');
    s = nspell(readFileSync(join(dir, 'index.aff')), readFileSync(join(dir, 'index.dic')));
    spellers.set(dialect, s);
  }
  return s;
}

export type Dialect = 'en-US' | 'en-GB';

export interface LexiconOptions {
  /** The writer's dialect: its dictionary proposes corrections. */
  dialect?: Dialect;
  /** Accept the other dialect's spellings (default true). */
  acceptOtherDialects?: boolean;
  /**
   * Lower-case words the model's training corpus uses often and not as a slip of a much more frequent word (the
   * model folder's corpus_words.txt): real words the dictionary lacks ("ridgeline", "roadmap").
   */
  corpusWords?: ReadonlySet<string>;
  /** Which prepositions follow a word in the model's training corpus (the model folder's collocations.tsv). */
  collocations?: Collocations;
}

/** Words by length, each list most frequent first, and every word's frequency rank. */
interface WordPool {
  byLength: Map<number, string[]>;
  rank: Map<string, number>;
}

/** A pool of `words` in the order given (most frequent first), each kept once. */
function wordPool(words: Iterable<string>): WordPool {
  const pool: WordPool = { byLength: new Map(), rank: new Map() };
  for (const w of words) {
    if (pool.rank.has(w)) continue;
    pool.rank.set(w, pool.rank.size);
    let list = pool.byLength.get(w.length);
    if (!list) pool.byLength.set(w.length, (list = []));
    list.push(w);
  }
  return pool;
}

const LETTERS = /^[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*$/u;

/** The auxiliaries' forms for a plural subject, and back (the library conjugates "be" oddly). */
// Maps, not object literals: a word of the text is the key, and "constructor" must not find Object's.
const AUX_TO_PLURAL = new Map<string, string>([['is', 'are'], ['was', 'were'], ['has', 'have'], ['does', 'do'], ["doesn't", "don't"], ["isn't", "aren't"], ["wasn't", "weren't"], ["hasn't", "haven't"]]);
const AUX_TO_SINGULAR = new Map<string, string>([...AUX_TO_PLURAL].map(([s, p]) => [p, s]));

/** Optimal string alignment distance, stopping early above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    let best = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/** A verb's -s, past, past participle and -ing forms. */
interface VerbForms {
  s: string;
  past: string;
  participle: string;
  ing: string;
}

export class Lexicon {
  private readonly primary: Speller;
  private readonly other: Speller | undefined;
  /**
   * The lowercase whole words of the model's vocabulary that the dictionary accepts, in vocabulary order (BPE merges
   * come roughly in order of frequency).
   */
  private readonly vocab: WordPool;
  private readonly suggestCache = new Map<string, string[]>();
  private readonly neighbourCache = new Map<string, string[]>();
  private readonly corpusWords: ReadonlySet<string>;
  readonly collocations: Collocations;
  /** Dictionary words to correct a non-word to ({@link nearWords}); built on first use. */
  private correctionPool: WordPool | undefined;

  /** `vocabWords`: the model's whole-word tokens in id order (roughly most frequent first). */
  constructor(vocabWords: string[], opts: LexiconOptions = {}) {
    const dialect = opts.dialect ?? 'en-US';
    this.primary = speller(dialect);
    this.other = opts.acceptOtherDialects === false ? undefined : speller(dialect === 'en-US' ? 'en-GB' : 'en-US');
    this.corpusWords = opts.corpusWords ?? new Set();
    this.collocations = opts.collocations ?? Collocations.none;
    this.vocab = wordPool(vocabWords.map((w) => w.toLowerCase()).filter((lw) => this.primary.correct(lw)));
  }

  static isWordShaped(w: string): boolean {
    return LETTERS.test(w);
  }

  /** In the writer's dictionary (as written, or in lower case at a sentence start). */
  isKnown(w: string, sentenceStart = false): boolean {
    const a = w.replace(/’/g, "'");
    return this.primary.correct(a) || (sentenceStart && this.primary.correct(a.toLowerCase()));
  }

  /** In the other dialect's dictionary (accepted unless the settings say otherwise). */
  isOtherDialect(w: string): boolean {
    return !!this.other && this.other.correct(w.replace(/’/g, "'"));
  }

  /** In the writer's dictionary or, where accepted, the other dialect's, as written. */
  private accepts(w: string): boolean {
    return this.primary.correct(w) || this.isOtherDialect(w);
  }

  /** Frequent in the model's training text (a whole-word token of its vocabulary). */
  isFrequent(w: string): boolean {
    return this.vocab.rank.has(w.toLowerCase());
  }

  /** In the model's corpus word list, written in lower case (or capitalised at a sentence start). */
  isCorpusWord(w: string, sentenceStart = false): boolean {
    const a = w.replace(/’/g, "'");
    const lw = a.toLowerCase();
    return (a === lw || (sentenceStart && a === lw[0].toUpperCase() + lw.slice(1))) && this.corpusWords.has(lw);
  }

  /**
   * A real word: in either dialect's dictionary, used in the model's training text (not as a misspelling), or a
   * software term.
   */
  isWord(w: string, sentenceStart = false): boolean {
    return (
      this.isKnown(w, sentenceStart) ||
      this.isOtherDialect(w) ||
      this.isFrequent(w) ||
      this.isCorpusWord(w, sentenceStart) ||
      this.isPrefixed(w) ||
      isSoftwareTerm(w)
    );
  }

  /**
   * A productive prefix on a dictionary word of five letters or more (unheroic, refixed, overbroad): English coins
   * these freely and dictionaries list few. The stem's length keeps slips such as "untill" out.
   */
  isPrefixed(w: string): boolean {
    const m = /^(un|re|non|pre|mis|over|under|out|anti|semi)-?(\p{Ll}{5,})$/u.exec(w.toLowerCase());
    return !!m && this.primary.correct(m[2]);
  }

  /** How many whole words the model's vocabulary has. */
  get frequentWords(): number {
    return this.vocab.rank.size;
  }

  /** 0 for the most frequent whole word of the model's vocabulary; Infinity for words it lacks. */
  frequencyRank(w: string): number {
    return this.vocab.rank.get(w.toLowerCase()) ?? Infinity;
  }

  /** The dictionary's corrections for a non-word, best first. */
  suggest(w: string, limit = 5): string[] {
    const hit = this.suggestCache.get(w);
    if (hit) return hit;
    // Very long tokens make Hunspell suggestion slow and are rarely misspelt prose.
    const out = w.length > 24 ? [] : this.primary.suggest(w.replace(/’/g, "'")).slice(0, limit);
    if (this.suggestCache.size > 5000) this.suggestCache.clear();
    this.suggestCache.set(w, out);
    return out;
  }

  /** Frequent dictionary words within `max` edits of `w` (real-word confusions such as form/from, their/there). */
  neighbours(w: string, max: number, limit = 8): string[] {
    return this.cachedScan('vocab', this.vocab, w, max, limit);
  }

  /**
   * Dictionary words within `max` edits of a non-word, nearest and then most frequent first: the corrections a typo
   * most likely hides. Two edits are far-fetched in a short word (kommt -> commit), so by default only words of seven
   * letters or more get them. Hunspell's own ranking often buries them ("Thoes": Thees, Thous, Thus, Hoes, Shoes, Tholes,
   * Those) or finds none ("inviroment").
   */
  nearWords(w: string, max = w.length >= 7 ? 2 : 1, limit = 8): string[] {
    // The model's whole words, then the corpus words (most frequent first) that the writer's dictionary accepts.
    this.correctionPool ??= wordPool([
      ...this.vocab.rank.keys(),
      ...[...this.corpusWords].filter((c) => /^[a-z]+$/.test(c) && this.primary.correct(c)),
    ]);
    return this.cachedScan('near', this.correctionPool, w, max, limit);
  }

  /** {@link scanNeighbours}, cached: the same words come up again and again, and the scan is the costly part. */
  private cachedScan(name: string, pool: WordPool, w: string, max: number, limit: number): string[] {
    const lw = w.toLowerCase();
    const key = `${name}|${max}|${limit}|${lw}`;
    const hit = this.neighbourCache.get(key);
    if (hit) return hit;
    const found = this.scanNeighbours(lw, max, limit, pool);
    if (this.neighbourCache.size > 20_000) this.neighbourCache.clear();
    this.neighbourCache.set(key, found);
    return found;
  }

  private scanNeighbours(lw: string, max: number, limit: number, pool: WordPool): string[] {
    const out: { c: string; d: number }[] = [];
    for (let len = lw.length - max; len <= lw.length + max; len++) {
      for (const c of pool.byLength.get(len) ?? []) {
        const d = c === lw ? 0 : editDistance(lw, c, max);
        if (d > 0 && d <= max) out.push({ c, d });
      }
    }
    // Closer first, then more frequent.
    return out
      .sort((a, b) => a.d - b.d || (pool.rank.get(a.c) ?? 0) - (pool.rank.get(b.c) ?? 0))
      .slice(0, limit)
      .map((x) => x.c);
  }

  /**
   * True for a verb form that may open a sentence: the base form (an imperative: "Train"), the -s form (documentation:
   * "Returns") or the -ing form (a gerund: "Running").
   */
  isVerbOpener(w: string): boolean {
    const lw = w.toLowerCase();
    try {
      const base = new Inflectors(lw).toPresent() || lw;
      const v = this.verbForms(base);
      return !!v && (lw === base || lw === v.s || lw === v.ing);
    } catch {
      return false;
    }
  }

  /**
   * The forms of a dictionary verb that is no auxiliary (an auxiliary's forms are grammar of their own: "Is there many
   * ..." -> "Are"), or none. A verb has dictionary -s, -ing and past forms that differ from it: the library conjugates
   * any word ("the" -> "thes", "thing"). Throws where the library does.
   */
  private verbForms(base: string): VerbForms | undefined {
    if (base === 'be' || base === 'have' || base === 'do' || !this.primary.correct(base)) return undefined;
    const v = new Inflectors(base);
    const [s, past, participle, ing] = ['VBZ', 'VBD', 'VBN', 'VBG'].map((t) => v.conjugate(t));
    if (![s, ing, past].every((f) => f && this.primary.correct(f)) || s === base || ing === base) return undefined;
    return { s, past, participle, ing };
  }

  /**
   * A word that is another form of a dictionary verb, with that verb's base and forms ("went": "go"), or none. The one
   * reading of a word both {@link baseVerbOf} and {@link isPastParticiple} judge.
   */
  private inflectedVerb(w: string): { lw: string; base: string; forms: VerbForms } | undefined {
    const lw = w.toLowerCase();
    if (!/^[a-z]{3,}$/.test(lw)) return undefined;
    try {
      const base = new Inflectors(lw).toPresent();
      if (!base || base === lw) return undefined;
      const forms = this.verbForms(base);
      return forms && { lw, base, forms };
    } catch {
      return undefined;
    }
  }

  /**
   * The base form of a verb's -s, past or -ing form ("causes", "stimulated", "went", "going" -> "go"), or none: the form
   * a modal or "do" asks for. Auxiliaries are left out (their forms are grammar of their own).
   */
  baseVerbOf(w: string): string | undefined {
    const v = this.inflectedVerb(w);
    // (A past the same as the base, "put", leaves nothing to mend.)
    if (!v || v.forms.past === v.base) return undefined;
    const { s, past, participle, ing } = v.forms;
    return [s, past, participle, ing].includes(v.lw) ? v.base : undefined;
  }

  /**
   * The irregular past and participle a learner's regular "-ed" form stands for ("teached" -> "taught", "writed" ->
   * "wrote", "written"), for a word the dictionary does not know; none for any other word.
   */
  irregularPastsOf(w: string): string[] {
    const lw = w.toLowerCase();
    if (!/^[a-z]{4,}ed$/.test(lw) || this.accepts(lw)) return [];
    const stem = lw.slice(0, -2);
    const bases = [stem, lw.slice(0, -1), ...(/(.)\1$/.test(stem) ? [stem.slice(0, -1)] : [])];
    for (const base of bases) {
      if (!this.primary.correct(base)) continue;
      try {
        const verb = new Inflectors(base);
        const forms = [verb.conjugate('VBD'), verb.conjugate('VBN')].filter((f): f is string => !!f && !f.endsWith('ed') && f !== lw && this.primary.correct(f));
        if (forms.length > 0) return [...new Set(forms)];
      } catch {
        // The library throws on some inputs: no forms then.
      }
    }
    return [];
  }

  /** The past participle of a dictionary verb that is not its base ("eaten", "finished"; not "put"). */
  isPastParticiple(w: string): boolean {
    const v = this.inflectedVerb(w);
    return !!v && v.forms.participle === v.lw;
  }

  /** The singular of a regular or irregular plural noun ("reports" -> "report", "children" -> "child"), or none. */
  singularOf(w: string): string | undefined {
    const lw = w.toLowerCase();
    try {
      // The library's singular; where that is no word (it mangles some: "patients" -> "patusents"), the regular ones.
      // The round trip rejects what is no plural ("was" -> "wa"); a word the library leaves as it is ("news") is none.
      const lib = new Inflectors(lw).toSingular();
      const mangled = !!lib && lib !== lw && !this.primary.correct(lib);
      const guesses = mangled ? [lw.replace(/ies$/, 'y'), lw.replace(/es$/, ''), lw.replace(/s$/, '')] : [lib];
      return guesses.find((s) => s && s !== lw && this.primary.correct(s) && new Inflectors(s).toPlural() === lw);
    } catch {
      return undefined;
    }
  }

  /** True for a singular count noun's form ("report", "rule"): it has a plural that differs from it. */
  hasPlural(w: string): boolean {
    const lw = w.toLowerCase();
    try {
      const p = new Inflectors(lw).toPlural();
      return !!p && p !== lw && this.primary.correct(p) && this.singularOf(lw) === undefined;
    } catch {
      return false;
    }
  }

  /**
   * The present-tense verb form that agrees with a subject of the other number: "shows" -> "show", "show" -> "shows"
   * (`toPlural` says which way), or none when the word is not such a verb form.
   */
  agreementForm(w: string, toPlural: boolean): string | undefined {
    const lw = w.toLowerCase();
    const aux = (toPlural ? AUX_TO_PLURAL : AUX_TO_SINGULAR).get(lw);
    if (aux) return aux;
    if (AUX_TO_PLURAL.has(lw) || AUX_TO_SINGULAR.has(lw) || !/^[a-z]{3,}$/.test(lw)) return undefined;
    // Forms in the accepted dictionaries: the writer's verb may be spelt the other dialect's way ("summarise").
    try {
      const base = new Inflectors(lw).toPresent();
      if (!base || !this.accepts(base)) return undefined;
      const verb = new Inflectors(base);
      const third = verb.conjugate('VBZ');
      if (!third || third === base || !this.accepts(third)) return undefined;
      // A verb has an -ing form in the dictionary; a noun the library conjugates anyway ("policies") has none.
      const ing = verb.conjugate('VBG');
      if (!ing || !this.accepts(ing)) return undefined;
      if (toPlural) return lw === third ? base : undefined;
      return lw === base ? third : undefined;
    } catch {
      return undefined;
    }
  }

  /** Other forms of the same word (shows/show, go/went, report/reports) that are dictionary words. */
  inflections(w: string): string[] {
    const lw = w.toLowerCase();
    const forms = new Set<string>();
    const add = (f: string | undefined) => {
      if (f && f !== lw && /^[a-z]+$/.test(f) && this.primary.correct(f)) forms.add(f);
    };
    try {
      const inf = new Inflectors(lw);
      add(inf.toSingular());
      add(inf.toPlural());
      const base = inf.toPresent();
      add(base);
      const b = new Inflectors(base || lw);
      for (const tag of ['VBZ', 'VBD', 'VBN', 'VBG', 'VBP']) add(b.conjugate(tag));
    } catch {
      // The library throws on some inputs; a word without forms is fine.
    }
    return [...forms];
  }
}
