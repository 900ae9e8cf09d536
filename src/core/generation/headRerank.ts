/**
 * Discriminator-weighted reranking (the second steering way of ./steering.ts): draw unsteered samples, score each
 * with the head and the plain model, keep the best; and the detox rewrite of a span, which compares steered, reranked
 * and plain candidates.
 */
import type { Engine } from '../engine';
import { ClassifierHead } from '../heads/discriminator';
import { InputError } from '../errors';
import { ContextDistribution, Sample, sample, SamplingOptions } from './generate';
import { SteerParams } from './hiddenPerturbation';
import { generateSteered, promptPrefix } from './steering';

/** A reranked candidate. */
export interface RankedSample extends Sample {
  /** Head probability of the `toward` class for the candidate's text alone. */
  pToward: number;
  /** NLL per token under the plain model (nats). */
  nllPerToken: number;
  /** log p(toward) − fluencyWeight · nllPerToken (higher is better). */
  score: number;
}

/**
 * Discriminator-weighted reranking: scores samples with the head (on the generated text only) and sorts them by
 * log p(toward) − fluencyWeight · NLL per token, best first.
 */
export async function rerankSamples(
  engine: Engine,
  head: ClassifierHead,
  toward: string | number,
  samples: Sample[],
  opts: { fluencyWeight?: number } = {},
): Promise<RankedSample[]> {
  const t = typeof toward === 'number' ? toward : head.classIndex(toward);
  const fw = opts.fluencyWeight ?? 0.1;
  const X = await head.embed(engine, samples.map((s) => s.text));
  const ranked = samples.map((s, i) => {
    const p = head.probs(X, i * head.featureSize)[t];
    const lps = s.componentLogprobs.length ? s.componentLogprobs.map((c) => c[0]) : s.logprobs;
    const nll = lps.length ? -lps.reduce((a, b) => a + b, 0) / lps.length : 0;
    return { ...s, pToward: p, nllPerToken: nll, score: Math.log(Math.max(p, 1e-12)) - fw * nll };
  });
  return ranked.map((r, i) => ({ r, i })).sort((a, b) => b.r.score - a.r.score || a.i - b.i).map((x) => x.r);
}

/** Options of {@link generateReranked}. */
export interface RerankGenerateOptions extends SamplingOptions {
  prompt?: string;
  promptIds?: number[];
  head: ClassifierHead;
  toward: string | number;
  /** Unsteered candidates drawn per output (default 8). */
  candidates?: number;
  fluencyWeight?: number;
  /** Independent outputs, each reranked among its own `candidates`; all are drawn in one batch (default 1). */
  outputs?: number;
}

/**
 * Draws `candidates` unsteered samples per output (one batch for all outputs) and returns each output's candidates
 * reranked by the head, best first. `ranked` is the first output's ranking.
 */
export async function generateReranked(
  engine: Engine,
  opts: RerankGenerateOptions,
): Promise<{ ranked: RankedSample[]; outputs: RankedSample[][]; seed: number }> {
  const maxTokens = opts.maxTokens ?? 32;
  const ids = opts.promptIds ?? engine.encode(opts.prompt ?? '');
  const prefix = promptPrefix(engine, ids, maxTokens);
  const n = Math.max(1, Math.floor(opts.candidates ?? 8));
  const groups = Math.max(1, Math.floor(opts.outputs ?? 1));
  const res = await sample(engine, new ContextDistribution(engine, prefix, opts.useCache), { ...opts, samples: n * groups, maxTokens });
  const outputs: RankedSample[][] = [];
  for (let g = 0; g < groups; g++)
    outputs.push(await rerankSamples(engine, opts.head, opts.toward, res.samples.slice(g * n, (g + 1) * n), { fluencyWeight: opts.fluencyWeight }));
  return { ranked: outputs[0], outputs, seed: res.seed };
}

/** A rewrite of a sentence away from an unwanted class. */
export interface DetoxCandidate {
  /** The whole replacement sentence. */
  text: string;
  /** Head probability of the `toward` class for the sentence alone. */
  pToward: number;
  /** NLL of the sentence given the kept left context (nats), and per token. */
  nll: number;
  nllPerToken: number;
  method: 'pplm' | 'rerank';
}

export interface DetoxResult {
  original: string;
  originalPToward: number;
  originalNll: number;
  /** The kept beginning of the sentence (up to the word the head blames most). */
  keptPrefix: string;
  candidates: DetoxCandidate[];
  ms: number;
}

export interface DetoxOptions extends SteerParams {
  head: ClassifierHead;
  toward: string | number;
  /** Rewrites returned (default 5). */
  count?: number;
  /** Samples per method (default 8). */
  samples?: number;
  seed?: number;
  /** Characters of left context kept (default 1000). */
  contextChars?: number;
  signal?: AbortSignal;
}

/**
 * Rewrites sentence [start, end) of `text` away from the unwanted class: the sentence is kept up to the word whose
 * removal lowers the unwanted class most (leave-one-out over words), and continued after the left context by
 * hidden-state steering (heads over mean last-layer states only) and by reranked unsteered samples, stopping at the
 * end of a sentence. Candidates the head
 * scores as `toward` (p >= 0.5) are returned ranked by fluency (NLL per token given the left context), best first.
 */
export async function rewriteAway(engine: Engine, text: string, start: number, end: number, opts: DetoxOptions): Promise<DetoxResult> {
  const t0 = Date.now();
  if (!(start >= 0 && end > start && end <= text.length)) throw new InputError('rewrite: empty or invalid range', 'USAGE');
  const head = opts.head;
  const t = typeof opts.toward === 'number' ? opts.toward : head.classIndex(opts.toward);
  const sentence = text.slice(start, end);
  const left = text.slice(Math.max(0, start - (opts.contextChars ?? 1000)), start);
  const words = [...sentence.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
  // Leave-one-out blame: which word's removal raises p(toward) most.
  const variants = [sentence, ...words.map((w) => (sentence.slice(0, w.start) + sentence.slice(w.end)).replace(/\s+/g, ' ').trim())];
  const X = await head.embed(engine, variants, { maxTokens: head.meta.maxTokens * 2 });
  const pFull = head.probs(X, 0)[t];
  let blame = 0;
  let best = -Infinity;
  words.forEach((_, i) => {
    const gain = head.probs(X, (i + 1) * head.featureSize)[t] - pFull;
    if (gain > best) {
      best = gain;
      blame = i;
    }
  });
  const keptPrefix = words.length ? sentence.slice(0, words[blame].start) : '';
  const sentTokens = engine.encode(sentence).length;
  const maxTokens = Math.min(Math.max(8, Math.ceil(sentTokens * 1.5) + 4), 64);
  // No trailing space in the prompt: byte-level BPE attaches the space to the next word's token.
  const promptIds = engine.encode((left + keptPrefix).replace(/\s+$/, ''));
  const common = {
    promptIds,
    seed: opts.seed ?? 1,
    topK: 20,
    maxTokens,
    samples: opts.samples ?? 8,
    stop: { sentence: true, newline: true },
    signal: opts.signal,
  };
  const { stepsize, iterations, klScale, gmScale } = opts;
  // Hidden-state steering needs a head over mean last-layer states (see HiddenSteerer); for other heads, reranked samples only (twice as many).
  const steered = head.steerable
    ? await generateSteered(engine, { ...common, head, toward: t, stepsize, iterations, klScale, gmScale })
    : { samples: [] as Sample[] };
  const plainCount = head.steerable ? common.samples : 2 * common.samples;
  const plain = await sample(engine, new ContextDistribution(engine, promptPrefix(engine, promptIds, maxTokens)), { ...common, samples: plainCount });
  const seen = new Set<string>([sentence.trim()]);
  const cands: { text: string; method: 'pplm' | 'rerank' }[] = [];
  const add = (s: Sample, method: 'pplm' | 'rerank') => {
    // The sentence range starts at a non-space: a continuation of an empty kept prefix loses its leading space.
    const full = (keptPrefix.replace(/\s+$/, '') + s.text).replace(/\s+$/, '').replace(/^\s+/, '');
    if (!full || seen.has(full)) return;
    // Fragments (a newline or EOS right away) are not rewrites.
    if ((full.match(/\S+/g) ?? []).length < Math.min(4, words.length)) return;
    seen.add(full.trim());
    cands.push({ text: full, method });
  };
  steered.samples.forEach((s) => add(s, 'pplm'));
  plain.samples.forEach((s) => add(s, 'rerank'));
  const all = [sentence, ...cands.map((c) => c.text)];
  const Xc = await head.embed(engine, all, { maxTokens: head.meta.maxTokens * 2 });
  const nlls = await engine.conditionalBatch(left, all);
  const scored: DetoxCandidate[] = cands.map((c, i) => ({
    text: c.text,
    method: c.method,
    pToward: head.probs(Xc, (i + 1) * head.featureSize)[t],
    nll: nlls[i + 1].nll,
    nllPerToken: nlls[i + 1].nllPerToken,
  }));
  const good = scored.filter((c) => c.pToward >= 0.5).sort((a, b) => a.nllPerToken - b.nllPerToken);
  return {
    original: sentence,
    originalPToward: head.probs(Xc, 0)[t],
    originalNll: nlls[0].nll,
    keptPrefix,
    candidates: good.slice(0, opts.count ?? 5),
    ms: Date.now() - t0,
  };
}
