/**
 * Scores of texts and token sequences: per-token log-probabilities, full per-token scores with top-k alternatives,
 * and conditional NLLs of continuations. Each runs through the scoring head when the model has one, else over logits
 * in JavaScript.
 */
import type { Engine } from '../engine';
import { utf8Bytes } from '../text/bytes';
import { positionStats, targetLogprob } from './math';
import type { ConditionalScore, ScoreOptions, ScoringRow, TextScore, TokenAlternative, TokenScore } from './types';
import type { Tokenized } from '../model/tokenizer';

const LN2 = Math.LN2;

/** Counts words the way lm-evaluation-harness does (whitespace-separated, non-empty). */
export function countWords(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

/**
 * Log-probabilities (nats) of ids[1..] for each BOS-prefixed sequence: result[k][i] = log P(seq[i+1] | seq[0..i]).
 */
export async function logprobs(
  engine: Engine,
  seqs: number[][],
  opts: ScoreOptions & { batchRows?: number } = {},
): Promise<Float64Array[]> {
  const out = seqs.map((s) => new Float64Array(Math.max(0, s.length - 1)));
  const rows = engine.plan(seqs, opts);
  if (engine.info.hasScoringHead) {
    await engine.scoreRows(
      rows,
      1,
      (row, head, base) => {
        const dst = out[row.seq];
        for (let p = row.first; p < row.ids.length; p++) dst[row.seqOffset + (p - row.first) - 1] = head.logprob[base + p - 1];
      },
      { ...opts, details: false },
    );
    return out;
  }
  await engine.runRows(
    rows,
    (row, logits, base, V) => {
      const dst = out[row.seq];
      for (let p = row.first; p < row.ids.length; p++) {
        dst[row.seqOffset + (p - row.first) - 1] = targetLogprob(logits, base + (p - 1) * V, V, row.ids[p]);
      }
    },
    opts,
  );
  return out;
}

/** Scores several texts in padded batches: per-token NLL, probability, rank, entropy and top-k, plus totals. */
export async function scoreBatch(
  engine: Engine,
  texts: string[],
  opts: ScoreOptions & { batchRows?: number } = {},
): Promise<TextScore[]> {
  const toks = texts.map((t) => engine.tokenize(t));
  const seqs = toks.map((t) => [engine.bosId, ...t.ids]);
  const k = opts.topK ?? 5;
  const details = opts.details !== false;
  const { window: W } = engine.windowing(opts);
  const results: TokenScore[][] = toks.map((t) => new Array<TokenScore>(t.ids.length));
  const rows = engine.plan(seqs, opts);
  const put = (row: ScoringRow, p: number, logprob: number, rank: number, entropy: number, top: TokenAlternative[]) => {
    const tok = toks[row.seq];
    const idx = row.seqOffset + (p - row.first) - 1; // token index (no BOS)
    const start = tok.starts[idx];
    const end = tok.ends[idx];
    results[row.seq][idx] = {
      id: row.ids[p],
      text: tok.text.slice(start, end),
      start,
      end,
      logprob,
      nll: -logprob,
      bits: -logprob / LN2,
      prob: Math.exp(logprob),
      rank,
      entropy,
      top,
      position: idx + 1,
      context: Math.min(p, W),
    };
  };
  if (engine.info.hasScoringHead) {
    await engine.scoreRows(
      rows,
      Math.max(1, k),
      (row, head, base) => {
        const K = head.k;
        for (let p = row.first; p < row.ids.length; p++) {
          const at = base + p - 1;
          const top: TokenAlternative[] = [];
          for (let j = 0; j < k; j++) {
            const id = Number(head.topId[at * K + j]);
            top.push({ id, prob: Math.exp(head.topLogprob[at * K + j]), token: engine.tokenizer.tokenText(id) });
          }
          put(
            row,
            p,
            head.logprob[at],
            details ? head.greater[at] + 1 : NaN,
            details ? Math.max(0, -head.negEntropy[at]) : NaN,
            top,
          );
        }
      },
      { ...opts, details },
    );
    return toks.map((t, i) => summarize(t, results[i]));
  }
  await engine.runRows(
    rows,
    (row, logits, base, V) => {
      for (let p = row.first; p < row.ids.length; p++) {
        const off = base + (p - 1) * V;
        const id = row.ids[p];
        let logprob: number;
        let rank = NaN;
        let entropy = NaN;
        let top: TokenAlternative[] = [];
        if (details || k > 0) {
          const st = positionStats(logits, off, V, id, k);
          logprob = st.logprob;
          if (details) {
            rank = st.rank;
            entropy = st.entropy;
          }
          top = st.top.map((a) => ({ ...a, token: engine.tokenizer.tokenText(a.id) }));
        } else logprob = targetLogprob(logits, off, V, id);
        put(row, p, logprob, rank, entropy, top);
      }
    },
    opts,
  );
  return toks.map((t, i) => summarize(t, results[i]));
}

/** Conditional NLLs of several continuations of one context (tokenised separately, joined after BOS). */
export async function conditionalBatch(
  engine: Engine,
  context: string,
  continuations: string[],
  opts: ScoreOptions = {},
): Promise<ConditionalScore[]> {
  const ctx = engine.encode(context);
  const conts = continuations.map((c) => engine.encode(c));
  const seqs = conts.map((c) => [engine.bosId, ...ctx, ...c]);
  const lps = await logprobs(engine, seqs, opts);
  return conts.map((c, i) => {
    const lp = Array.from(lps[i].subarray(ctx.length));
    const nll = -lp.reduce((a, b) => a + b, 0);
    return {
      context,
      continuation: continuations[i],
      nll,
      tokens: c.length,
      nllPerToken: c.length ? nll / c.length : 0,
      contextTokens: ctx.length,
      logprobs: lp,
    };
  });
}

/** Total log-probability (nats) of each text as one sequence after BOS. */
export async function sequenceLogprobs(
  engine: Engine,
  texts: string[],
  opts: ScoreOptions & { batchRows?: number } = {},
): Promise<number[]> {
  const seqs = texts.map((t) => [engine.bosId, ...engine.encode(t)]);
  const lps = await logprobs(engine, seqs, opts);
  return lps.map((a) => a.reduce((x, y) => x + y, 0));
}

function summarize(tok: Tokenized, tokens: TokenScore[]): TextScore {
  return textScoreOf(tok.text, tokens, tok.exact);
}

/** Sequence metrics of scored tokens (lm-evaluation-harness definitions of bits per byte and word perplexity). */
export function textScoreOf(text: string, tokens: TokenScore[], exactOffsets: boolean): TextScore {
  const nll = tokens.reduce((a, t) => a + t.nll, 0);
  const bytes = utf8Bytes(text).length;
  const words = countWords(text);
  const n = tokens.length;
  return {
    text,
    tokens,
    nll,
    tokenCount: n,
    perplexity: n ? Math.exp(nll / n) : NaN,
    bytes,
    words,
    bitsPerByte: bytes ? nll / LN2 / bytes : NaN,
    wordPerplexity: words ? Math.exp(nll / words) : NaN,
    exactOffsets,
  };
}
