/**
 * Conditional pretraining: the model learned P(text) and P(text | tags, synopsis) at once, because a fraction of
 * its training examples started with a header (conditioning.json):
 *
 *   BOS + "Tags: [a, b]\nSynopsis: ...\n\n" + text      or      BOS + "Tags: [a, b]\n\n" + text
 *
 * This module scores text under a header exactly as in training (header and text tokenised as one string), computes
 * per-token pointwise mutual information PMI = log P(x | tags, left) − log P(x | left), aggregates it per sentence,
 * and infers tags by ranking them by P(text | tags) (a zero-shot classifier).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../model/config';
import type { Engine, ScoringRow } from '../engine';
import { FeatureUnavailableError, InputError, ModelLoadError } from '../errors';
import { targetLogprob } from './math';

/** conditioning.json. */
export interface Conditioning {
  header: string;
  headerTagsOnly: string;
  tagSeparator: string;
  /** The Brown categories (the classification labels). */
  genres: string[];
  /** Every tag the model saw in training. */
  tags: string[];
}

/** Tags and an optional synopsis that condition a text. */
export interface Condition {
  tags: string[];
  synopsis?: string;
}

const cache = new Map<string, Conditioning>();

/** Reads `conditioning.json` of a model folder; throws FeatureUnavailableError for models without one. */
export function loadConditioning(modelDir: string): Conditioning {
  const hit = cache.get(modelDir);
  if (hit) return hit;
  const path = join(modelDir, 'conditioning.json');
  if (!existsSync(path))
    throw new FeatureUnavailableError(
      'conditioning',
      `this model (${modelDir}) has no conditioning.json: it was not trained with tag headers, so tag-conditioned scoring and tag inference are unavailable`,
    );
  const raw = readJsonFile<Record<string, unknown>>(path, 'conditioning.json');
  const str = (k: string) => {
    const v = raw[k];
    if (typeof v !== 'string') throw new ModelLoadError(`conditioning.json: "${k}" must be a string`, 'MODEL_CORRUPT_FILE');
    return v;
  };
  const list = (k: string) => {
    const v = raw[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new ModelLoadError(`conditioning.json: "${k}" must be a list of strings`, 'MODEL_CORRUPT_FILE');
    return v as string[];
  };
  const c: Conditioning = {
    header: str('header'),
    headerTagsOnly: str('header_tags_only'),
    tagSeparator: typeof raw['tag_separator'] === 'string' ? (raw['tag_separator'] as string) : ', ',
    genres: list('genres'),
    tags: list('tags'),
  };
  if (!c.header.includes('{tags}') || !c.headerTagsOnly.includes('{tags}'))
    throw new ModelLoadError('conditioning.json: headers must contain {tags}', 'MODEL_CORRUPT_FILE');
  cache.set(modelDir, c);
  return c;
}

/** Parses `"a, b"` (or a list) into clean tags. */
export function parseTags(tags: string | string[]): string[] {
  const list = Array.isArray(tags) ? tags : tags.split(',');
  return list.map((t) => t.trim().replace(/\s+/g, ' ')).filter((t) => t.length > 0);
}

/** The header string for a condition, exactly as in training. */
export function formatHeader(c: Conditioning, cond: Condition): string {
  const tags = parseTags(cond.tags);
  if (tags.length === 0) throw new InputError('at least one tag is needed to condition on tags', 'USAGE');
  const syn = cond.synopsis?.replace(/\s+/g, ' ').trim();
  const tpl = syn ? c.header : c.headerTagsOnly;
  return tpl.replace('{tags}', tags.join(c.tagSeparator)).replace('{synopsis}', syn ?? '');
}

/** Tags not in the model's known tags (they still condition, but the model never saw them). */
export function unknownTags(c: Conditioning, tags: string[]): string[] {
  const known = new Set(c.tags.map((t) => t.toLowerCase()));
  return tags.filter((t) => !known.has(t.toLowerCase()));
}

/**
 * Token ids of `header` as they are when text follows it. The header ends in a line break and the pre-tokenizer
 * never merges a line break with a following non-space character, so the header's tokens do not depend on the
 * text (for a text that starts with a non-space character, which {@link conditionalLogprobs} ensures).
 */
export function headerIds(engine: Engine, header: string): number[] {
  const t = engine.tokenize(header + 'A');
  const ids: number[] = [];
  for (let i = 0; i < t.ids.length && t.ends[i] <= header.length; i++) ids.push(t.ids[i]);
  return ids;
}

/** Token-level result of {@link conditionalScore}. */
export interface PmiToken {
  text: string;
  start: number;
  end: number;
  /** log P(x | header, left) in nats. */
  condLogprob: number;
  /** log P(x | left) in nats. */
  logprob: number;
  /** condLogprob − logprob. */
  pmi: number;
}

export interface SentencePmi {
  text: string;
  start: number;
  end: number;
  tokens: number;
  /** Σ PMI over the sentence's tokens (= log P(sentence | tags, left) − log P(sentence | left)). */
  pmi: number;
  pmiPerToken: number;
  condNll: number;
  nll: number;
}

export interface ConditionalTextScore {
  header: string;
  tokens: PmiToken[];
  /** −log P(text | header) in nats. */
  condNll: number;
  /** −log P(text) in nats. */
  nll: number;
  /** log P(text | header) − log P(text). */
  pmi: number;
  sentences: SentencePmi[];
}

/**
 * Scoring rows for text ids after a fixed prefix (BOS + prefix + text), windowed so that every window keeps the
 * prefix: each window is BOS + prefix + overlap context + new tokens.
 */
export function prefixedRows(engine: Engine, seq: number, prefix: number[], ids: number[], window?: number): ScoringRow[] {
  const W = Math.min(window ?? engine.config.maxPositions, engine.config.maxPositions);
  const avail = W - 1 - prefix.length;
  if (avail < 2) throw new InputError(`the header (${prefix.length} tokens) leaves no room in the model's window of ${W}`, 'TOO_LONG');
  const rows: ScoringRow[] = [];
  if (ids.length === 0) return rows;
  const head = [engine.bosId, ...prefix];
  if (ids.length <= avail) return [{ seq, ids: [...head, ...ids], first: head.length, seqOffset: 0 }];
  const stride = Math.max(1, Math.floor(avail / 2));
  rows.push({ seq, ids: [...head, ...ids.slice(0, avail)], first: head.length, seqOffset: 0 });
  const ctx = avail - stride;
  for (let next = avail; next < ids.length; next += stride) {
    const from = Math.max(0, next - ctx);
    const to = Math.min(ids.length, next + stride);
    rows.push({ seq, ids: [...head, ...ids.slice(from, to)], first: head.length + (next - from), seqOffset: next });
  }
  return rows;
}

/**
 * Log-probabilities of `ids` (text tokens, no BOS) after each prefix: out[k][i] = log P(ids[i] | BOS, prefixes[k],
 * ids[..i]). One padded batch for all prefixes.
 */
export async function prefixedLogprobs(engine: Engine, prefixes: number[][], ids: number[], window?: number): Promise<Float64Array[]> {
  const out = prefixes.map(() => new Float64Array(ids.length));
  const rows = prefixes.flatMap((p, k) => prefixedRows(engine, k, p, ids, window));
  await engine.runRows(rows, (row, logits, base, V) => {
    const dst = out[row.seq];
    for (let p = row.first; p < row.ids.length; p++) {
      dst[row.seqOffset + (p - row.first)] = targetLogprob(logits, base + (p - 1) * V, V, row.ids[p]);
    }
  });
  return out;
}

/** Sentence ranges [start, end) of a text (ends at . ! ? followed by space, or at blank lines). */
export function sentenceRanges(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const re = /[.!?…]+["'”’)\]]*(?=\s)|\n\s*\n/gu;
  let start = 0;
  let m: RegExpExecArray | null;
  const push = (s: number, e: number) => {
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    if (e > s) out.push({ start: s, end: e });
  };
  while ((m = re.exec(text))) {
    const end = m.index + m[0].length;
    push(start, end);
    start = end;
  }
  push(start, text.length);
  return out;
}

/**
 * Scores `text` with and without the header of `cond`: per-token PMI, totals and per-sentence aggregation.
 * Offsets are UTF-16 units into `text`. Leading whitespace is not scored (the header's line break precedes the text).
 */
export async function conditionalScore(
  engine: Engine,
  conditioning: Conditioning,
  text: string,
  cond: Condition,
  opts: { window?: number } = {},
): Promise<ConditionalTextScore> {
  const header = formatHeader(conditioning, cond);
  const lead = text.length - text.trimStart().length;
  const body = text.slice(lead);
  const tok = engine.tokenize(body);
  const hIds = headerIds(engine, header);
  const [cond_, plain] = await prefixedLogprobs(engine, [hIds, []], tok.ids, opts.window);
  const tokens: PmiToken[] = tok.ids.map((_, i) => ({
    text: body.slice(tok.starts[i], tok.ends[i]),
    start: tok.starts[i] + lead,
    end: tok.ends[i] + lead,
    condLogprob: cond_[i],
    logprob: plain[i],
    pmi: cond_[i] - plain[i],
  }));
  const condNll = -tokens.reduce((a, t) => a + t.condLogprob, 0);
  const nll = -tokens.reduce((a, t) => a + t.logprob, 0);
  const sentences: SentencePmi[] = sentenceRanges(text).map((r) => {
    const ts = tokens.filter((t) => t.end > r.start && t.start < r.end && t.end > t.start);
    const pmi = ts.reduce((a, t) => a + t.pmi, 0);
    return {
      text: text.slice(r.start, r.end),
      start: r.start,
      end: r.end,
      tokens: ts.length,
      pmi,
      pmiPerToken: ts.length ? pmi / ts.length : 0,
      condNll: -ts.reduce((a, t) => a + t.condLogprob, 0),
      nll: -ts.reduce((a, t) => a + t.logprob, 0),
    };
  });
  return { header, tokens, condNll, nll, pmi: nll - condNll, sentences };
}

/** Options of {@link offTagSentences}. */
export interface OffTagOptions {
  /** Fraction of sentences (lowest PMI per token) that may be flagged. Default 0.1 (at least one). */
  fraction?: number;
  /** Only sentences with PMI per token below this (nats) are flagged. Default −0.05. */
  maxPmiPerToken?: number;
  /** Sentences with fewer tokens are never flagged. Default 4. */
  minTokens?: number;
}

/** The sentences that fit the declared tags worst: lowest PMI per token, negative, at most a fraction of them. */
export function offTagSentences(score: ConditionalTextScore, opts: OffTagOptions = {}): SentencePmi[] {
  const minTokens = opts.minTokens ?? 4;
  const limit = opts.maxPmiPerToken ?? -0.05;
  const eligible = score.sentences.filter((s) => s.tokens >= minTokens);
  const k = Math.max(1, Math.floor(eligible.length * (opts.fraction ?? 0.1)));
  return eligible
    .filter((s) => s.pmiPerToken < limit)
    .sort((a, b) => a.pmiPerToken - b.pmiPerToken)
    .slice(0, k)
    .sort((a, b) => a.start - b.start);
}

/** One candidate tag's evidence. */
export interface TagScore {
  tag: string;
  /** log P(text | tag) in nats (the text's scored tokens). */
  logprob: number;
  /** log P(text | tag) − log P(text): how much the tag explains the text. */
  pmi: number;
  /** Posterior P(tag | text) with a uniform prior over the candidates. */
  posterior: number;
}

export interface TagInference {
  /** Best first. */
  ranking: TagScore[];
  /** log P(text) without a header. */
  logprob: number;
  /** Tokens scored (the text may be truncated to `maxTokens`). */
  tokens: number;
}

/**
 * Ranks candidate tags (default: every known tag) by P(text | Tags: [tag]), the zero-shot classifier of conditional
 * pretraining. Long texts are scored in windows, each after the header; at most `maxTokens` tokens are used.
 */
export async function inferTags(
  engine: Engine,
  conditioning: Conditioning,
  text: string,
  opts: { candidates?: string[]; maxTokens?: number; window?: number; /** Also score without a header (for PMI; default true). */ baseline?: boolean } = {},
): Promise<TagInference> {
  const cands = opts.candidates ?? conditioning.tags;
  if (cands.length === 0) throw new InputError('no candidate tags', 'USAGE');
  const body = text.trim();
  if (!body) throw new InputError('no text to infer tags from', 'EMPTY_INPUT');
  let ids = engine.encode(body);
  const maxTokens = opts.maxTokens ?? 1024;
  if (ids.length > maxTokens) ids = ids.slice(0, maxTokens);
  const baseline = opts.baseline !== false;
  const heads = cands.map((t) => headerIds(engine, formatHeader(conditioning, { tags: [t] })));
  const lps = await prefixedLogprobs(engine, baseline ? [[], ...heads] : [[], ...heads].slice(1), ids, opts.window);
  const sums = lps.map((a) => a.reduce((x, y) => x + y, 0));
  if (!baseline) sums.unshift(NaN);
  const base = sums[0];
  const scores = cands.map((tag, i) => ({ tag, logprob: sums[i + 1], pmi: sums[i + 1] - base, posterior: 0 }));
  const max = Math.max(...scores.map((s) => s.logprob));
  const z = scores.reduce((a, s) => a + Math.exp(s.logprob - max), 0);
  for (const s of scores) s.posterior = Math.exp(s.logprob - max) / z;
  scores.sort((a, b) => b.logprob - a.logprob);
  return { ranking: scores, logprob: base, tokens: ids.length };
}
