/**
 * Worker method `offerRewrites`: the rewrites the editor offers (model, tag-guided, toxicity), computed by the same
 * core function as the CLI and bench:rewrites (offerForRequest). Types and handler in one file; worker.ts routes
 * requests here with `isRewriteMethod`/`handleRewrite`, and protocol.ts merges `RewriteMethods` into its Methods.
 */
import type { Engine } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { offerForRequest, type RewriteRequest, type RewriteResult } from '../core/generation/rewrite';

export interface RewriteMethods {
  offerRewrites: { params: RewriteRequest; result: RewriteResult };
}

export const REWRITE_METHODS: readonly (keyof RewriteMethods)[] = ['offerRewrites'];

export function isRewriteMethod(m: string): m is keyof RewriteMethods {
  return (REWRITE_METHODS as readonly string[]).includes(m);
}

export async function handleRewrite(engine: Engine | undefined, method: keyof RewriteMethods, params: unknown, isCancelled: () => boolean): Promise<unknown> {
  if (!engine) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
  const signal = { get aborted() { return isCancelled(); } } as AbortSignal;
  switch (method) {
    case 'offerRewrites':
      return offerForRequest(engine, params as RewriteRequest, signal);
  }
}
