/**
 * Finds verified edits in a prepared document, once per pass for every edit kind: for each block, each sentence's
 * candidate edits are scored against the original sentence (with its left context), and the edits that pass their
 * margin become findings. Results are cached per sentence (with the text before it) and settings, so typing
 * re-verifies only the sentences an edit touches.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../engine';
import { calibrate } from '../../scoring/spans';
import { readableText, readingMarkup, readingView } from '../../text/readingView';
import { splitSentences } from '../../text/sentences';
import { perPass, type CheckContext } from '../check';
import type { Finding } from '../finding';
import type { PreparedBlock, PreparedDocument } from '../prepare';
import { settingsKey } from '../settings';
import { Collocations } from './collocations';
import { Lexicon } from './lexicon';
import { editFinding } from './messages';
import { EditKind, proposeEdits, SentenceWord, sentenceWords } from './proposals';
import { acceptEdits, confirmTogether, Margins, readMargins, scoreEdits } from './verify';

export const EDIT_RULES: Record<EditKind, string> = {
  spelling: 'plausibility/spelling',
  'word-choice': 'plausibility/word-choice',
  inflection: 'plausibility/word-choice',
  agreement: 'plausibility/word-choice',
  'noun-number': 'plausibility/word-choice',
  article: 'plausibility/word-choice',
  preposition: 'plausibility/word-choice',
  'function-word': 'plausibility/word-choice',
  confusable: 'plausibility/word-choice',
  'missing-word': 'plausibility/missing-word',
  'missing-preposition': 'plausibility/missing-word',
  'extra-word': 'plausibility/extra-word',
  'repeated-word': 'plausibility/extra-word',
  'word-order': 'plausibility/word-order',
  'adverb-position': 'plausibility/word-order',
  capitalization: 'plausibility/capitalization',
};

/** Left context of a verified sentence, in characters. */
const VERIFY_CONTEXT_CHARS = 120;

const lexicons = new WeakMap<Engine, Map<string, Lexicon>>();

/** The engine's lexicon for a dialect setting (built once: the dictionary and the model's whole-word tokens). */
export function lexiconFor(e: Engine, dialect: 'en-US' | 'en-GB', acceptOther: boolean): Lexicon {
  let m = lexicons.get(e);
  if (!m) lexicons.set(e, (m = new Map()));
  const key = `${dialect}|${acceptOther}`;
  let lex = m.get(key);
  if (!lex) {
    const words: string[] = [];
    for (let id = 0; id < e.vocabSize; id++) {
      const t = e.tokenizer.tokenText(id);
      if (/^ [a-z]{2,}$/.test(t)) words.push(t.slice(1));
    }
    lex = new Lexicon(words, { dialect, acceptOtherDialects: acceptOther, corpusWords: readCorpusWords(e.info.modelDir), collocations: Collocations.read(e.info.modelDir) });
    m.set(key, lex);
  }
  return lex;
}

/** The model folder's corpus_words.txt (one word a line), or none for a model without it. */
function readCorpusWords(modelDir: string): Set<string> {
  try {
    return new Set(readFileSync(join(modelDir, 'corpus_words.txt'), 'utf8').split(/\r?\n/).filter((w) => /^[a-z']+$/.test(w)));
  } catch {
    return new Set(); // optional evidence: a missing or unreadable list only means fewer words are known
  }
}

/**
 * Words (lower case) a document uses more than once: taken as deliberate (a name or a term), so a spelling finding on
 * one is dropped wherever it stands.
 */
export function wordsUsedAgain(text: string): Set<string> {
  const seen = new Set<string>();
  const again = new Set<string>();
  for (const m of text.matchAll(/[\p{L}\p{M}'’]+/gu)) {
    const w = m[0].toLowerCase();
    (seen.has(w) ? again : seen).add(w);
  }
  return again;
}

const marginsCache = new WeakMap<Engine, Margins>();
function marginsFor(e: Engine): Margins {
  let m = marginsCache.get(e);
  if (!m) marginsCache.set(e, (m = readMargins(e.info.modelDir)));
  return m;
}

/** Sentence words with their surprisal and the model's whole-word alternatives at each. */
function scoredWords(block: PreparedBlock, sentence: { start: number; end: number }, lex: Lexicon, thresholdAt: (pos: number) => number): SentenceWord[] {
  const sc = block.score!;
  const text = block.text.slice(sentence.start, sentence.end);
  const words = sentenceWords(text).map((w) => ({ ...w, bits: 0, surprising: false, alternatives: [] as string[], alternativeProbs: [] as number[], first: -1, rank: 0 }));
  let wi = 0;
  for (let i = 0; i < sc.starts.length && wi < words.length; i++) {
    const raw = block.text.slice(sc.starts[i], sc.ends[i]);
    const lead = raw.length - raw.trimStart().length;
    const at = sc.starts[i] + lead - sentence.start;
    if (at < 0 || raw.trim() === '') continue;
    while (wi < words.length && words[wi].end <= at) wi++;
    const w = words[wi];
    if (!w || at < w.start) continue;
    w.bits += sc.bits[i];
    if (w.first < 0) {
      w.first = i;
      w.rank = sc.ranks[i];
      for (let j = 0; j < sc.topK; j++) {
        const tok = sc.vocab[sc.topIds[i * sc.topK + j]] ?? '';
        const m = /^ ([a-zA-Z]+)$/.exec(tok);
        if (m && m[1].toLowerCase() !== w.text.toLowerCase() && lex.isKnown(m[1])) {
          w.alternatives.push(m[1]);
          w.alternativeProbs.push(sc.topProbs[i * sc.topK + j]);
        }
      }
    }
  }
  for (const w of words) if (w.first >= 0) w.surprising = w.bits > thresholdAt(sc.positions[w.first]);
  return words;
}

/** Line breaks inside a paragraph as spaces, keeping every offset. */
export function softBreaksAsSpaces(text: string): string {
  return text.replace(/(?<!\n[ \t]*)\r?\n(?![ \t]*\r?\n)/g, (m) => ' '.repeat(m.length));
}

/** The inline markup a document's language has, for the verifier's reading view. */
type Syntax = 'markdown' | 'restructuredtext' | undefined;
function syntaxOf(languageId: string): Syntax {
  return languageId === 'markdown' || languageId === 'restructuredtext' ? languageId : undefined;
}

/** A word wrapped on its own in emphasis marks (`_he_`, `*might*`, `**cwd**`): a mention or stress. */
function isEmphasisedAlone(raw: string, w: { start: number; end: number }): boolean {
  const before = raw[w.start - 1];
  return (before === '*' || before === '_') && raw[w.end] === before;
}

/** Verified-edit findings of one block, in block offsets. */
async function verifyBlock(ctx: CheckContext, block: PreparedBlock, syntax: Syntax, enabled: Set<EditKind>, lex: Lexicon, sk: string): Promise<Finding[]> {
  const e = ctx.engine;
  const pct = String(ctx.settings.edits.prefilterPercentile);
  const cal = calibrate([], e.stats, { percentile: pct });
  const margins = marginsFor(e);
  const out: Finding[] = [];
  for (const sent of splitSentences(block.text)) {
    if (ctx.signal?.aborted) break;
    // A soft line break reads as a space (same length, so offsets hold): an edit must not win by removing a newline.
    // The model reads the sentence as a reader does (see readingView), and so the text before it.
    const raw = softBreaksAsSpaces(block.text.slice(sent.start, sent.end));
    const markup = syntax ? readingMarkup(raw, syntax) : { drop: [], standIns: [] };
    const view = readingView(raw, markup.drop, markup.standIns);
    const sentence = view.text;
    let context = readableText(softBreaksAsSpaces(block.context + block.text.slice(0, sent.start)).slice(-3 * VERIFY_CONTEXT_CHARS), syntax).slice(-VERIFY_CONTEXT_CHARS);
    if (context.length === VERIFY_CONTEXT_CHARS) context = context.slice(context.search(/\s/) + 1);
    // An edit elsewhere in the paragraph leaves this sentence and the text before it as they were: reuse its result.
    const key = `edits-sentence|${sk}|${context}\u0000${sentence}`;
    let rel = ctx.onCandidate ? undefined : (ctx.cache.get(key) as Finding[] | undefined);
    if (rel) ctx.cache.delete(key); // most recent last: the linter trims the oldest
    else {
      rel = [];
      // Words inside markup (a tag's attributes, a link's address) are not in the view: they are no words of the text.
      const words = scoredWords(block, sent, lex, (p) => cal.thresholdAt(p))
        .map((w) => ({
          ...w,
          start: view.toView(w.start),
          end: view.toView(w.end),
          mention: !!syntax && isEmphasisedAlone(raw, w),
          afterMarkup: view.isMarkup(w.start - 1),
        }))
        .filter((w) => sentence.slice(w.start, w.end) === w.text);
      const edits = proposeEdits(sentence, words, lex, { enabled, continues: /[:;,]\s*$/.test(context) });
      if (edits.length > 0) {
        const scored = await scoreEdits(e, context, sentence, edits);
        if (ctx.onCandidate)
          for (const x of scored) ctx.onCandidate({ kind: x.kind, gainBits: x.gainBits, cost: x.cost, sentence, from: sentence.slice(x.start, x.end), to: x.replacement });
        const accepted = await confirmTogether(e, context, sentence, acceptEdits(scored, margins), margins);
        for (const { edit, others } of accepted) {
          const f = editFinding(edit, others, sentence, EDIT_RULES[edit.kind]);
          const at = view.toOriginal(f.start, f.end);
          // The edited sentence as written (the view's stand-ins and dropped markup are for the model only).
          if (at) rel.push({ ...f, start: at[0], end: at[1], data: { ...f.data, edited: raw.slice(0, at[0]) + (f.replacement ?? '') + raw.slice(at[1]) } });
        }
      }
    }
    ctx.cache.set(key, rel);
    // The finding quotes the text as written (a soft line break stays a line break).
    for (const f of rel) out.push({ ...f, start: f.start + sent.start, end: f.end + sent.start, text: block.text.slice(f.start + sent.start, f.end + sent.start) });
  }
  return out;
}

/** Verified-edit findings of the whole document for every enabled edit kind (shared by the edit checks of a pass). */
export function verifiedEdits(doc: PreparedDocument, ctx: CheckContext): Promise<Finding[]> {
  return perPass(ctx, 'edits', async () => {
    const s = ctx.settings;
    const enabled = new Set((Object.keys(EDIT_RULES) as EditKind[]).filter((k) => !s.disabledRules.includes(EDIT_RULES[k])));
    if (enabled.size === 0) return [];
    const lex = lexiconFor(ctx.engine, s.edits.dialect, s.edits.acceptOtherDialects);
    const sk = settingsKey(s);
    // A word used more than once in the document is taken as deliberate (a name or a term), wherever it is.
    const usedAgain = wordsUsedAgain(doc.masked);
    const out: Finding[] = [];
    for (const b of doc.blocks) {
      if (!b.score) continue;
      const rel = await verifyBlock(ctx, b, syntaxOf(doc.languageId), enabled, lex, sk);
      if (ctx.signal?.aborted) return out;
      for (const f of rel) {
        if (f.rule === EDIT_RULES.spelling && usedAgain.has(f.text.toLowerCase())) continue;
        out.push({ ...f, start: f.start + b.start, end: f.end + b.start });
      }
    }
    return out;
  });
}
