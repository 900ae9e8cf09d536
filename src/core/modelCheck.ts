/**
 * Validating a model folder before it becomes the active model (Select Model, downloads).
 *
 * Two levels, both built on the checks the engine already makes (no second copy of the rules):
 * - {@link preflightModelDir}: cheap and synchronous. The folder exists, config.json and tokenizer.json parse and
 *   say what the engine needs, the ONNX file is there and not empty. Safe on the extension host's thread.
 * - {@link validateModelDir}: loads the model with {@link Engine.load} (which checks the graph's inputs and outputs,
 *   the KV layout against config.json, and the tokenizer) and scores a short sentence, checking that the scores are
 *   finite and the token offsets tile the text. It runs inference, so the extension runs it in a worker.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkModelDir, onnxPath, parseModelConfig, readJsonFile } from './config';
import { Engine, EngineOptions } from './engine';
import { ModelLoadError } from './errors';

/** The sentence a candidate model must score. */
export const PROBE_TEXT = 'The cat sat on the mat, and the dog slept by the door.';

export interface ModelSummary {
  dir: string;
  modelType: string;
  layers: number;
  vocabSize: number;
  contextLength: number;
  onnxFile: string;
  onnxBytes: number;
}

/** Cheap file-level checks; throws {@link ModelLoadError} with a clear message. */
export function preflightModelDir(dir: string, variant = 'fp32'): ModelSummary {
  const abs = checkModelDir(dir);
  const raw = readJsonFile(join(abs, 'config.json'), 'config.json');
  const tok = readJsonFile<{ model?: { vocab?: unknown } }>(join(abs, 'tokenizer.json'), 'tokenizer.json');
  if (!tok || typeof tok !== 'object' || !tok.model || typeof tok.model !== 'object')
    throw new ModelLoadError(`tokenizer.json has no "model" section (not a Hugging Face tokenizer?): ${abs}`, 'MODEL_CORRUPT_FILE');
  const cfg = parseModelConfig(raw);
  let file = onnxPath(abs, variant);
  const merged = join(abs, 'onnx', 'decoder_model_merged.onnx');
  if (!existsSync(file) && variant === 'fp32' && existsSync(merged)) file = merged;
  if (!existsSync(file)) throw new ModelLoadError(`ONNX model not found: ${file}`, 'MODEL_MISSING_FILE');
  const bytes = statSync(file).size;
  if (bytes < 64) throw new ModelLoadError(`ONNX model is empty or truncated: ${file}`, 'MODEL_CORRUPT_FILE');
  return {
    dir: abs,
    modelType: cfg.modelType,
    layers: cfg.numLayers,
    vocabSize: cfg.vocabSize,
    contextLength: cfg.maxPositions,
    onnxFile: file,
    onnxBytes: bytes,
  };
}

/** Checks that per-token scores of a probe are usable; returns a problem description or undefined. */
export function checkProbeScores(
  text: string,
  tokens: ArrayLike<number>,
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
): string | undefined {
  if (tokens.length === 0) return 'the model produced no token scores for a plain English sentence';
  for (let i = 0; i < tokens.length; i++) {
    if (!Number.isFinite(tokens[i]) || tokens[i] < 0) return `token ${i} has a surprisal of ${tokens[i]} bits`;
    if (starts[i] < 0 || ends[i] > text.length || starts[i] > ends[i]) return `token ${i} has the bad offsets [${starts[i]}, ${ends[i]})`;
  }
  if (ends[tokens.length - 1] !== text.length) return 'the token offsets do not cover the text';
  return undefined;
}

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
