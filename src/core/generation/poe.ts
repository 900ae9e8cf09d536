/**
 * Product of experts: several experts, each the same model conditioned on its own context, vote on the next token.
 *
 *   log p(x) = Σ_i w_i · log p_i(x | context_i, continuation) − log Z
 *
 * Each expert's log-softmax is weighted and summed, and the sum is renormalised (log Z). A negative weight makes an
 * anti-expert (DExperts: z = z_base + α (z_expert − z_anti) is the weights 1, α, −α). Every expert keeps its own
 * KV cache; the continuation is shared: each generated token is appended after every expert's context.
 */
import type { Engine } from '../engine';
import { InputError } from '../errors';
import { ContextStream, GenerationResult, logSoftmax, sample, SamplingOptions, Step, TokenDistribution } from './generate';

/** One expert: a context (tokenised after BOS) or explicit prefix ids, and a weight. */
export interface Expert {
  /** Text the expert is conditioned on (may be empty: the model right after BOS). */
  context: string;
  /** Weight in the product; negative for an anti-expert. Default 1. */
  weight?: number;
  /** Prefix token ids without BOS, used instead of tokenising `context` (e.g. a tag header tokenised with it). */
  ids?: number[];
}

/**
 * Combines log-probability rows: normalise(Σ w_i · rows[i]). Entries that are -Infinity in an expert with positive
 * weight stay impossible; weight-0 experts are ignored.
 */
export function combineLogprobs(rows: Float64Array[], weights: number[]): Float64Array {
  const V = rows[0].length;
  const sum = new Float64Array(V);
  rows.forEach((row, i) => {
    const w = weights[i];
    if (w === 0) return;
    for (let j = 0; j < V; j++) sum[j] += w * row[j];
  });
  return logSoftmax(sum, 0, V);
}

/** A product of experts as a {@link TokenDistribution}. */
export class ProductOfExperts implements TokenDistribution {
  readonly streams: ContextStream[];
  readonly weights: number[];

  /**
   * @param prefixes each expert's BOS-first prefix (context + the shared prompt)
   * @param weights one weight per expert
   */
  constructor(
    readonly engine: Engine,
    prefixes: number[][],
    weights: number[],
    useCache = true,
  ) {
    if (prefixes.length === 0) throw new InputError('a product of experts needs at least one expert', 'USAGE');
    if (weights.length !== prefixes.length) throw new InputError('one weight per expert', 'USAGE');
    for (const w of weights) if (!Number.isFinite(w)) throw new InputError(`expert weight must be a finite number (got ${w})`, 'USAGE');
    if (!weights.some((w) => w > 0)) throw new InputError('at least one expert needs a positive weight', 'USAGE');
    this.streams = prefixes.map((p) => new ContextStream(engine, p, useCache));
    this.weights = weights;
  }

  private combine(per: Float64Array[][]): Step {
    // per[expert][row] -> rows
    const rows = per[0].length;
    const logp: Float64Array[] = [];
    const components: Float64Array[][] = [];
    for (let r = 0; r < rows; r++) {
      const comps = per.map((e) => e[r]);
      components.push(comps);
      logp.push(combineLogprobs(comps, this.weights));
    }
    return { logp, components };
  }

  async start(rows: number): Promise<Step> {
    const per: Float64Array[][] = [];
    for (const s of this.streams) {
      const lp = await s.start(rows);
      per.push(Array.from({ length: rows }, () => lp));
    }
    return this.combine(per);
  }

  async advance(tokens: number[]): Promise<Step> {
    const per: Float64Array[][] = [];
    for (const s of this.streams) per.push(await s.advance(tokens));
    return this.combine(per);
  }

  remaining(): number {
    return Math.min(...this.streams.map((s) => s.remaining()));
  }
}

/** Options of {@link generatePoe}. */
export interface PoeOptions extends SamplingOptions {
  /** Start of the shared continuation (may be empty). */
  prompt?: string;
}

/** Per-expert report: its conditional NLL of the whole continuation (prompt + generated) given its context. */
export interface ExpertReport {
  context: string;
  weight: number;
  /** −log P(continuation | context) under this expert alone, in nats. */
  condNll: number;
  /** Context tokens kept (a context too long for the window keeps its last tokens). */
  contextTokens: number;
}

export interface PoeSample {
  /** prompt + generated text. */
  text: string;
  /** The generated part only. */
  generated: string;
  ids: number[];
  logprobs: number[];
  stopReason: string;
  experts: ExpertReport[];
}

/** Builds each expert's BOS-first prefix: context (left-truncated to fit) + prompt. */
export function expertPrefixes(engine: Engine, experts: Expert[], prompt: string, maxTokens: number): { prefixes: number[][]; promptIds: number[]; contextTokens: number[] } {
  const promptIds = engine.encode(prompt);
  const W = engine.config.maxPositions;
  const room = W - 1 - promptIds.length - Math.max(1, maxTokens);
  if (room < 0)
    throw new InputError(
      `the prompt (${promptIds.length} tokens) and --max-tokens ${maxTokens} do not fit the model's window of ${W} tokens`,
      'TOO_LONG',
    );
  const contextTokens: number[] = [];
  const prefixes = experts.map((x) => {
    const ctx = x.ids ?? engine.encode(x.context);
    const kept = ctx.slice(Math.max(0, ctx.length - room));
    contextTokens.push(kept.length);
    return [engine.bosId, ...kept, ...promptIds];
  });
  return { prefixes, promptIds, contextTokens };
}

/**
 * Generates continuations from a product of experts. Every expert sees its own context followed by the shared
 * continuation `prompt + generated`. With one expert of weight 1 this is plain sampling from that context.
 */
export async function generatePoe(
  engine: Engine,
  experts: Expert[],
  opts: PoeOptions = {},
): Promise<{ samples: PoeSample[]; seed: number }> {
  const list = experts.length > 0 ? experts : [{ context: '', weight: 1 }];
  const prompt = opts.prompt ?? '';
  const { prefixes, promptIds, contextTokens } = expertPrefixes(engine, list, prompt, opts.maxTokens ?? 32);
  const weights = list.map((x) => x.weight ?? 1);
  const dist = new ProductOfExperts(engine, prefixes, weights, opts.useCache);
  const res: GenerationResult = await sample(engine, dist, opts);
  // Each expert's log-probability of the prompt tokens, from its priming pass.
  const promptLp = dist.streams.map((s) => s.prefixLogprobs.slice(s.prefixLogprobs.length - promptIds.length));
  const samples = res.samples.map((s) => ({
    text: prompt + s.text,
    generated: s.text,
    ids: s.ids,
    logprobs: s.logprobs,
    stopReason: s.stopReason,
    experts: list.map((x, i) => {
      const lp = promptIds.length ? promptLp[i].reduce((a, b) => a + b, 0) : 0;
      const gen = s.componentLogprobs.reduce((a, c) => a + c[i], 0);
      return { context: x.context, weight: weights[i], condNll: -(lp + gen), contextTokens: contextTokens[i] };
    }),
  }));
  return { samples, seed: res.seed };
}
