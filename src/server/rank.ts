/** Ranking candidate continuations of a context by conditional NLL: `plausibility rank` and the `plausibility.rank` command. */
import type { Engine } from '../core/engine';
import type { RankRow } from './protocol';

export interface RankOptions {
  /** Rank by NLL per token instead of total NLL. */
  perToken?: boolean;
  window?: number;
  stride?: number;
}

/** Rows best first (lowest NLL; ties keep the candidates' order). */
export async function rankContinuations(engine: Engine, context: string, candidates: string[], opts: RankOptions = {}): Promise<RankRow[]> {
  const scores = await engine.conditionalBatch(context, candidates, { window: opts.window, stride: opts.stride });
  const rows: RankRow[] = scores.map((s) => ({
    text: s.continuation,
    nll: s.nll,
    tokens: s.tokens,
    nll_per_token: s.tokens ? s.nllPerToken : null,
  }));
  const key = (r: RankRow) => (opts.perToken ? (r.nll_per_token ?? Infinity) : r.nll);
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => key(a.r) - key(b.r) || a.i - b.i)
    .map((o) => o.r);
}
