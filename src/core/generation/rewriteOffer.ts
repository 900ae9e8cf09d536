/**
 * The rewrites the editor, the CLI and the benchmark offer, one code path for all three kinds:
 *
 * - `model`: a span rewritten by the model after its left context;
 * - `tags`: the same with the tag-conditioned expert mixed in (classifier-free guidance γ):
 *     log p(x) ∝ (1 − γ) · log p(x | left) + γ · log p(x | tags, left);
 * - `toxicity`: the toxic span of a sentence (lexicon hits and the word whose removal lowers the head's p(toxic)
 *   most) rewritten, or deleted, with the rest of the sentence kept.
 *
 * Candidates are sampled from the product of experts, cut to about the span's word count, and must pass
 * rewriteSafety.ts (content kept, no truncation, no lexicon term) and the toxicity head (p < its threshold). Each is
 * scored by the NLL of its whole sentence with the text on both sides (left context + candidate + the rest of the
 * sentence) and ranked by that NLL plus `changePenalty` nats per changed word. A model rewrite is offered only when
 * its ranking score beats the original's NLL; a tag-guided or toxicity rewrite only when its NLL per token is at
 * most `maxNllIncrease` above the original's.
 */
import type { Engine } from '../engine';
import { lexiconFor } from '../lint/edits/runner';
import { ClassifierHead } from '../heads/discriminator';
import { InputError } from '../errors';
import { Condition, Conditioning, formatHeader, headerIds } from '../scoring/conditional';
import { generatePoe, Expert } from './poe';
import { checkSpan, partNll, scoreContinuations, sentenceAround } from './spanScoring';
import { changedWords, badSeam, droppedContent, isContentWord, lexiconTerms, lexiconWordRanges, truncation, WORD_TOKEN, wordsOf } from './rewriteSafety';

export type RewriteKind = 'model' | 'tags' | 'toxicity';

import { DEFAULT_MAX_NLL_INCREASE } from './rewriteDefaults';
export { DEFAULT_MAX_NLL_INCREASE } from './rewriteDefaults';
/** Ranking penalty per changed word (nats): of two equally fluent rewrites, the smaller change wins. */
export const DEFAULT_CHANGE_PENALTY = 0.5;

export interface RewriteOptions {
  /** Default: `tags` when a condition with tags and γ ≠ 0 is given, else `model`. */
  kind?: RewriteKind;
  /** Candidates returned (default 3). */
  count?: number;
  /** Samples drawn (default 12). */
  samples?: number;
  /** Sampling (defaults: temperature 0.9, top-k 40, top-p 0.95, seed 0). */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Declared tags/synopsis of the document: adds the tag-conditioned expert. */
  condition?: Condition;
  conditioning?: Conditioning;
  /** Classifier-free-guidance weight γ of the tag expert (default 1.5; 0 = unconditioned). */
  cfgWeight?: number;
  /** Treat the text as Markdown (refuse spans that touch code blocks, inline code, front matter). Default true. */
  markdown?: boolean;
  /** Largest NLL-per-token increase over the original a tag-guided or toxicity rewrite may have (nats/token). */
  maxNllIncrease?: number;
  /** Ranking penalty per changed word (nats). */
  changePenalty?: number;
  /** The toxicity judge; default the head shipped with the model (none: the lexicon alone judges). */
  head?: ClassifierHead | null;
  signal?: AbortSignal;
}

export interface RewriteCandidate {
  /** The edit: replace document [start, end) with `text` (a deletion may also take the space before the span). */
  start: number;
  end: number;
  text: string;
  /** NLL (nats) of the whole sentence holding the span, with this replacement, given the text before it. */
  nll: number;
  nllPerToken: number;
  /** nll + changePenalty · changed words: the ranking key, lowest first. */
  score: number;
  /** original NLL − this NLL (> 0: more fluent than the original). */
  gain: number;
  /** The rewritten sentence. */
  sentence: string;
  /** The head's p(unwanted) of the rewritten sentence (absent without a head). */
  pUnwanted?: number;
}

export interface RewriteResult {
  kind: RewriteKind;
  /** The span that was rewritten (for `toxicity`, the toxic part of the requested sentence). */
  start: number;
  end: number;
  original: string;
  sentence: { start: number; end: number; text: string };
  /** NLL of the sentence as written, in total and per token. */
  originalNll: number;
  originalNllPerToken: number;
  /** Best first; every one passed every check. May be empty. */
  candidates: RewriteCandidate[];
  /** Distinct candidates scored, and how many each check turned away. */
  considered: number;
  rejected: { content: number; truncated: number; lexicon: number; toxic: number; fluency: number };
  maxNllIncrease: number;
  /** Why nothing was rewritten, when the request itself needed no rewrite (a sentence that is not toxic). */
  note?: string;
  ms: number;
}

const headCache = new WeakMap<Engine, ClassifierHead | null>();

/** The toxicity head shipped with the engine's model, or null when it has none (or not for this model). */
export function shippedToxicityHead(engine: Engine): ClassifierHead | null {
  let h = headCache.get(engine);
  if (h === undefined) {
    try {
      h = ClassifierHead.forEngine(engine, 'toxicity');
    } catch {
      h = null;
    }
    headCache.set(engine, h);
  }
  return h;
}

function unwantedOf(head: ClassifierHead): number {
  return head.unwantedIndex ?? head.classSize - 1;
}

/** The head's p(unwanted) for each text. */
async function pUnwanted(engine: Engine, head: ClassifierHead, texts: string[]): Promise<number[]> {
  if (texts.length === 0) return [];
  const u = unwantedOf(head);
  return (await head.classify(engine, texts)).map((p) => p[u]);
}

/**
 * The toxic part of a sentence, relative to it: every word holding a lexicon term, and, when the head judges the
 * sentence toxic, the word whose removal lowers its p(toxic) most. Undefined when neither finds anything.
 */
export async function toxicSpan(engine: Engine, head: ClassifierHead | null, sentence: string): Promise<{ start: number; end: number; pUnwanted?: number } | undefined> {
  const ranges = lexiconWordRanges(sentence);
  let p: number | undefined;
  if (head) {
    const words = [...sentence.matchAll(WORD_TOKEN)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
    const variants = words.map((w) => (sentence.slice(0, w.start) + sentence.slice(w.end)).replace(/\s+/g, ' ').trim());
    const ps = await pUnwanted(engine, head, [sentence, ...variants]);
    p = ps[0];
    if (p >= head.decisionThreshold && words.length > 0) {
      let blamed = 0;
      for (let i = 1; i < words.length; i++) if (ps[i + 1] < ps[blamed + 1]) blamed = i;
      ranges.push(words[blamed]);
    }
  }
  if (ranges.length === 0) return undefined;
  return { start: Math.min(...ranges.map((r) => r.start)), end: Math.max(...ranges.map((r) => r.end)), pUnwanted: p };
}

/** The first n whitespace-separated words of s, with the spacing between them kept. */
function firstWords(s: string, n: number): string {
  const m = s.match(new RegExp(`^\\s*(?:\\S+\\s+){${Math.max(0, n - 1)}}\\S+`, 'u'));
  return m ? m[0] : '';
}

/** A sampled continuation cut to n words, shaped like the span it replaces (capital, closing punctuation). */
function shapeCandidate(generated: string, n: number, original: string): string | undefined {
  let c = firstWords(generated, n).trim();
  if (!c || (c.match(/\S+/g) ?? []).length !== n) return undefined;
  // The span's own closing punctuation stays in the text to its right; a sampled one would end the clause early.
  if (!/[.,;:!?…]$/u.test(original)) c = c.replace(/[.,;:!?…]+$/u, '');
  if (/^\p{Lu}/u.test(original) && /^\p{Ll}/u.test(c)) c = c.charAt(0).toUpperCase() + c.slice(1);
  if (/^\p{Ll}/u.test(original) && /^\p{Lu}\p{Ll}/u.test(c) && !/^I\b/.test(c)) c = c.charAt(0).toLowerCase() + c.slice(1);
  return c || undefined;
}

function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('rewrite cancelled'), { name: 'AbortError' });
}

/** Rewrites of text[start, end) that pass every check, best first (see the module comment). */
export async function offerRewrites(engine: Engine, text: string, start: number, end: number, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const t0 = Date.now();
  const gamma = opts.cfgWeight ?? 1.5;
  const tagged = !!(opts.condition && opts.conditioning && gamma !== 0 && opts.condition.tags.length > 0);
  const kind: RewriteKind = opts.kind ?? (tagged ? 'tags' : 'model');
  const head = opts.head === undefined ? shippedToxicityHead(engine) : opts.head;
  const maxNllIncrease = opts.maxNllIncrease ?? DEFAULT_MAX_NLL_INCREASE;
  const penalty = opts.changePenalty ?? DEFAULT_CHANGE_PENALTY;
  const rejected = { content: 0, truncated: 0, lexicon: 0, toxic: 0, fluency: 0 };
  let s = start;
  let e = end;
  if (kind === 'toxicity') {
    checkSpan(text, start, end, opts.markdown !== false, false);
    if (!head && lexiconTerms(text.slice(start, end)).length === 0)
      throw new InputError('the model ships no toxicity head, and the text holds no lexicon term to rewrite', 'FEATURE_UNAVAILABLE');
    const span = await toxicSpan(engine, head, text.slice(start, end));
    if (!span) {
      const sent = { start, end, text: text.slice(start, end) };
      const none = { kind, start, end, original: sent.text, sentence: sent, originalNll: 0, originalNllPerToken: 0, candidates: [], considered: 0 };
      return { ...none, rejected, maxNllIncrease, note: 'neither the head nor the lexicon finds a toxic part', ms: Date.now() - t0 };
    }
    s = start + span.start;
    e = start + span.end;
  } else checkSpan(text, s, e, opts.markdown !== false);
  const original = text.slice(s, e);
  const sent = sentenceAround(text, s, e);
  const W = engine.config.maxPositions;
  // The whitespace before the span goes with the candidate, so " word" tokenises as in running text.
  const before = text.slice(0, s);
  const leftCore = before.replace(/\s+$/u, '');
  const ws = before.slice(leftCore.length);
  const nWords = (original.match(/\S+/g) ?? []).length;
  const origIds = engine.encode(ws + original);
  const maxTokens = Math.min(Math.max(4, Math.ceil(origIds.length * 1.6) + 3), Math.floor(W / 4));
  // About the last W/2 tokens of left context: plenty for a small model, and faster.
  const leftTok = engine.tokenize(leftCore);
  const leftKeep = Math.min(leftTok.ids.length, Math.floor(W / 2));
  const leftIds = leftTok.ids.slice(leftTok.ids.length - leftKeep);
  const leftFrom = leftKeep > 0 ? leftTok.starts[leftTok.ids.length - leftKeep] : leftCore.length;
  const experts: Expert[] = [{ context: leftCore.slice(leftFrom), weight: 1, ids: leftIds }];
  if (tagged && kind !== 'toxicity') {
    const header = formatHeader(opts.conditioning!, opts.condition!);
    const lead = leftCore.slice(leftFrom).trimStart();
    const tagIds = [...headerIds(engine, header), ...engine.encode(lead)];
    experts[0].weight = 1 - gamma;
    experts.push({ context: header + lead, weight: gamma, ids: tagIds.slice(Math.max(0, tagIds.length - (W - 2 - maxTokens))) });
  }
  if (experts[0].weight === 0) experts.shift();
  const gen = await generatePoe(engine, experts, {
    samples: opts.samples ?? 12,
    temperature: opts.temperature ?? 0.9,
    topK: opts.topK ?? 40,
    topP: opts.topP ?? 0.95,
    seed: opts.seed ?? 0,
    maxTokens,
    stop: { newline: true },
    signal: opts.signal,
  });
  abortIf(opts.signal);
  // Candidate edits: each sample cut to the span's word count, one fewer and one more.
  const edits = new Map<string, { start: number; end: number; text: string }>();
  for (const smp of gen.samples) {
    if (ws && !/^\s/u.test(smp.generated)) continue;
    if (smp.generated.includes('\uFFFD')) continue;
    for (const n of [nWords, nWords - 1, nWords + 1]) {
      if (n < 1) continue;
      const c = shapeCandidate(smp.generated, n, original);
      if (c && c !== original) edits.set(c, { start: s, end: e, text: c });
    }
  }
  // A misspelt word's dictionary corrections are candidates too ("wnid" -> "wind"): sampling may never spell it.
  const lex = lexiconFor(engine, 'en-US', true);
  const isWord = (w: string) => lex.isWord(w, true);
  if (kind !== 'toxicity') {
    for (const m of original.matchAll(/\p{L}+/gu)) {
      if (isWord(m[0]) || /^\p{Lu}/u.test(m[0])) continue;
      for (const fix of lex.suggest(m[0], 3)) {
        const c = original.slice(0, m.index!) + fix + original.slice(m.index! + m[0].length);
        if (c !== original) edits.set(c, { start: s, end: e, text: c });
      }
    }
  }
  // A toxic modifier can simply go ("this damn installer"): delete it with the space before it, when a content word
  // follows (deleting a noun or a verb leaves a hole).
  const nextWord = /^\s+(\S+)/u.exec(text.slice(e, sent.end))?.[1];
  if (kind === 'toxicity' && ws && s > sent.start && nextWord && isContentWord(wordsOf(nextWord)[0] ?? ''))
    edits.set('', { start: s - ws.length, end: e, text: '' });
  const sentenceText = text.slice(sent.start, sent.end);
  const rewrittenOf = (x: { start: number; end: number; text: string }) => text.slice(sent.start, x.start) + x.text + text.slice(x.end, sent.end);
  const passing = [...edits.values()].filter((x) => {
    const rewritten = rewrittenOf(x);
    const lost = droppedContent(sentenceText, s - sent.start, e - sent.start, rewritten, x.text, isWord);
    if (lost.outside.length > 0 || (kind !== 'toxicity' && lost.inSpan.length > 0)) return rejected.content++, false;
    if (truncation(sentenceText, rewritten, x.text, text.slice(x.end, sent.end))) return rejected.truncated++, false;
    if (badSeam(original, text.slice(sent.start, x.start), x.text, text.slice(x.end, sent.end))) return rejected.truncated++, false;
    if (lexiconTerms(rewritten).length > 0) return rejected.lexicon++, false;
    return true;
  });
  abortIf(opts.signal);
  // The sentence's part before the span comes from the left context, the rest from each continuation.
  const sentLeft = text.slice(sent.start, s).replace(/\s+$/u, '');
  const leftPart = sentLeft ? await partNll(engine, leftCore, leftCore.length - sentLeft.length) : { nll: 0, tokens: 0 };
  const contOf = (x: { start: number; end: number; text: string }) => text.slice(leftCore.length, x.start) + x.text + text.slice(x.end, sent.end);
  const conts = [text.slice(leftCore.length, sent.end), ...passing.map(contOf)].map((c) => engine.encode(c));
  const scored = await scoreContinuations(engine, leftIds, conts);
  const perToken = (i: number) => (leftPart.nll + scored[i].nll) / Math.max(1, leftPart.tokens + scored[i].tokens);
  const originalNll = leftPart.nll + scored[0].nll;
  const originalNllPerToken = perToken(0);
  const pu = head ? await pUnwanted(engine, head, passing.map(rewrittenOf)) : [];
  abortIf(opts.signal);
  const candidates: RewriteCandidate[] = [];
  passing.forEach((x, i) => {
    const nll = leftPart.nll + scored[i + 1].nll;
    const c: RewriteCandidate = {
      ...x,
      nll,
      nllPerToken: perToken(i + 1),
      score: nll + penalty * changedWords(original, x.text),
      gain: originalNll - nll,
      sentence: rewrittenOf(x),
      ...(head ? { pUnwanted: pu[i] } : {}),
    };
    if (head && pu[i] >= head.decisionThreshold) return void rejected.toxic++;
    const fluent = kind === 'model' ? c.score < originalNll - 1e-6 : c.nllPerToken <= originalNllPerToken + maxNllIncrease;
    if (!fluent) return void rejected.fluency++;
    candidates.push(c);
  });
  candidates.sort((a, b) => a.score - b.score || a.text.localeCompare(b.text));
  return {
    kind,
    start: s,
    end: e,
    original,
    sentence: { start: sent.start, end: sent.end, text: sentenceText },
    originalNll,
    originalNllPerToken,
    candidates: candidates.slice(0, opts.count ?? 3),
    considered: edits.size,
    rejected,
    maxNllIncrease,
    ms: Date.now() - t0,
  };
}
