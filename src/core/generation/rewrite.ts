/**
 * Rewrites and ranking of alternatives in context. The rewrites themselves (model, tag-guided, toxicity) and the
 * checks every offered one passes live in ./generation (rewriteOffer.ts, rewriteSafety.ts, spanScoring.ts); this
 * module keeps their public entry points, option ranking and ranked inline completions.
 */
import type { Engine } from '../engine';
import { InputError, PlausibilityError } from '../errors';
import { generatePoe } from './poe';
import { sentenceRanges } from '../scoring/conditional';
import { offerRewrites, RewriteOptions, RewriteResult } from './rewriteOffer';
import { scoreContinuations } from './spanScoring';
export { parseAlternatives } from '../text/alternatives';
export { checkSpan, scoreContinuations, type ContinuationScore } from './spanScoring';
export {
  DEFAULT_CHANGE_PENALTY,
  DEFAULT_MAX_NLL_INCREASE,
  offerRewrites,
  shippedToxicityHead,
  toxicSpan,
  type RewriteCandidate,
  type RewriteKind,
  type RewriteOptions,
  type RewriteResult,
} from './rewriteOffer';
export { offerForRequest, OFFERED_REWRITES, type RewriteRequest } from './rewriteRequest';
export { changedWords, contentWords, droppedContent, lexiconTerms, truncation } from './rewriteSafety';

/**
 * Rewrites of text[start, end) that pass every check (content kept, complete, no lexicon term, not toxic), best
 * first: a model rewrite, or a tag-guided one when a condition with tags is given. Throws InputError with a clear
 * message for an empty span, a span at the start of the document, or one that touches code.
 */
export function rewriteSpan(engine: Engine, text: string, start: number, end: number, opts: RewriteOptions = {}): Promise<RewriteResult> {
  return offerRewrites(engine, text, start, end, opts);
}

export interface RankedOption {
  text: string;
  /** NLL of the option followed by the right context, given the left context (nats). */
  nll: number;
  tokens: number;
  nllPerToken: number;
}

/**
 * Ranks options for the place between `left` and `right` by NLL(option + right | left), lowest first. The right
 * context is cut at the end of its sentence. Options too long for the window are an error that names them.
 */
export async function rankOptions(engine: Engine, left: string, right: string, options: string[]): Promise<RankedOption[]> {
  if (options.length < 2) throw new InputError('at least two options are needed to rank', 'ONE_OPTION');
  const W = engine.config.maxPositions;
  const leftCore = left.replace(/\s+$/u, '');
  const ws = left.slice(leftCore.length);
  const rs = sentenceRanges(right);
  let rightCut = right;
  if (rs.length > 0) rightCut = right.slice(0, rs[0].end);
  const para = rightCut.indexOf('\n\n');
  if (para >= 0) rightCut = rightCut.slice(0, para);
  const conts = options.map((o) => engine.encode(ws + o + rightCut));
  const tooLong = options.filter((_, i) => conts[i].length > W - 2);
  if (tooLong.length)
    throw new InputError(
      `option "${tooLong[0].slice(0, 40)}${tooLong[0].length > 40 ? '…' : ''}" is longer than the model's context window of ${W} tokens`,
      'TOO_LONG',
    );
  const scores = await scoreContinuations(engine, engine.encode(leftCore), conts);
  return options
    .map((text, i) => ({ text, nll: scores[i].nll, tokens: scores[i].tokens, nllPerToken: scores[i].tokens ? scores[i].nll / scores[i].tokens : 0 }))
    .sort((a, b) => a.nll - b.nll);
}

/** Candidate inline completions of `prefix`, ranked by length-normalised conditional NLL (best first). */
export async function rankedCompletions(
  engine: Engine,
  prefix: string,
  opts: { count?: number; maxTokens?: number; seed?: number; temperature?: number; signal?: AbortSignal } = {},
): Promise<{ text: string; nll: number; nllPerToken: number; tokens: number }[]> {
  if (!prefix.trim()) throw new InputError('no text before the cursor to complete', 'NO_CONTEXT');
  const W = engine.config.maxPositions;
  const maxTokens = opts.maxTokens ?? 16;
  const ids = engine.encode(prefix);
  const keep = Math.min(ids.length, W - 2 - maxTokens);
  const gen = await generatePoe(engine, [{ context: prefix, ids: ids.slice(ids.length - keep) }], {
    samples: opts.count ?? 4,
    temperature: opts.temperature ?? 0.8,
    topK: 40,
    topP: 0.95,
    seed: opts.seed ?? 0,
    maxTokens,
    stop: { newline: true, sentence: true },
    signal: opts.signal,
  });
  const seen = new Set<string>();
  const out: { text: string; nll: number; nllPerToken: number; tokens: number }[] = [];
  for (const s of gen.samples) {
    if (!s.generated.trim() || seen.has(s.generated) || s.generated.includes('\uFFFD')) continue;
    seen.add(s.generated);
    const nll = s.experts[0].condNll;
    out.push({ text: s.generated, nll, tokens: s.ids.length, nllPerToken: nll / Math.max(1, s.ids.length) });
  }
  if (out.length === 0 && gen.samples.length === 0) throw new PlausibilityError('no completion', 'NO_COMPLETION');
  return out.sort((a, b) => a.nllPerToken - b.nllPerToken);
}
