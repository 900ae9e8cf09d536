/**
 * Loading a model folder (see MODEL_LAYOUT.md): config.json, the tokenizer, the ONNX file of the wanted precision
 * variant, a session on the best execution provider, the graph's inputs and outputs checked, and the optional
 * surprisal statistics.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ortRuntime } from './ort';
import {
  checkModelDir,
  ModelConfig,
  onnxPath,
  parseModelConfig,
  readJsonFile,
  readSurprisalStats,
  SurprisalStats,
} from './config';
import { ModelLoadError } from '../errors';
import { TextTokenizer } from './tokenizer';
import { KvLayout, readKvLayout } from './kvCache';
import { HEAD_INPUTS } from './scoringHead';
import { ModelSession, openSession } from './session';
import type { EngineInfo, EngineOptions } from './types';

/** Everything {@link loadModel} read and created. */
export interface LoadedModel {
  runtime: ModelSession;
  config: ModelConfig;
  tokenizer: TextTokenizer;
  info: EngineInfo;
  stats: SurprisalStats | undefined;
  kv: KvLayout;
}

/**
 * Loads a model folder. Throws {@link ModelLoadError} with a clear message if a file is missing or corrupt, or the
 * ONNX graph lacks required inputs/outputs.
 */
export async function loadModel(dir: string, opts: EngineOptions, log: (message: string) => void): Promise<LoadedModel> {
  const modelDir = checkModelDir(dir);
  const rawConfig = readJsonFile(join(modelDir, 'config.json'), 'config.json');
  const tokJson = readJsonFile(join(modelDir, 'tokenizer.json'), 'tokenizer.json');
  const tokCfgPath = join(modelDir, 'tokenizer_config.json');
  const tokCfg = existsSync(tokCfgPath) ? readJsonFile(tokCfgPath, 'tokenizer_config.json') : {};
  let tokenizer: TextTokenizer;
  try {
    tokenizer = new TextTokenizer(tokJson, tokCfg);
  } catch (e) {
    throw new ModelLoadError(`tokenizer.json could not be loaded: ${(e as Error).message}`, 'MODEL_CORRUPT_FILE');
  }
  const config = parseModelConfig(rawConfig, tokCfg, (t) => tokenizer.tokenToId(t));

  let file = onnxPath(modelDir, opts.variant ?? 'fp32');
  // Older transformers.js exports name the decoder-with-past decoder_model_merged.onnx.
  const merged = join(modelDir, 'onnx', 'decoder_model_merged.onnx');
  if (!existsSync(file) && (opts.variant ?? 'fp32') === 'fp32' && existsSync(merged)) file = merged;
  if (!existsSync(file)) throw new ModelLoadError(`ONNX model not found: ${file}`, 'MODEL_MISSING_FILE');
  if (statSync(file).size < 64)
    throw new ModelLoadError(`ONNX model is empty or truncated: ${file}`, 'MODEL_CORRUPT_FILE');

  const { session, options, provider, source, skipped } = await openSession(file, config, opts, log);
  const inputs = [...session.inputNames];
  const outputs = [...session.outputNames];
  checkGraph(file, inputs, outputs);

  const hasLmHead = existsSync(join(modelDir, 'lm_head.json')) && existsSync(join(modelDir, 'lm_head.bin'));
  let stats: SurprisalStats | undefined;
  try {
    stats = readSurprisalStats(modelDir);
  } catch (e) {
    log(`ignoring ${(e as Error).message}`);
  }
  const info: EngineInfo = {
    modelDir,
    onnxFile: file,
    provider,
    runtime: ortRuntime.kind,
    skippedProviders: skipped,
    inputNames: inputs,
    outputNames: outputs,
    hasKvCache: false,
    hasHiddenState: outputs.includes('last_hidden_state'),
    innerLayers: innerLayersOf(outputs),
    hasLmHead,
    byteLevelTokenizer: tokenizer.isByteLevel,
    hasScoringHead: inputs.includes(HEAD_INPUTS.targets),
  };
  // The CPU fallback recreates the session from the graph that loaded: with the head only if it is in the session.
  const runtime = new ModelSession(session, options, inputs.includes(HEAD_INPUTS.targets) ? source : file, info, log);
  const kv = readKvLayout(session, config, info, file);
  return { runtime, config, tokenizer, info, stats, kv };
}

/** Checks that the graph is a causal decoder the engine can feed: input_ids in, logits out, no unknown inputs. */
function checkGraph(file: string, inputs: string[], outputs: string[]): void {
  if (!inputs.includes('input_ids'))
    throw new ModelLoadError(`ONNX model ${file} has no input "input_ids" (inputs: ${inputs.join(', ')})`, 'MODEL_BAD_GRAPH');
  const known = (n: string) =>
    ['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', ...Object.values(HEAD_INPUTS)].includes(n) ||
    n.startsWith('past_key_values.');
  const unknown = inputs.filter((n) => !known(n));
  if (unknown.length > 0)
    throw new ModelLoadError(
      `ONNX model ${file} needs inputs the engine cannot provide: ${unknown.join(', ')} (expected a causal decoder export)`,
      'MODEL_BAD_GRAPH',
    );
  if (!outputs.includes('logits'))
    throw new ModelLoadError(`ONNX model ${file} has no output "logits" (outputs: ${outputs.join(', ')})`, 'MODEL_BAD_GRAPH');
}

/** The inner layers a model exports as `hidden_states.N` outputs, in order. */
export function innerLayersOf(outputs: string[]): number[] {
  return outputs.flatMap((n) => /^hidden_states\.([1-9]\d*)$/.exec(n)?.slice(1).map(Number) ?? []).sort((a, b) => a - b);
}
