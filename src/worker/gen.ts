/**
 * Worker side of the generation methods (see genProtocol.ts): rewrites, ranked alternatives, inline completions,
 * tag-conditioned scoring and tag inference. A request is cancelled between model steps.
 */
import { conditionalScore, inferTags, loadConditioning, offTagSentences, unknownTags } from '../core/scoring/conditional';
import type { Engine } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { rankedCompletions, rankOptions, rewriteSpan } from '../core/generation/rewrite';
import { GEN_METHODS, GenMethods } from './genProtocol';

export function isGenMethod(m: string): m is keyof GenMethods {
  return (GEN_METHODS as readonly string[]).includes(m);
}

/** A signal whose `aborted` follows the worker's cancel flag for the request. */
function signalOf(isCancelled: () => boolean): AbortSignal {
  return { get aborted() { return isCancelled(); } } as AbortSignal;
}

export async function handleGen(
  engine: Engine | undefined,
  method: keyof GenMethods,
  params: unknown,
  isCancelled: () => boolean,
): Promise<unknown> {
  const e = engine;
  if (!e) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
  const signal = signalOf(isCancelled);
  switch (method) {
    case 'rewrite': {
      const p = params as GenMethods['rewrite']['params'];
      let conditioning;
      if (p.tags && p.tags.length > 0) {
        try {
          conditioning = loadConditioning(e.info.modelDir);
        } catch {
          conditioning = undefined;
        }
      }
      const r = await rewriteSpan(e, p.text, p.start, p.end, {
        count: p.count,
        samples: p.samples,
        seed: p.seed,
        condition: conditioning && p.tags ? { tags: p.tags, synopsis: p.synopsis } : undefined,
        conditioning,
        cfgWeight: p.cfgWeight,
        markdown: p.markdown,
        signal,
      });
      return {
        original: r.original,
        originalNll: r.originalNll,
        sentence: r.sentence,
        candidates: r.candidates,
        considered: r.considered,
        ms: r.ms,
      } satisfies GenMethods['rewrite']['result'];
    }
    case 'rankOptions': {
      const p = params as GenMethods['rankOptions']['params'];
      return rankOptions(e, p.left, p.right, p.options);
    }
    case 'complete': {
      const p = params as GenMethods['complete']['params'];
      return rankedCompletions(e, p.prefix, { count: p.count, maxTokens: p.maxTokens, seed: p.seed, signal });
    }
    case 'tagScore': {
      const p = params as GenMethods['tagScore']['params'];
      const c = loadConditioning(e.info.modelDir);
      const s = await conditionalScore(e, c, p.text, { tags: p.tags, synopsis: p.synopsis });
      const off = new Set(offTagSentences(s, { fraction: p.fraction, maxPmiPerToken: p.maxPmiPerToken }));
      return {
        header: s.header,
        pmi: s.pmi,
        condNll: s.condNll,
        nll: s.nll,
        sentences: s.sentences.map((x) => ({
          start: x.start,
          end: x.end,
          tokens: x.tokens,
          pmi: x.pmi,
          pmiPerToken: x.pmiPerToken,
          offTag: off.has(x),
        })),
        unknownTags: unknownTags(c, p.tags),
      } satisfies GenMethods['tagScore']['result'];
    }
    case 'inferTags': {
      const p = params as GenMethods['inferTags']['params'];
      const c = loadConditioning(e.info.modelDir);
      const r = await inferTags(e, c, p.text, { candidates: p.candidates, maxTokens: p.maxTokens });
      return { ranking: r.ranking, tokens: r.tokens };
    }
  }
}
