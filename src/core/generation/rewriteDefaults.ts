/** Rewrite defaults shared with the editor's side, which must not load the engine to read them. */

/** Default of `plausibility.rewrite.maxNllIncrease` and the CLI's `--max-nll-increase` (nats per token). */
export const DEFAULT_MAX_NLL_INCREASE = 0.5;
