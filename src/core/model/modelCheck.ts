/**
 * Validating a model folder before it becomes the active model (Select Model, downloads).
 *
 * Two levels, both built on the checks the engine already makes (no second copy of the rules):
 * - {@link preflightModelDir}: cheap and synchronous. The folder exists, config.json and tokenizer.json parse and
 *   say what the engine needs, the ONNX file is there and not empty. Safe on the extension host's thread.
 * - validateModelDir (./validateModel): loads the model with Engine.load (which checks the graph's inputs and outputs,
 *   the KV layout against config.json, and the tokenizer) and scores a short sentence, checking that the scores are
 *   finite and the token offsets tile the text. It runs inference, so the editor runs it in the language server.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkModelDir, contextLength, ModelConfig, onnxPath, parseModelConfig, readJsonFile, readSurprisalStats } from './config';
import { ModelLoadError } from '../errors';

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
  const file = onnxFileOf(abs, variant);
  if (!existsSync(file)) throw new ModelLoadError(`ONNX model not found: ${file}`, 'MODEL_MISSING_FILE');
  const bytes = statSync(file).size;
  if (bytes < 64) throw new ModelLoadError(`ONNX model is empty or truncated: ${file}`, 'MODEL_CORRUPT_FILE');
  checkPositionTable(file, cfg);
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

function onnxFileOf(dir: string, variant: string): string {
  const file = onnxPath(dir, variant);
  const merged = join(dir, 'onnx', 'decoder_model_merged.onnx');
  return !existsSync(file) && variant === 'fp32' && existsSync(merged) ? merged : file;
}

/**
 * The checks of a model folder that the engine does not make, for callers about to load it: the folder and its
 * JSON files (see checkModelDir), surprisal_stats.json's shape, and config.json's context length against the ONNX
 * position table.
 */
export function checkModelFiles(dir: string, variant = 'fp32'): void {
  const abs = checkModelDir(dir);
  const raw = readJsonFile(join(abs, 'config.json'), 'config.json');
  readSurprisalStats(abs); // the engine would ignore a damaged one and silently change the calibration
  const file = onnxFileOf(abs, variant);
  if (existsSync(file) && statSync(file).isFile()) checkPositionTable(file, { maxPositions: contextLength(raw) });
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

/** Reads a protobuf varint at `pos`; returns [value, next position]. Values stay exact up to 2^53. */
function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let scale = 1;
  for (;;) {
    if (pos >= b.length) throw new RangeError('truncated varint');
    const byte = b[pos++];
    v += (byte & 0x7f) * scale;
    if (byte < 0x80) return [v, pos];
    scale *= 128;
  }
}

/** Calls `each(field, wireType, start, end)` for the fields of the message in b[from, to); `end` is for length-delimited ones. */
function fields(b: Uint8Array, from: number, to: number, each: (field: number, wire: number, start: number, end: number) => void): void {
  let pos = from;
  while (pos < to) {
    const [key, p1] = varint(b, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let start = p1;
    let end: number;
    if (wire === 0) end = varint(b, p1)[1];
    else if (wire === 1) end = p1 + 8;
    else if (wire === 5) end = p1 + 4;
    else if (wire === 2) {
      const [len, p2] = varint(b, p1);
      start = p2;
      end = p2 + len;
    } else throw new RangeError(`unsupported wire type ${wire}`);
    if (end > to) throw new RangeError('field runs past its message');
    each(field, wire, start, end);
    pos = end;
  }
}

const POSITION_TABLE = /(^|[./_])(wpe|position_embeddings|embed_positions|pos_emb)([./_]weight)?$/;

/**
 * The number of rows of the learned position-embedding table in an ONNX model (GPT-2's `wpe.weight` and its
 * relatives), read from the initializers' shapes without loading the graph; undefined when there is none (rotary models).
 */
export function positionTableRows(onnx: Uint8Array): number | undefined {
  let rows: number | undefined;
  // ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto.dims = 1, name = 8.
  fields(onnx, 0, onnx.length, (f, w, s, e) => {
    if (f !== 7 || w !== 2) return;
    fields(onnx, s, e, (gf, gw, gs, ge) => {
      if (gf !== 5 || gw !== 2 || rows !== undefined) return;
      const dims: number[] = [];
      let name = '';
      fields(onnx, gs, ge, (tf, tw, ts, te) => {
        if (tf === 8 && tw === 2) name = Buffer.from(onnx.subarray(ts, te)).toString('utf8');
        else if (tf === 1 && tw === 0) dims.push(varint(onnx, ts)[0]);
        else if (tf === 1 && tw === 2) for (let p = ts; p < te; ) [dims[dims.length], p] = varint(onnx, p);
      });
      if (dims.length === 2 && POSITION_TABLE.test(name)) rows = dims[0];
    });
  });
  return rows;
}

/**
 * Refuses a config.json whose context length (n_positions) is larger than the model's position table: such a model
 * loads but fails at inference past that position, with only onnxruntime's raw log line to go on.
 */
export function checkPositionTable(onnxFile: string, config: Pick<ModelConfig, 'maxPositions'>): void {
  const size = statSync(onnxFile).size;
  if (size > 512 * 1024 * 1024) return; // big models keep weights in external data; not worth reading here
  let rows: number | undefined;
  try {
    rows = positionTableRows(readFileSync(onnxFile));
  } catch (e) {
    throw new ModelLoadError(`ONNX model is not a valid protobuf (corrupt or truncated?): ${onnxFile}: ${(e as Error).message}`, 'MODEL_CORRUPT_FILE');
  }
  if (rows !== undefined && config.maxPositions > rows)
    throw new ModelLoadError(
      `config.json says the context is ${config.maxPositions} positions, but the model's position table has ${rows} rows: ${onnxFile}`,
      'MODEL_BAD_CONFIG',
    );
}
