/**
 * Scoring a place in a document: NLL of continuations after a shared left context (one KV-cached pass for the
 * context, one padded batch for the continuations), the NLL of the part of a sentence before a span, the sentence
 * that holds a span, and the checks a span must pass before it is rewritten.
 */
import type { Engine } from '../engine';
import { InputError } from '../errors';
import { logSoftmax, tileCache } from './generate';
import { skipRegions } from '../text/markdown';
import { sentenceRanges } from '../scoring/conditional';

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

/** Checks a span and explains what is wrong with it. */
export function checkSpan(text: string, start: number, end: number, markdown = true, needsLeftContext = true): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start > end)
    throw new InputError(`the span [${start}, ${end}) is outside the document (length ${text.length})`, 'BAD_SPAN');
  if (start === end || text.slice(start, end).trim() === '')
    throw new InputError('the span is empty: select the words to rewrite', 'EMPTY_SPAN');
  if (needsLeftContext && text.slice(0, start).trim() === '')
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
export function sentenceAround(text: string, start: number, end: number): { start: number; end: number } {
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

/** NLL of text[from..] given text[..from] (tokenised as one string; the tokens ending after `from`), and their count. */
export async function partNll(engine: Engine, text: string, from: number): Promise<{ nll: number; tokens: number }> {
  const tok = engine.tokenize(text);
  const W = engine.config.maxPositions;
  let first = 0;
  while (first < tok.ids.length && tok.ends[first] <= from) first++;
  const n = tok.ids.length - first;
  if (n <= 0) return { nll: 0, tokens: 0 };
  const keep = Math.min(tok.ids.length, W - 1);
  const ids = tok.ids.slice(tok.ids.length - keep);
  const lps = await engine.logprobs([[engine.bosId, ...ids]]);
  const lp = lps[0];
  let s = 0;
  for (let i = Math.max(0, lp.length - n); i < lp.length; i++) s += lp[i];
  return { nll: -s, tokens: n };
}

