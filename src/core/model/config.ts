/**
 * Reading a model folder (transformers.js layout, see MODEL_LAYOUT.md): config.json, tokenizer files, the ONNX file,
 * and the optional project files (surprisal_stats.json, lm_head.json/.bin, conditioning.json, parity.json).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelLoadError } from '../errors';
import { ownValue } from '../ownKey';

/** Architecture facts the engine needs, normalised from GPT-2 or Llama/Qwen style config.json keys. */
export interface ModelConfig {
  /** `model_type` from config.json (e.g. "gpt2", "llama", "qwen2"). */
  modelType: string;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (GQA); equals numHeads for GPT-2 style models. */
  numKvHeads: number;
  hiddenSize: number;
  headDim: number;
  /** Maximum sequence length (positions) the model supports. */
  maxPositions: number;
  vocabSize: number;
  /** Token that starts every scored sequence (`bos_token_id`, or `eos_token_id` for models without one). */
  bosTokenId: number;
  eosTokenId: number | undefined;
}

/** Percentiles of per-token surprisal in bits, keyed by percentile as a string ("50", "99", "99.9"). */
export type Percentiles = Record<string, number>;

/** Calibration stored with a model: surprisal_stats.json. */
export interface SurprisalStats {
  unit: 'bits';
  tokens: number;
  percentiles: Percentiles;
  mean: number;
  std: number;
  by_position?: { from: number; to: number | null; percentiles: Percentiles }[];
}

/** Reads and parses a JSON file of the model folder with a clear error message. */
export function readJsonFile<T = Record<string, unknown>>(path: string, what: string): T {
  if (!existsSync(path)) throw new ModelLoadError(`${what} not found: ${path}`, 'MODEL_MISSING_FILE');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelLoadError(`${what} could not be read: ${path}: ${(e as Error).message}`, 'MODEL_UNREADABLE');
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelLoadError(
      `${what} is not valid JSON (corrupt or truncated?): ${path}: ${(e as Error).message}`,
      'MODEL_CORRUPT_FILE',
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function num(cfg: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** The context length config.json declares (GPT-2 or Llama keys), 1024 when it declares none. */
export function contextLength(cfg: Record<string, unknown>): number {
  return num(cfg, 'n_positions', 'max_position_embeddings', 'n_ctx') ?? 1024;
}

/**
 * Normalises config.json (GPT-2 keys or Llama/Qwen keys) into a {@link ModelConfig}.
 * `tokenizerConfig` and `tokenToId` are used to find BOS/EOS when config.json lacks them.
 */
export function parseModelConfig(
  cfg: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown> = {},
  tokenToId: (t: string) => number | undefined = () => undefined,
): ModelConfig {
  if (!isPlainObject(cfg)) throw new ModelLoadError(`config.json must hold a JSON object (got ${describeJson(cfg)})`, 'MODEL_BAD_CONFIG');
  if (!isPlainObject(tokenizerConfig))
    throw new ModelLoadError(`tokenizer_config.json must hold a JSON object (got ${describeJson(tokenizerConfig)})`, 'MODEL_BAD_CONFIG');
  const need = (name: string, v: number | undefined): number => {
    if (v === undefined) throw new ModelLoadError(`config.json lacks ${name}`, 'MODEL_BAD_CONFIG');
    if (!Number.isSafeInteger(v) || v < 1) throw new ModelLoadError(`config.json: ${name} must be a positive integer (got ${v})`, 'MODEL_BAD_CONFIG');
    return v;
  };
  const numLayers = need('n_layer / num_hidden_layers', num(cfg, 'n_layer', 'num_hidden_layers', 'num_layers'));
  const numHeads = need('n_head / num_attention_heads', num(cfg, 'n_head', 'num_attention_heads'));
  const hiddenSize = need('n_embd / hidden_size', num(cfg, 'n_embd', 'hidden_size', 'd_model'));
  const numKvHeads = num(cfg, 'num_key_value_heads', 'n_kv_head') ?? numHeads;
  const headDim = num(cfg, 'head_dim') ?? Math.floor(hiddenSize / numHeads);
  const maxPositions = need('n_positions', contextLength(cfg));
  const vocabSize = need('vocab_size', num(cfg, 'vocab_size'));
  const tokId = (v: unknown): number | undefined => {
    if (typeof v === 'string') return tokenToId(v);
    if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
      return tokenToId((v as { content: string }).content);
    return undefined;
  };
  const firstNum = (v: unknown): number | undefined =>
    typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? (v[0] as number) : undefined;
  const eos = firstNum(cfg['eos_token_id']) ?? tokId(tokenizerConfig['eos_token']);
  const bos = firstNum(cfg['bos_token_id']) ?? tokId(tokenizerConfig['bos_token']) ?? eos;
  if (bos === undefined)
    throw new ModelLoadError('config.json has neither bos_token_id nor eos_token_id; cannot start a sequence', 'MODEL_BAD_CONFIG');
  return {
    modelType: typeof cfg['model_type'] === 'string' ? (cfg['model_type'] as string) : 'unknown',
    numLayers,
    numHeads,
    numKvHeads,
    hiddenSize,
    headDim,
    maxPositions,
    vocabSize,
    bosTokenId: bos,
    eosTokenId: eos,
  };
}

/** ONNX file names per precision variant (transformers.js suffix convention). */
export const ONNX_VARIANTS: Record<string, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  quantized: 'model_quantized.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  q4: 'model_q4.onnx',
};

/** Resolves the ONNX file for a variant ("fp32", "fp16", "quantized", or a file name under onnx/). */
export function onnxPath(dir: string, variant = 'fp32'): string {
  const file = ownValue(ONNX_VARIANTS, variant) ?? variant;
  return join(dir, 'onnx', file);
}

/**
 * Checks that `dir` is a model folder and returns its absolute path; throws ModelLoadError otherwise. The required
 * files must be regular files (a FIFO in their place would block the read forever), config.json must be an object,
 * and every token id in tokenizer.json must fit config.json's vocab_size (else scores index past the logits).
 */
export function checkModelDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new ModelLoadError(`model folder not found: ${abs}`, 'MODEL_MISSING_DIR');
  if (!statSync(abs).isDirectory()) throw new ModelLoadError(`model path is not a folder: ${abs}`, 'MODEL_MISSING_DIR');
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'surprisal_stats.json']) {
    const p = join(abs, f);
    if (!existsSync(p)) {
      if (f === 'config.json' || f === 'tokenizer.json')
        throw new ModelLoadError(
          `model folder ${abs} lacks ${f}; a model folder holds the files listed in MODEL_LAYOUT.md (https://github.com/plausibility/plausibility/blob/main/MODEL_LAYOUT.md)`,
          'MODEL_MISSING_FILE',
        );
      continue;
    }
    if (!statSync(p).isFile()) throw new ModelLoadError(`${f} in ${abs} is not a regular file`, 'MODEL_CORRUPT_FILE');
  }
  const cfg = readJsonFile<unknown>(join(abs, 'config.json'), 'config.json');
  if (!isPlainObject(cfg)) throw new ModelLoadError(`config.json must hold a JSON object (got ${describeJson(cfg)})`, 'MODEL_BAD_CONFIG');
  const vocabSize = num(cfg, 'vocab_size');
  const maxId = tokenizerMaxId(readJsonFile<unknown>(join(abs, 'tokenizer.json'), 'tokenizer.json'));
  if (vocabSize !== undefined && maxId !== undefined && maxId >= vocabSize)
    throw new ModelLoadError(
      `config.json says vocab_size ${vocabSize}, but tokenizer.json has token id ${maxId}: the tokenizer and the model disagree`,
      'MODEL_BAD_CONFIG',
    );
  return abs;
}

/** The largest token id in a Hugging Face tokenizer.json (BPE/WordPiece vocab object, Unigram list, added tokens). */
export function tokenizerMaxId(tok: unknown): number | undefined {
  if (!isPlainObject(tok)) throw new ModelLoadError(`tokenizer.json must hold a JSON object (got ${describeJson(tok)})`, 'MODEL_CORRUPT_FILE');
  let max: number | undefined;
  const see = (id: unknown) => {
    if (typeof id === 'number' && Number.isInteger(id) && (max === undefined || id > max)) max = id;
  };
  const model = tok['model'];
  const vocab = isPlainObject(model) ? model['vocab'] : undefined;
  if (Array.isArray(vocab)) see(vocab.length - 1);
  else if (isPlainObject(vocab)) for (const id of Object.values(vocab)) see(id);
  const added = tok['added_tokens'];
  if (Array.isArray(added)) for (const a of added) if (isPlainObject(a)) see(a['id']);
  return max;
}

/** Reads surprisal_stats.json if the model has one (project models do). Returns undefined otherwise. */
export function readSurprisalStats(dir: string): SurprisalStats | undefined {
  const p = join(dir, 'surprisal_stats.json');
  if (!existsSync(p)) return undefined;
  const s = readJsonFile<unknown>(p, 'surprisal_stats.json');
  const problem = surprisalStatsProblem(s);
  if (problem) throw new ModelLoadError(`surprisal_stats.json ${problem}: ${p}`, 'MODEL_CORRUPT_FILE');
  return s as SurprisalStats;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function percentilesProblem(v: unknown, where: string): string | undefined {
  if (!isPlainObject(v)) return `lacks "percentiles"${where}`;
  const entries = Object.entries(v);
  if (entries.length === 0) return `has empty "percentiles"${where}`;
  for (const [k, x] of entries) {
    const q = Number(k);
    if (!(q > 0 && q < 100)) return `has a percentile key "${k}"${where} outside (0, 100)`;
    if (!finite(x)) return `has a non-numeric percentile "${k}"${where}`;
  }
  return undefined;
}

/** What is wrong with the shape of a surprisal_stats.json document, or undefined if it is usable. */
export function surprisalStatsProblem(s: unknown): string | undefined {
  if (!isPlainObject(s)) return `must hold a JSON object (got ${describeJson(s)})`;
  const p = percentilesProblem(s['percentiles'], '');
  if (p) return p;
  if (!finite(s['mean']) || !finite(s['std']) || (s['std'] as number) < 0) return 'needs finite "mean" and non-negative "std"';
  const byPos = s['by_position'];
  if (byPos === undefined) return undefined;
  if (!Array.isArray(byPos)) return 'has a "by_position" that is not a list';
  for (let i = 0; i < byPos.length; i++) {
    const b = byPos[i];
    if (!isPlainObject(b) || !finite(b['from']) || !(b['to'] === null || finite(b['to'])))
      return `has a by_position[${i}] without numeric "from" and "to"`;
    const bp = percentilesProblem(b['percentiles'], ` in by_position[${i}]`);
    if (bp) return bp;
  }
  return undefined;
}
