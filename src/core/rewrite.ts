/**
 * Rewrites and ranking of alternatives in context.
 *
 * A rewrite replaces a span [start, end) of a document. Candidates are sampled from a product of experts: the model
 * after the span's left context and, when the document declares tags, the same model after the tag header and the
 * left context, mixed with a classifier-free-guidance weight γ:
 *
 *   log p(x) ∝ (1 − γ) · log p(x | left) + γ · log p(x | tags, left)
 *
 * (γ = 0: unconditioned; γ = 1: conditioned; γ > 1: pushed further toward the tags). Every candidate, and the
 * original, is then scored by the NLL of the whole sentence that holds the span, right context included, because a
 * replacement must also fit what follows. Only candidates strictly better than the original are returned.
 */
import type { Engine } from './engine';
import { InputError, PlausibilityError } from './errors';
import { logSoftmax, tileCache } from './generate';
import { skipRegions } from './markdown';
import { generatePoe, Expert } from './poe';
import { Condition, Conditioning, formatHeader, headerIds, sentenceRanges } from './conditional';
export { parseAlternatives } from './alternatives';

/** Log-probabilities of continuations after one left context. */
export interface ContinuationScore {
  nll: number;
  tokens: number;
  logprobs: number[];
}

/**
 * NLL of each continuation (token ids) after BOS + `left` (token ids). The left context runs once (KV cache) and
 * the continuations run as one padded batch on top of it. A left context too long for the window keeps its last
 * tokens; a continuation that cannot fit at all is an error.
 */
export async function scoreContinuations(engine: Engine, left: number[], conts: number[][]): Promise<ContinuationScore[]> {
  const W = engine.config.maxPositions;
  const V = engine.config.vocabSize;
  const maxLen = Math.max(0, ...conts.map((c) => c.length));
  if (maxLen > W - 2)
    throw new InputError(
      `a candidate of ${maxLen} tokens is longer than the model's window of ${W} tokens (with room for context)`,
      'TOO_LONG',
    );
  const keep = Math.max(0, Math.min(left.length, W - 1 - maxLen));
  const prefix = [engine.bosId, ...left.slice(left.length - keep)];
  const out: ContinuationScore[] = conts.map((c) => ({ nll: 0, tokens: c.length, logprobs: [] }));
  if (maxLen === 0) return out;
  if (!engine.info.hasKvCache) {
    const lps = await engine.logprobs(conts.map((c) => [...prefix, ...c]));
    conts.forEach((c, i) => {
      const lp = Array.from(lps[i].subarray(prefix.length - 1));
      out[i].logprobs = lp;
      out[i].nll = -lp.reduce((a, b) => a + b, 0);
    });
    return out;
  }
  const primed = await engine.forward(prefix, { presents: true });
  const last = logSoftmax(primed.logits!, (prefix.length - 1) * V, V);
  conts.forEach((c, i) => {
    if (c.length > 0) out[i].logprobs.push(last[c[0]]);
  });
  const todo = conts.map((c, i) => ({ c, i })).filter((x) => x.c.length > 1);
  const S = maxLen - 1;
  const perBatch = Math.max(1, Math.floor(engine.maxLogitsFloats / (S * V)));
  const pad = engine.config.eosTokenId ?? engine.bosId;
  const P = prefix.length;
  for (let b = 0; b < todo.length; b += perBatch) {
    const group = todo.slice(b, b + perBatch);
    const n = group.length;
    const ids = group.map(({ c }) => Array.from({ length: S }, (_, j) => (j < c.length - 1 ? c[j] : pad)));
    const attentionMask = group.map(({ c }) => [...new Array<number>(P).fill(1), ...Array.from({ length: S }, (_, j) => (j < c.length - 1 ? 1 : 0))]);
    const positionIds = group.map(() => Array.from({ length: S }, (_, j) => P + j));
    const res = await engine.forward(ids, { past: tileCache(primed.presents!, n), attentionMask, positionIds });
    const logits = res.logits!;
    group.forEach(({ c, i }, r) => {
      for (let j = 1; j < c.length; j++) {
        const row = logSoftmax(logits, (r * S + (j - 1)) * V, V);
        out[i].logprobs.push(row[c[j]]);
      }
    });
  }
  for (const o of out) o.nll = -o.logprobs.reduce((a, b) => a + b, 0);
  return out;
}

/** Options of {@link rewriteSpan}. */
export interface RewriteOptions {
  /** Candidates returned (default 3). */
  count?: number;
  /** Samples drawn (default 8). */
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
  signal?: AbortSignal;
}

export interface RewriteCandidate {
  /** The replacement for [start, end). */
  text: string;
  /** NLL (nats) of the whole sentence holding the span, with this replacement, given the text before it. */
  nll: number;
  /** original NLL − this NLL (> 0: better). */
  gain: number;
  /** The rewritten sentence. */
  sentence: string;
}

export interface RewriteResult {
  start: number;
  end: number;
  original: string;
  sentence: { start: number; end: number; text: string };
  /** NLL of the sentence as written. */
  originalNll: number;
  /** Best first; every one has a lower sentence NLL than the original (may be empty). */
  candidates: RewriteCandidate[];
  /** Distinct candidates scored. */
  considered: number;
  ms: number;
}

function words(s: string): string[] {
  return s.match(/\S+/g) ?? [];
}

/** The first n whitespace-separated words of s, with the spacing between them kept. */
function firstWords(s: string, n: number): string {
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  let end = 0;
  let k = 0;
  while (k < n && (m = re.exec(s))) {
    end = m.index + m[0].length;
    k++;
  }
  return s.slice(0, end);
}

/** Checks a span and explains what is wrong with it. */
export function checkSpan(text: string, start: number, end: number, markdown = true): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end)
    throw new InputError(`the span [${start}, ${end}) is outside the document (length ${text.length})`, 'BAD_SPAN');
  if (start === end || text.slice(start, end).trim() === '')
    throw new InputError('the span is empty: select the words to rewrite', 'EMPTY_SPAN');
  if (text.slice(0, start).trim() === '')
    throw new InputError(
      'the span is at the very start of the document: there is no left context for the model to rewrite from',
      'NO_CONTEXT',
    );
  if (markdown) {
    const bad = skipRegions(text).find((r) => r.start < end && r.end > start && r.kind !== 'directive');
    if (bad)
      throw new InputError(
        `the span overlaps ${bad.kind === 'code-block' ? 'a code block' : bad.kind.replace('-', ' ')}; only prose can be rewritten`,
        'SPAN_IN_CODE',
      );
  }
}

/** The sentence (or sentences) holding [start, end). */
function sentenceAround(text: string, start: number, end: number): { start: number; end: number } {
  // Sentences within the paragraph only.
  const paraStart = Math.max(0, text.lastIndexOf('\n\n', start - 1) + 1);
  let paraEnd = text.indexOf('\n\n', end);
  if (paraEnd < 0) paraEnd = text.length;
  const para = text.slice(paraStart, paraEnd);
  let s = start;
  let e = end;
  for (const r of sentenceRanges(para)) {
    const rs = r.start + paraStart;
    const re = r.end + paraStart;
    if (re > start && rs < end) {
      s = Math.min(s, rs);
      e = Math.max(e, re);
    } else if (rs <= start && re >= end) {
      s = rs;
      e = re;
    }
  }
  return { start: Math.min(s, start), end: Math.max(e, end) };
}

/**
 * Candidate replacements for text[start, end), best first, each with a lower sentence NLL than the original.
 * Throws InputError with a clear message for an empty span, a span at the start of the document, or one that
 * touches code.
 */
export async function rewriteSpan(engine: Engine, text: string, start: number, end: number, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const t0 = Date.now();
  checkSpan(text, start, end, opts.markdown !== false);
  const original = text.slice(start, end);
  const sent = sentenceAround(text, start, end);
  const W = engine.config.maxPositions;
  // Left context: the text before the span without its trailing whitespace (the whitespace goes with the
  // candidate, so " word" tokenises as in running text).
  const before = text.slice(0, start);
  const leftCore = before.replace(/\s+$/u, '');
  const ws = before.slice(leftCore.length);
  const right = text.slice(end, sent.end);
  const origIds = engine.encode(ws + original);
  const nWords = words(original).length;
  const maxTokens = Math.min(Math.max(4, Math.ceil(origIds.length * 1.6) + 3), Math.floor(W / 4));
  // Keep about the last W/2 tokens of left context for generation (plenty for a small model; faster).
  const leftTok = engine.tokenize(leftCore);
  const leftKeep = Math.min(leftTok.ids.length, Math.floor(W / 2));
  const leftIds = leftTok.ids.slice(leftTok.ids.length - leftKeep);
  const leftFrom = leftKeep > 0 ? leftTok.starts[leftTok.ids.length - leftKeep] : leftCore.length;
  const experts: Expert[] = [{ context: leftCore.slice(leftFrom), weight: 1, ids: leftIds }];
  const gamma = opts.cfgWeight ?? 1.5;
  if (opts.condition && opts.conditioning && gamma !== 0 && opts.condition.tags.length > 0) {
    const header = formatHeader(opts.conditioning, opts.condition);
    const lead = leftCore.slice(leftFrom).trimStart();
    const hIds = headerIds(engine, header);
    const tagIds = [...hIds, ...engine.encode(lead)];
    experts[0].weight = 1 - gamma;
    experts.push({ context: header + lead, weight: gamma, ids: tagIds.slice(Math.max(0, tagIds.length - (W - 2 - maxTokens))) });
  }
  if (experts[0].weight === 0) experts.shift();
  const gen = await generatePoe(engine, experts, {
    samples: opts.samples ?? 8,
    temperature: opts.temperature ?? 0.9,
    topK: opts.topK ?? 40,
    topP: opts.topP ?? 0.95,
    seed: opts.seed ?? 0,
    maxTokens,
    stop: { newline: true },
    signal: opts.signal,
  });
  // Cut every sample to the original's word count (and one word fewer or more).
  const cands = new Set<string>();
  for (const s of gen.samples) {
    let g = s.generated;
    if (ws && !/^\s/u.test(g)) continue;
    g = g.replace(/^\s+/u, '');
    for (const n of [nWords, nWords - 1, nWords + 1]) {
      if (n < 1) continue;
      const c = firstWords(g, n).trim();
      if (c && words(c).length === n && c !== original && !c.includes('\uFFFD')) cands.add(c);
    }
  }
  if (opts.signal?.aborted) throw Object.assign(new Error('rewrite cancelled'), { name: 'AbortError' });
  const list = [...cands];
  // Score the sentence: its part before the span comes from the left context, the rest from the continuation.
  const sentLeft = text.slice(sent.start, start).replace(/\s+$/u, '');
  const sentLeftNll = sentLeft ? await partNll(engine, leftCore, leftCore.length - sentLeft.length) : 0;
  const conts = [original, ...list].map((c) => engine.encode(ws + c + right));
  const scored = await scoreContinuations(engine, leftIds, conts);
  const originalNll = sentLeftNll + scored[0].nll;
  const sentText = (c: string) => text.slice(sent.start, start) + c + right;
  const candidates = list
    .map((c, i) => ({ text: c, nll: sentLeftNll + scored[i + 1].nll, gain: 0, sentence: sentText(c) }))
    .map((c) => ({ ...c, gain: originalNll - c.nll }))
    .filter((c) => c.gain > 1e-6)
    .sort((a, b) => a.nll - b.nll)
    .slice(0, opts.count ?? 3);
  return {
    start,
    end,
    original,
    sentence: { start: sent.start, end: sent.end, text: text.slice(sent.start, sent.end) },
    originalNll,
    candidates,
    considered: list.length,
    ms: Date.now() - t0,
  };
}

/** NLL of text[from..] given text[..from] (tokenised as one string; the tokens starting at or after `from`). */
async function partNll(engine: Engine, text: string, from: number): Promise<number> {
  const tok = engine.tokenize(text);
  const W = engine.config.maxPositions;
  let first = 0;
  while (first < tok.ids.length && tok.ends[first] <= from) first++;
  const n = tok.ids.length - first;
  if (n <= 0) return 0;
  const keep = Math.min(tok.ids.length, W - 1);
  const ids = tok.ids.slice(tok.ids.length - keep);
  const lps = await engine.logprobs([[engine.bosId, ...ids]]);
  const lp = lps[0];
  let s = 0;
  for (let i = Math.max(0, lp.length - n); i < lp.length; i++) s += lp[i];
  return -s;
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
