/**
 * The full model check: load the model and score a probe sentence. Kept apart from ./modelCheck (pure file checks) so
 * that code which only checks files, such as the editor's side, never loads onnxruntime.
 */
import { Engine, EngineOptions } from '../engine';
import { ModelLoadError } from '../errors';
import { checkProbeScores, preflightModelDir, PROBE_TEXT, type ModelSummary } from './modelCheck';

/**
 * Loads the model and scores {@link PROBE_TEXT}. Resolves with the summary, or throws {@link ModelLoadError} with the
 * engine's message. The session is released before returning.
 */
export async function validateModelDir(dir: string, opts: EngineOptions = {}): Promise<ModelSummary> {
  const summary = preflightModelDir(dir, opts.variant);
  const engine = await Engine.load(dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, ...opts });
  try {
    const s = await engine.scoreText(PROBE_TEXT, { topK: 0, details: false });
    const problem = checkProbeScores(
      PROBE_TEXT,
      s.tokens.map((t) => t.bits),
      s.tokens.map((t) => t.start),
      s.tokens.map((t) => t.end),
    );
    if (problem) throw new ModelLoadError(`the model in ${summary.dir} does not work: ${problem}`, 'MODEL_BAD_OUTPUT');
    return { ...summary, onnxFile: engine.info.onnxFile };
  } finally {
    await engine.dispose().catch(() => undefined);
  }
}

