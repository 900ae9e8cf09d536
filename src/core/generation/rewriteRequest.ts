/**
 * A rewrite request as the editor sends it (through the language server), the CLI builds it and the benchmark replays it, and
 * the one function that turns it into {@link offerRewrites} options: so all three offer exactly the same rewrites.
 */
import type { Engine } from '../engine';
import { FeatureUnavailableError } from '../errors';
import { ClassifierHead } from '../heads/discriminator';
import { loadConditioning } from '../scoring/conditional';
import { offerRewrites, RewriteKind, RewriteResult, shippedToxicityHead } from './rewriteOffer';

/** Candidates the editor shows (the picker, then the same ones as quick fixes). */
export const OFFERED_REWRITES = 3;

export interface RewriteRequest {
  kind: RewriteKind;
  /** The whole document; [start, end) is the span (for `toxicity`, the flagged sentence). */
  text: string;
  start: number;
  end: number;
  /** Declared tags and synopsis (`tags` rewrites; ignored by the others). */
  tags?: string[];
  synopsis?: string;
  /** Classifier-free-guidance weight of the tag expert. */
  cfgWeight?: number;
  /** `plausibility.rewrite.maxNllIncrease` (nats per token). */
  maxNllIncrease?: number;
  markdown?: boolean;
  /** Toxicity head: a name shipped with the model (`toxicity`) or a path; default the shipped one. */
  head?: string;
  count?: number;
  seed?: number;
}

/** Offers the rewrites of a request, as the editor shows them. */
export async function offerForRequest(engine: Engine, req: RewriteRequest, signal?: AbortSignal): Promise<RewriteResult> {
  let conditioning;
  if (req.kind === 'tags' && req.tags && req.tags.length > 0) {
    try {
      conditioning = loadConditioning(engine.info.modelDir);
    } catch (e) {
      // A model trained without tags still rewrites, unguided.
      if (!(e instanceof FeatureUnavailableError)) throw e;
    }
  }
  const head = req.head && req.head !== 'toxicity' ? ClassifierHead.forEngine(engine, req.head) : shippedToxicityHead(engine);
  return offerRewrites(engine, req.text, req.start, req.end, {
    kind: req.kind === 'tags' && !conditioning ? 'model' : req.kind,
    condition: conditioning ? { tags: req.tags!, synopsis: req.synopsis } : undefined,
    conditioning,
    cfgWeight: req.cfgWeight,
    maxNllIncrease: req.maxNllIncrease,
    markdown: req.markdown,
    head,
    count: req.count ?? OFFERED_REWRITES,
    seed: req.seed,
    signal,
  });
}
