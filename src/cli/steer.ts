/**
 * `plausibility generate ... --steer-head PATH --toward CLASS [--stepsize --iterations --kl-scale --gm-scale]`:
 * generation steered by a discriminator head (PPLM-style hidden-state perturbation), or with `--rerank N`,
 * discriminator-weighted reranking of N unsteered samples. Called by generate.ts when --steer-head is given.
 */
import { ClassifierHead } from '../core/heads/discriminator';
import { PlausibilityError } from '../core/errors';
import type { Sample, SamplingOptions } from '../core/generation/generate';
import { generateReranked } from '../core/generation/headRerank';
import { DEFAULT_STEER } from '../core/generation/hiddenPerturbation';
import { generateSteered } from '../core/generation/steering';
import type { Common } from './common';

export async function cmdGenerateSteered(c: Common, opts: SamplingOptions & { prompt: string; experts: number }): Promise<number> {
  if (opts.experts > 0) throw new PlausibilityError('--steer-head cannot be combined with --expert', 'USAGE');
  const spec = c.args.options.get('steer-head') as string;
  const engine = await c.loadEngine();
  const head = ClassifierHead.forEngine(engine, spec);
  let toward = c.args.options.get('toward');
  if (typeof toward !== 'string') {
    const u = head.unwantedIndex;
    if (u === undefined || head.classSize !== 2)
      throw new PlausibilityError(`--steer-head needs --toward CLASS (classes: ${head.classNames.join(', ')})`, 'USAGE');
    toward = head.classNames[1 - u];
  }
  const t = head.classIndex(toward);
  const rerank = c.num('rerank', 0)!;
  const params = {
    stepsize: c.num('stepsize', DEFAULT_STEER.stepsize)!,
    iterations: c.num('iterations', DEFAULT_STEER.iterations)!,
    klScale: c.num('kl-scale', DEFAULT_STEER.klScale)!,
    gmScale: c.num('gm-scale', DEFAULT_STEER.gmScale)!,
  };
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  let doc: Record<string, unknown>;
  try {
    if (rerank > 0) {
      const r = await generateReranked(engine, { ...opts, head, toward: t, candidates: rerank, signal: ac.signal });
      const best = r.ranked[0];
      doc = {
        ...sampleFields(best, r.seed),
        steer: { method: 'rerank', head: head.meta.path ?? head.meta.name, toward: head.classNames[t], candidates: rerank },
        p_toward: best.pToward,
        candidates: r.ranked.map((x) => ({ text: x.text, p_toward: x.pToward, nll_per_token: x.nllPerToken, score: x.score })),
      };
    } else {
      const r = await generateSteered(engine, { ...opts, head, toward: t, ...params, signal: ac.signal });
      const s = r.samples[0];
      const tr = r.traces[0];
      const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
      doc = {
        ...sampleFields(s, r.seed),
        nll_unsteered: -s.componentLogprobs.reduce((a, x) => a + x[0], 0),
        steer: {
          method: 'hidden',
          head: head.meta.path ?? head.meta.name,
          toward: head.classNames[t],
          stepsize: params.stepsize,
          iterations: params.iterations,
          kl_scale: params.klScale,
          gm_scale: params.gmScale,
        },
        mean_p_toward_before: mean(tr?.before ?? []),
        mean_p_toward_after: mean(tr?.after ?? []),
      };
    }
  } finally {
    process.removeListener('SIGINT', onInt);
  }
  if (c.format === 'json') c.out.json(doc);
  else {
    c.out.line(String(doc.text));
    if (c.verbose) c.out.info(`${doc.tokens} tokens, stopped at ${doc.stop_reason}, seed ${doc.seed}, steered toward ${head.classNames[t]}`);
  }
  return 0;
}

/** The fields every `generate --steer-head` JSON document starts with. */
function sampleFields(s: Sample, seed: number): Record<string, unknown> {
  return { text: s.text, tokens: s.ids.length, stop_reason: s.stopReason, seed, nll: -s.logprobs.reduce((a, b) => a + b, 0) };
}
