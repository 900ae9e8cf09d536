/**
 * The scoring engine: loads a model folder, runs the ONNX decoder with onnxruntime-node, and turns logits into
 * per-token surprisal. No VS Code dependency; used by the CLI, the extension's worker, generation, PoE and
 * discriminators.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import { ort, ortRuntime, setWasmThreads } from './model/ort';
import {
  checkModelDir,
  ModelConfig,
  onnxPath,
  parseModelConfig,
  readJsonFile,
  readSurprisalStats,
  SurprisalStats,
} from './model/config';
import { FeatureUnavailableError, ModelLoadError, PlausibilityError } from './errors';
import { Alternative, positionStats, targetLogprob } from './scoring/math';
import { TextTokenizer, Tokenized } from './model/tokenizer';
import { utf8Bytes } from './text/bytes';
import { GPU_BUFFER_PROVIDERS, isDeviceOutOfMemory, planProviders } from './model/providers';
import { appendScoringHead, HEAD_INPUTS, HEAD_OUTPUTS } from './model/scoringHead';

/** Options for {@link Engine.load}. */
export interface EngineOptions {
  /**
   * Execution providers to try, in order (e.g. `['cuda', 'cpu']`, or `['auto']`: see src/core/providers.ts). Providers
   * this platform lacks are skipped with a clear reason; the others but cpu are probed in a child process first, then
   * must create a session and run a warm-up. The engine always falls back to `cpu`. Default `['cpu']`.
   */
  executionProviders?: string[];
  /**
   * On GPU providers (cuda, webgpu), keep present.* outputs on the device (preferredOutputLocation 'gpu-buffer') so a
   * KV cache fed back as `past` never round-trips through host memory. Default true.
   */
  gpuBuffers?: boolean;
  /**
   * Append a scoring head to the graph at load time (src/core/scoringHead.ts): log-softmax, target log-probability,
   * rank, entropy and top-k run inside onnxruntime, so scoring never copies vocabulary-sized logits into JavaScript.
   * Falls back to scoring in JavaScript when the graph cannot take it. Default true.
   */
  scoringHead?: boolean;
  /** Threads for intra-op parallelism (default: onnxruntime's choice, the number of physical cores). */
  intraOpNumThreads?: number;
  /** Threads for inter-op parallelism. */
  interOpNumThreads?: number;
  /** onnxruntime graph optimisation level (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * onnxruntime's memory-pattern planning (default true). It caches an allocation plan per input shape; turning it
   * off did not lower the 600 s soak benchmark's RSS growth (117.7 MB off, 56.1 MB on, measured on two models).
   */
  memoryPattern?: boolean;
  /** Precision variant: `fp32` (onnx/model.onnx, default), `fp16`, `quantized`, or a file name under onnx/. */
  variant?: string;
  /**
   * Largest number of logits floats (batch x seq x vocab) one forward pass may produce while scoring; bounds memory.
   * Default 4M floats (16 MB).
   */
  maxLogitsFloats?: number;
  /** Receives progress/diagnostic messages (e.g. provider fallbacks). */
  log?: (message: string) => void;
}

/** What was loaded and what the model supports. */
export interface EngineInfo {
  modelDir: string;
  onnxFile: string;
  /** The execution provider actually running. */
  provider: string;
  /** `native` (onnxruntime-node) or `wasm` (onnxruntime-web's WebAssembly build, where no native binding ships). */
  runtime: 'native' | 'wasm';
  /** Providers that were tried and failed, with the reason. */
  skippedProviders: { name: string; reason: string }[];
  inputNames: string[];
  outputNames: string[];
  /** The model accepts past_key_values and returns present.* (KV-cache reuse). */
  hasKvCache: boolean;
  /** The model returns last_hidden_state (project models only). */
  hasHiddenState: boolean;
  /** lm_head.json + lm_head.bin are present (project models only). */
  hasLmHead: boolean;
  /** Offsets are exact (byte-level BPE tokenizer). */
  byteLevelTokenizer: boolean;
  /** The session carries the scoring head (see {@link EngineOptions.scoringHead}). */
  hasScoringHead: boolean;
}

/**
 * A key/value cache returned by {@link Engine.forward} and fed back as `past`. On GPU providers its tensors stay on
 * the device (`location === 'gpu-buffer'`): read them with `await t.getData()` (or {@link Engine.cacheToCpu}) and
 * free them with {@link Engine.releaseCache} when done.
 */
export interface KvCache {
  /** Past length (number of positions already processed, padding included). */
  length: number;
  batch: number;
  /** present.N.key tensors, one per layer, [batch, kvHeads, length, headDim]. */
  keys: ortTypes.Tensor[];
  /** present.N.value tensors, one per layer. */
  values: ortTypes.Tensor[];
}

/** Options for {@link Engine.forward}. */
export interface ForwardOptions {
  /** A cache from an earlier call; new positions continue after it. */
  past?: KvCache;
  /** [batch][past + seq] mask (1 = real token, 0 = padding). Default: all ones. */
  attentionMask?: number[][];
  /** [batch][seq] positions. Default: past.length + 0 .. seq - 1. */
  positionIds?: number[][];
  /** Return logits (default true). */
  logits?: boolean;
  /** Return the present key/values as a KvCache (default false). */
  presents?: boolean;
  /** Return last_hidden_state (default false); throws FeatureUnavailableError if the model lacks it. */
  hidden?: boolean;
  /**
   * Run the scoring head (when {@link EngineInfo.hasScoringHead}): `targets` [batch][seq] is the token to score at each
   * position (any valid id where unused), `k` the top-k size (>= 1), `details` whether to compute ranks and entropies
   * (default true). Logits are then not returned unless `logits` is set explicitly.
   */
  scoring?: { targets: number[][]; k: number; details?: boolean };
}

/** Scoring-head outputs of one forward pass, flat row-major over [batch, seq] (and k). */
export interface HeadOutputs {
  /** log P(target) in nats. */
  logprob: Float32Array;
  /** Entries with a larger logit than the target (rank - 1); empty without `details`. */
  greater: Float32Array;
  /** sum p log p (minus the entropy); empty without `details`. */
  negEntropy: Float32Array;
  /** [batch, seq, k] top-k log-probabilities, most likely first. */
  topLogprob: Float32Array;
  /** [batch, seq, k] top-k token ids. */
  topId: ArrayLike<number | bigint>;
  k: number;
}

/** Result of {@link Engine.forward}. Arrays are flat, row-major. */
export interface ForwardResult {
  batch: number;
  seqLen: number;
  vocabSize: number;
  /** [batch, seqLen, vocabSize] float32 logits. */
  logits?: Float32Array;
  /** Present key/values (when requested). */
  presents?: KvCache;
  /** [batch, seqLen, hiddenSize] final-norm hidden states (when requested). */
  hidden?: Float32Array;
  hiddenSize: number;
  /** Scoring-head outputs (when `scoring` was requested). */
  scoring?: HeadOutputs;
}

/** A top-k alternative with its token text. */
export interface TokenAlternative extends Alternative {
  token: string;
}

/** Score of one token of a text. */
export interface TokenScore {
  id: number;
  /** The input slice [start, end) this token covers (may be empty for a token inside a multi-byte character). */
  text: string;
  start: number;
  end: number;
  /** log P(token | left context) in nats. */
  logprob: number;
  /** Negative log-likelihood in nats (-logprob). */
  nll: number;
  /** Surprisal in bits (nll / ln 2). */
  bits: number;
  prob: number;
  /** 1-based rank of the token under the model (NaN when details were not requested). */
  rank: number;
  /** Entropy of the predictive distribution in nats (NaN when details were not requested). */
  entropy: number;
  /** The top-k alternatives. */
  top: TokenAlternative[];
  /** 1-based index of the token after BOS in the document. */
  position: number;
  /** Tokens of left context the model saw, BOS included (position, capped by the window). */
  context: number;
}

/** Score of a whole text. */
export interface TextScore {
  text: string;
  tokens: TokenScore[];
  /** Sum of token NLLs in nats. */
  nll: number;
  tokenCount: number;
  /** Token perplexity exp(nll / tokens). */
  perplexity: number;
  /** UTF-8 bytes of the text. */
  bytes: number;
  /** Whitespace-separated words (lm-evaluation-harness style). */
  words: number;
  /** Bits per UTF-8 byte: nll / ln 2 / bytes. */
  bitsPerByte: number;
  /** Word perplexity exp(nll / words). */
  wordPerplexity: number;
  /** Offsets are exact (byte-level tokenizer). */
  exactOffsets: boolean;
}

/** Options for scoring. */
export interface ScoreOptions {
  /** Top-k alternatives per token (default 5; 0 for none). */
  topK?: number;
  /** Compute rank and entropy (default true). */
  details?: boolean;
  /** Window length in tokens, BOS included (default min(maxPositions, 1024)). */
  window?: number;
  /** New tokens scored per window after the first (default window / 2: the rest is overlap/context). */
  stride?: number;
}

/** A row of a scoring plan: one forward-pass input and which of its positions are scored. */
export interface ScoringRow {
  /** Which input sequence this row belongs to. */
  seq: number;
  /** Input ids (starts with BOS). */
  ids: number[];
  /** Row index of the first scored target (>= 1). Targets are ids[first..]. */
  first: number;
  /** Index in the sequence (BOS = 0) of ids[first]. */
  seqOffset: number;
}

/** Conditional NLL of a continuation given a context. */
export interface ConditionalScore {
  context: string;
  continuation: string;
  /** NLL of the continuation tokens given BOS + context, in nats. */
  nll: number;
  /** Continuation token count. */
  tokens: number;
  /** nll / tokens (0 when the continuation is empty). */
  nllPerToken: number;
  /** Context token count (without BOS). */
  contextTokens: number;
  /** Per-token log-probabilities of the continuation tokens. */
  logprobs: number[];
}

const LN2 = Math.LN2;

/** Converts IEEE half floats to float32. */
function halfToFloat(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) out[i] = s * 2 ** -14 * (f / 1024);
    else if (e === 31) out[i] = f ? NaN : s * Infinity;
    else out[i] = s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

function toFloat32(t: ortTypes.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    if (d instanceof Uint16Array) return halfToFloat(d);
    return Float32Array.from(d as ArrayLike<number>);
  }
  throw new PlausibilityError(`unexpected output tensor type ${t.type}`, 'MODEL_BAD_OUTPUT');
}

/** The provider in use as users see it: `cpu (WebAssembly)` on onnxruntime-web's build. */
export function providerLabel(info: Pick<EngineInfo, 'provider' | 'runtime'>): string {
  return info.runtime === 'wasm' ? `${info.provider} (WebAssembly)` : info.provider;
}

/** Session options shared by every provider. */
function baseSessionOptions(ep: string, opts: EngineOptions): ortTypes.InferenceSession.SessionOptions {
  const so: ortTypes.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    logSeverityLevel: 3,
    enableMemPattern: opts.memoryPattern ?? true,
  };
  if (opts.intraOpNumThreads) so.intraOpNumThreads = opts.intraOpNumThreads;
  if (opts.interOpNumThreads) so.interOpNumThreads = opts.interOpNumThreads;
  return so;
}

/** Feeds for a one-token warm-up run (BOS, empty past), built from the session's own input metadata. */
function warmUpFeeds(session: ortTypes.InferenceSession, config: ModelConfig): Record<string, ortTypes.Tensor> {
  const feeds: Record<string, ortTypes.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = int64([config.bosTokenId], [1, 1]);
    else if (name === 'attention_mask') feeds[name] = int64([1], [1, 1]);
    else if (name === 'position_ids') feeds[name] = int64([0], [1, 1]);
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
    else if (name === HEAD_INPUTS.targets) feeds[name] = int64([0], [1, 1]);
    else if (name === HEAD_INPUTS.k) feeds[name] = int64([1], [1]);
    else if (name === HEAD_INPUTS.details || name === HEAD_INPUTS.score) feeds[name] = new ort.Tensor('bool', [false], [1]);
    else if (name.startsWith('past_key_values.')) {
      const meta = session.inputMetadata.find((m) => m.name === name);
      const half = !!meta && meta.isTensor && meta.type === 'float16';
      const dims = [1, config.numKvHeads, 0, config.headDim];
      feeds[name] = half ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
  }
  return feeds;
}

function int64(values: ArrayLike<number>, dims: number[]): ortTypes.Tensor {
  const a = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]);
  return new ort.Tensor('int64', a, dims);
}

/** Counts words the way lm-evaluation-harness does (whitespace-separated, non-empty). */
export function countWords(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

/**
 * A loaded model. Create with {@link Engine.load}; release with {@link Engine.dispose}.
 *
 * All scoring goes through BOS-prefixed sequences: the first token of every scored sequence is BOS.
 */
export class Engine {
  /** Tokens' ids of the currently loaded model's BOS. */
  readonly bosId: number;
  private pastType: 'float32' | 'float16' = 'float32';
  private pastNames: { key: string; value: string }[] = [];
  private presentNames: { key: string; value: string }[] = [];
  private lmHeadCache?: { weights: Float32Array; vocab: number; dim: number };
  /** Largest number of logits floats one scoring forward pass may produce (bounds memory). */
  readonly maxLogitsFloats: number;

  /** Session options the session was created with (for the CPU fallback after a device out-of-memory error). */
  private sessionOptions: ortTypes.InferenceSession.SessionOptions = {};
  /** What the session was created from: the ONNX file, or its bytes with the scoring head appended. */
  private sessionSource: string | Uint8Array = '';

  private constructor(
    /** The ONNX session. Exposed for advanced callers; replaced by a CPU session after a device out-of-memory error. */
    public session: ortTypes.InferenceSession,
    /** Normalised architecture facts. */
    readonly config: ModelConfig,
    /** Tokenizer with offsets. */
    readonly tokenizer: TextTokenizer,
    /** What was loaded. */
    readonly info: EngineInfo,
    /** surprisal_stats.json, when the model ships one. */
    readonly stats: SurprisalStats | undefined,
    opts: EngineOptions,
  ) {
    this.bosId = config.bosTokenId;
    this.maxLogitsFloats = opts.maxLogitsFloats ?? 4 * 1024 * 1024;
  }

  /**
   * Loads a model folder (see MODEL_LAYOUT.md). Throws {@link ModelLoadError} with a clear message if a file is
   * missing or corrupt, or the ONNX graph lacks required inputs/outputs.
   */
  static async load(dir: string, opts: EngineOptions = {}): Promise<Engine> {
    const log = opts.log ?? (() => undefined);
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

    setWasmThreads(opts.intraOpNumThreads);
    if (ortRuntime.kind === 'wasm') log(`using onnxruntime's WebAssembly build on the CPU: ${ortRuntime.nativeError}`);
    const plan = await planProviders(
      opts.executionProviders && opts.executionProviders.length > 0 ? opts.executionProviders : ['cpu'],
      { log },
    );
    const wanted = plan.candidates;
    const skipped: { name: string; reason: string }[] = [...plan.skipped];
    let session: ortTypes.InferenceSession | undefined;
    let sessionOptions: ortTypes.InferenceSession.SessionOptions = {};
    let provider = 'cpu';
    // The scoring head is appended in memory; models with external data (or too big to hold twice) load from the file.
    let source: string | Uint8Array = file;
    const external = readdirSync(dirname(file)).some((f) => /\.(onnx_data|onnx\.data|data)$/.test(f));
    if (opts.scoringHead !== false && !external && statSync(file).size < 1024 * 1024 * 1024) {
      try {
        source = appendScoringHead(readFileSync(file));
      } catch (e) {
        log(`scoring head unavailable (${(e as Error).message}); scoring in JavaScript`);
      }
    }
    for (const ep of wanted) {
      const so = baseSessionOptions(ep, opts);
      if (GPU_BUFFER_PROVIDERS.has(ep) && opts.gpuBuffers !== false) {
        // IO binding: the KV cache stays on the device; logits and hidden states come to the host.
        const loc: Record<string, ortTypes.Tensor.DataLocation> = {};
        for (let i = 0; i < config.numLayers; i++) loc[`present.${i}.key`] = loc[`present.${i}.value`] = 'gpu-buffer';
        so.preferredOutputLocation = loc;
      }
      try {
        try {
          session = await ort.InferenceSession.create(source as string, so);
        } catch (e) {
          if (typeof source !== 'string') {
            // The graph with the scoring head did not load here: use the file as it is.
            log(`scoring head unavailable on ${ep} (${(e as Error).message.split('\n')[0]}); scoring in JavaScript`);
            source = file;
          } else if (so.preferredOutputLocation) {
            log(`${ep}: device-resident KV cache unavailable (${(e as Error).message.split('\n')[0]}); using host outputs`);
            delete so.preferredOutputLocation;
          } else throw e;
          session = await ort.InferenceSession.create(file, so);
        }
        if (ep !== 'cpu') {
          try {
            await session.run(warmUpFeeds(session, config));
          } catch (e) {
            await session.release().catch(() => undefined);
            session = undefined;
            throw new Error(`warm-up run failed: ${(e as Error).message.split('\n')[0]}`);
          }
        }
        provider = ep;
        sessionOptions = so;
        break;
      } catch (e) {
        const reason = (e as Error).message.split('\n')[0];
        if (ep === 'cpu') {
          throw new ModelLoadError(`ONNX model could not be loaded (corrupt or truncated?): ${file}: ${reason}`, 'MODEL_CORRUPT_FILE');
        }
        skipped.push({ name: ep, reason });
        log(`execution provider ${ep} unavailable (${reason}); trying the next one`);
      }
    }
    if (!session) throw new ModelLoadError(`no execution provider could load ${file}`, 'MODEL_LOAD');

    const inputs = [...session.inputNames];
    const outputs = [...session.outputNames];
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
      hasLmHead,
      byteLevelTokenizer: tokenizer.isByteLevel,
      hasScoringHead: inputs.includes(HEAD_INPUTS.targets),
    };
    const engine = new Engine(session, config, tokenizer, info, stats, opts);
    engine.sessionOptions = sessionOptions;
    engine.sessionSource = inputs.includes(HEAD_INPUTS.targets) ? source : file;
    engine.log = log;
    engine.setupKv(file);
    return engine;
  }

  private setupKv(file: string): void {
    const inputs = this.info.inputNames;
    const outputs = this.info.outputNames;
    const pastInputs = inputs.filter((n) => n.startsWith('past_key_values.'));
    if (pastInputs.length === 0) return;
    const L = this.config.numLayers;
    for (let i = 0; i < L; i++) {
      const key = `past_key_values.${i}.key`;
      const value = `past_key_values.${i}.value`;
      const pk = `present.${i}.key`;
      const pv = `present.${i}.value`;
      for (const [n, list, what] of [
        [key, inputs, 'input'],
        [value, inputs, 'input'],
        [pk, outputs, 'output'],
        [pv, outputs, 'output'],
      ] as const) {
        if (!list.includes(n))
          throw new ModelLoadError(
            `ONNX model ${file} lacks ${what} "${n}" (config.json says ${L} layers)`,
            'MODEL_BAD_GRAPH',
          );
      }
      this.pastNames.push({ key, value });
      this.presentNames.push({ key: pk, value: pv });
    }
    if (pastInputs.length !== 2 * L)
      throw new ModelLoadError(
        `ONNX model ${file} has ${pastInputs.length / 2} past layers but config.json says ${L}`,
        'MODEL_BAD_GRAPH',
      );
    // Check the KV shape against config.json where the graph states it.
    const meta = this.session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
    if (meta && meta.isTensor) {
      if (meta.type === 'float16') this.pastType = 'float16';
      const [, h, , d] = meta.shape;
      if (typeof h === 'number' && h !== this.config.numKvHeads)
        throw new ModelLoadError(
          `ONNX past_key_values have ${h} heads but config.json implies ${this.config.numKvHeads} key/value heads`,
          'MODEL_BAD_GRAPH',
        );
      if (typeof d === 'number' && d !== this.config.headDim)
        throw new ModelLoadError(
          `ONNX past_key_values have head size ${d} but config.json implies ${this.config.headDim}`,
          'MODEL_BAD_GRAPH',
        );
    }
    this.info.hasKvCache = true;
  }

  private log: (message: string) => void = () => undefined;

  /** True when present.* outputs stay on the device (GPU provider with IO binding). */
  get kvOnDevice(): boolean {
    return !!this.sessionOptions.preferredOutputLocation;
  }

  /** A host-memory copy of a KV cache (a no-op for caches already on the host). */
  async cacheToCpu(cache: KvCache): Promise<KvCache> {
    const host = async (t: ortTypes.Tensor) =>
      t.location === 'cpu' || t.location === undefined ? t : new ort.Tensor(t.type, await t.getData(), t.dims);
    return {
      length: cache.length,
      batch: cache.batch,
      keys: await Promise.all(cache.keys.map(host)),
      values: await Promise.all(cache.values.map(host)),
    };
  }

  /** Frees the device memory of a KV cache's tensors (a no-op for host tensors). Do not use the cache afterwards. */
  releaseCache(cache: KvCache): void {
    for (const t of [...cache.keys, ...cache.values]) if (t.location !== 'cpu') t.dispose();
  }

  /**
   * After a device out-of-memory error: replaces the session with a CPU one (same model, threads and optimisation
   * level) and records why in info.skippedProviders.
   */
  private async fallBackToCpu(reason: string): Promise<void> {
    const from = this.info.provider;
    this.log(`execution provider ${from} ran out of memory (${reason}); retrying on the CPU`);
    const so: ortTypes.InferenceSession.SessionOptions = { ...this.sessionOptions, executionProviders: ['cpu'] };
    delete so.preferredOutputLocation;
    const cpu = await ort.InferenceSession.create(this.sessionSource as string, so);
    const old = this.session;
    this.session = cpu;
    this.sessionOptions = so;
    this.info.provider = 'cpu';
    this.info.skippedProviders.push({ name: from, reason: `out of memory during a run: ${reason}` });
    await old.release().catch(() => undefined);
  }

  /** Releases the ONNX session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }

  /** Largest window (tokens, BOS included) a forward pass may take. */
  get maxWindow(): number {
    return this.config.maxPositions;
  }

  /** Vocabulary size of the logits. */
  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** Tokenises text with exact [start, end) UTF-16 offsets (no BOS). */
  tokenize(text: string): Tokenized {
    return this.tokenizer.tokenize(text);
  }

  /** Encodes text to token ids without BOS. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /** Decodes token ids to text. */
  decode(ids: number[]): string {
    return this.tokenizer.decode(ids);
  }

  /** An empty KV cache for `batch` rows (past length 0). */
  emptyCache(batch = 1): KvCache {
    const { numKvHeads: h, headDim: d } = this.config;
    const mk = () =>
      this.pastType === 'float16'
        ? new ort.Tensor('float16', new Uint16Array(0), [batch, h, 0, d])
        : new ort.Tensor('float32', new Float32Array(0), [batch, h, 0, d]);
    return {
      length: 0,
      batch,
      keys: this.pastNames.map(mk),
      values: this.pastNames.map(mk),
    };
  }

  /**
   * Runs the decoder on `ids` ([seq] or [batch][seq], rows of equal length). With `past`, the new positions continue
   * after the cached ones. Returns logits, and optionally the present KV cache and last_hidden_state.
   */
  async forward(ids: number[] | number[][], opts: ForwardOptions = {}): Promise<ForwardResult> {
    const rows: number[][] = ids.length > 0 && Array.isArray(ids[0]) ? (ids as number[][]) : [ids as number[]];
    const b = rows.length;
    const s = rows[0]?.length ?? 0;
    if (s === 0) throw new PlausibilityError('forward() needs at least one token', 'EMPTY_INPUT');
    for (const r of rows)
      if (r.length !== s) throw new PlausibilityError('forward(): batch rows must have equal length (pad them)', 'BAD_BATCH');
    const past = opts.past;
    const pastLen = past ? past.length : 0;
    if (past && !this.info.hasKvCache)
      throw new FeatureUnavailableError('kv-cache', 'this model has no past_key_values inputs; KV-cache reuse is unavailable');
    if (past && past.batch !== b) throw new PlausibilityError(`past batch ${past.batch} != input batch ${b}`, 'BAD_BATCH');
    if (pastLen + s > this.config.maxPositions)
      throw new PlausibilityError(
        `sequence of ${pastLen + s} positions exceeds the model's maximum of ${this.config.maxPositions}`,
        'TOO_LONG',
      );
    if (opts.hidden && !this.info.hasHiddenState)
      throw new FeatureUnavailableError(
        'last_hidden_state',
        `this model (${this.info.modelDir}) does not export last_hidden_state, which only project models exported by training/ have; ` +
          'features built on hidden states (discriminators) are unavailable, but scoring, ranking and linting work',
      );

    const flat = new Array<number>(b * s);
    for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) flat[r * s + j] = rows[r][j];
    const V = this.config.vocabSize;
    for (const x of flat)
      if (!Number.isInteger(x) || x < 0 || x >= V)
        throw new PlausibilityError(`token id ${x} out of range [0, ${V})`, 'BAD_TOKEN');
    const feeds: Record<string, ortTypes.Tensor> = { input_ids: int64(flat, [b, s]) };
    const inputs = this.info.inputNames;
    if (inputs.includes('attention_mask')) {
      const total = pastLen + s;
      const m = new Array<number>(b * total);
      if (opts.attentionMask) {
        for (let r = 0; r < b; r++) {
          const row = opts.attentionMask[r];
          if (!row || row.length !== total)
            throw new PlausibilityError(`attentionMask rows must have length past+seq = ${total}`, 'BAD_BATCH');
          for (let j = 0; j < total; j++) m[r * total + j] = row[j];
        }
      } else m.fill(1);
      feeds['attention_mask'] = int64(m, [b, total]);
    }
    if (inputs.includes('position_ids')) {
      const p = new Array<number>(b * s);
      if (opts.positionIds) {
        for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) p[r * s + j] = opts.positionIds[r][j];
      } else for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) p[r * s + j] = pastLen + j;
      feeds['position_ids'] = int64(p, [b, s]);
    }
    if (inputs.includes('use_cache_branch')) feeds['use_cache_branch'] = new ort.Tensor('bool', [pastLen > 0], [1]);
    if (this.info.hasKvCache) {
      const cache = past ?? this.emptyCache(b);
      this.pastNames.forEach((n, i) => {
        feeds[n.key] = cache.keys[i];
        feeds[n.value] = cache.values[i];
      });
    }
    const wantLogits = opts.logits ?? !opts.scoring;
    if (this.info.hasScoringHead) {
      // The head's inputs must always be fed; it only runs (inside an If) when scoring is asked for.
      const t = new Array<number>(b * s).fill(0);
      if (opts.scoring)
        for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) t[r * s + j] = opts.scoring.targets[r]?.[j] ?? 0;
      for (const x of t)
        if (!Number.isInteger(x) || x < 0 || x >= V) throw new PlausibilityError(`target id ${x} out of range [0, ${V})`, 'BAD_TOKEN');
      feeds[HEAD_INPUTS.targets] = int64(t, [b, s]);
      feeds[HEAD_INPUTS.k] = int64([Math.max(1, Math.min(V, opts.scoring?.k ?? 1))], [1]);
      feeds[HEAD_INPUTS.details] = new ort.Tensor('bool', [!!opts.scoring && opts.scoring.details !== false], [1]);
      feeds[HEAD_INPUTS.score] = new ort.Tensor('bool', [!!opts.scoring], [1]);
    } else if (opts.scoring)
      throw new FeatureUnavailableError('scoring-head', 'this engine was loaded without the scoring head');
    const fetches: string[] = [];
    if (wantLogits) fetches.push('logits');
    if (opts.scoring) fetches.push(...Object.values(HEAD_OUTPUTS));
    if (opts.presents) {
      if (!this.info.hasKvCache)
        throw new FeatureUnavailableError('kv-cache', 'this model returns no present key/values');
      for (const n of this.presentNames) fetches.push(n.key, n.value);
    }
    if (opts.hidden) fetches.push('last_hidden_state');
    if (fetches.length === 0) fetches.push('logits');
    let out: ortTypes.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, fetches);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      if (this.info.provider === 'cpu' || !isDeviceOutOfMemory(msg))
        throw new PlausibilityError(`inference failed: ${msg}`, 'INFERENCE');
      // A device out-of-memory error: report it, move to the CPU, and retry this pass there.
      for (const n of Object.keys(feeds)) {
        const t = feeds[n];
        if (t.location !== 'cpu' && t.location !== undefined) feeds[n] = new ort.Tensor(t.type, await t.getData(), t.dims);
      }
      try {
        await this.fallBackToCpu(msg);
        out = await this.session.run(feeds, fetches);
      } catch (e2) {
        throw new PlausibilityError(`inference failed on the CPU after ${msg}: ${(e2 as Error).message.split('\n')[0]}`, 'INFERENCE');
      }
    }
    const res: ForwardResult = { batch: b, seqLen: s, vocabSize: V, hiddenSize: this.config.hiddenSize };
    if (opts.scoring) {
      res.scoring = {
        logprob: out[HEAD_OUTPUTS.logprob].data as Float32Array,
        greater: out[HEAD_OUTPUTS.greater].data as Float32Array,
        negEntropy: out[HEAD_OUTPUTS.negEntropy].data as Float32Array,
        topLogprob: out[HEAD_OUTPUTS.topLogprob].data as Float32Array,
        topId: out[HEAD_OUTPUTS.topId].data as BigInt64Array,
        k: out[HEAD_OUTPUTS.topId].dims[2] ?? 1,
      };
    }
    if (wantLogits) {
      const t = out['logits'] as ortTypes.Tensor;
      const dims = t.dims;
      if (dims[dims.length - 1] !== V)
        throw new PlausibilityError(`logits have ${dims[dims.length - 1]} columns but vocab_size is ${V}`, 'MODEL_BAD_OUTPUT');
      res.logits = toFloat32(t);
    }
    if (opts.presents) {
      res.presents = {
        length: pastLen + s,
        batch: b,
        keys: this.presentNames.map((n) => out[n.key] as ortTypes.Tensor),
        values: this.presentNames.map((n) => out[n.value] as ortTypes.Tensor),
      };
    }
    if (opts.hidden) res.hidden = toFloat32(out['last_hidden_state'] as ortTypes.Tensor);
    return res;
  }

  /**
   * The tied LM-head matrix [vocab, dim] from lm_head.bin (project models only). Throws FeatureUnavailableError for
   * third-party models, which lack it.
   */
  lmHead(): { weights: Float32Array; vocab: number; dim: number } {
    if (this.lmHeadCache) return this.lmHeadCache;
    if (!this.info.hasLmHead)
      throw new FeatureUnavailableError(
        'lm_head',
        `this model (${this.info.modelDir}) has no lm_head.json/lm_head.bin, which only project models exported by training/ have; ` +
          'features that need LM-head weights are unavailable, but scoring, ranking and linting work',
      );
    const header = readJsonFile<{ dtype: string; shape: [number, number] }>(
      join(this.info.modelDir, 'lm_head.json'),
      'lm_head.json',
    );
    if (header.dtype !== 'float32' || !Array.isArray(header.shape) || header.shape.length !== 2)
      throw new ModelLoadError(`lm_head.json must say dtype float32 and a 2-D shape`, 'MODEL_CORRUPT_FILE');
    const [vocab, dim] = header.shape;
    const buf = readFileSync(join(this.info.modelDir, 'lm_head.bin'));
    if (buf.length !== vocab * dim * 4)
      throw new ModelLoadError(
        `lm_head.bin has ${buf.length} bytes but lm_head.json's shape [${vocab}, ${dim}] needs ${vocab * dim * 4}`,
        'MODEL_CORRUPT_FILE',
      );
    const weights = new Float32Array(vocab * dim);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < weights.length; i++) weights[i] = dv.getFloat32(i * 4, true);
    this.lmHeadCache = { weights, vocab, dim };
    return this.lmHeadCache;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scoring

  /** Window length and stride for long sequences. */
  windowing(opts: ScoreOptions = {}): { window: number; stride: number } {
    const window = Math.max(2, Math.min(opts.window ?? 1024, this.config.maxPositions));
    const stride = Math.max(1, Math.min(opts.stride ?? Math.floor(window / 2), window - 1));
    return { window, stride };
  }

  /**
   * Splits BOS-prefixed sequences into forward-pass rows. A sequence that fits the window is one row; a longer one
   * becomes sliding windows, each starting with BOS followed by (window - 1 - stride) tokens of overlap context and
   * then up to `stride` new tokens, so every token is scored exactly once with as much left context as the window
   * allows.
   */
  plan(seqs: number[][], opts: ScoreOptions = {}): ScoringRow[] {
    const { window: W, stride: S } = this.windowing(opts);
    const rows: ScoringRow[] = [];
    seqs.forEach((full, seq) => {
      if (full.length < 2) return;
      if (full.length <= W) {
        rows.push({ seq, ids: full, first: 1, seqOffset: 1 });
        return;
      }
      rows.push({ seq, ids: full.slice(0, W), first: 1, seqOffset: 1 });
      const C = W - 1 - S; // overlap context kept (BOS excluded)
      for (let next = W; next < full.length; next += S) {
        const ctxStart = Math.max(1, next - C);
        const end = Math.min(full.length, next + S);
        const ids = [this.bosId, ...full.slice(ctxStart, end)];
        rows.push({ seq, ids, first: 1 + (next - ctxStart), seqOffset: next });
      }
    });
    return rows;
  }

  /**
   * Runs scoring rows in padded batches (right padding with attention_mask and position_ids; results equal unbatched
   * scoring) and calls `visit(row, logits, rowOffsetInLogits, vocab)` for every row.
   */
  async runRows(
    rows: ScoringRow[],
    visit: (row: ScoringRow, logits: Float32Array, base: number, vocab: number) => void,
    opts: { batchRows?: number } = {},
  ): Promise<void> {
    const V = this.config.vocabSize;
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].ids.length - rows[a].ids.length);
    let i = 0;
    while (i < order.length) {
      const maxLen = rows[order[i]].ids.length;
      let n = Math.max(1, Math.floor(this.maxLogitsFloats / (maxLen * V)));
      if (opts.batchRows) n = Math.min(n, opts.batchRows);
      const group = order.slice(i, i + n).map((k) => rows[k]);
      i += group.length;
      const pad = this.config.eosTokenId ?? this.bosId;
      const ids = group.map((r) => (r.ids.length === maxLen ? r.ids : [...r.ids, ...new Array(maxLen - r.ids.length).fill(pad)]));
      const needMask = group.some((r) => r.ids.length !== maxLen);
      const attentionMask = needMask
        ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? 1 : 0)))
        : undefined;
      const positionIds = needMask
        ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? j : r.ids.length - 1)))
        : undefined;
      const res = await this.forward(ids, { attentionMask, positionIds });
      const logits = res.logits!;
      group.forEach((r, k) => visit(r, logits, k * maxLen * V, V));
    }
  }

  /**
   * Like {@link runRows}, but through the scoring head (requires {@link EngineInfo.hasScoringHead}): no logits reach
   * JavaScript. `visit(row, head, base)` gets the head outputs of the row's batch, with the row's positions starting at
   * flat index `base` (position p of the row is `head.logprob[base + p]`, predicting row.ids[p + 1]).
   */
  async scoreRows(
    rows: ScoringRow[],
    k: number,
    visit: (row: ScoringRow, head: HeadOutputs, base: number) => void,
    opts: { batchRows?: number; details?: boolean } = {},
  ): Promise<void> {
    const V = this.config.vocabSize;
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].ids.length - rows[a].ids.length);
    const pad = this.config.eosTokenId ?? this.bosId;
    let i = 0;
    while (i < order.length) {
      const maxLen = rows[order[i]].ids.length;
      let n = Math.max(1, Math.floor(this.maxLogitsFloats / (maxLen * V)));
      if (opts.batchRows) n = Math.min(n, opts.batchRows);
      const group = order.slice(i, i + n).map((j) => rows[j]);
      i += group.length;
      const ids = group.map((r) => (r.ids.length === maxLen ? r.ids : [...r.ids, ...new Array(maxLen - r.ids.length).fill(pad)]));
      const targets = ids.map((r) => [...r.slice(1), pad]);
      const needMask = group.some((r) => r.ids.length !== maxLen);
      const attentionMask = needMask
        ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? 1 : 0)))
        : undefined;
      const positionIds = needMask
        ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? j : r.ids.length - 1)))
        : undefined;
      const res = await this.forward(ids, { attentionMask, positionIds, scoring: { targets, k, details: opts.details !== false } });
      group.forEach((r, j) => visit(r, res.scoring!, j * maxLen));
    }
  }

  /**
   * Log-probabilities (nats) of ids[1..] for each BOS-prefixed sequence: result[k][i] = log P(seq[i+1] | seq[0..i]).
   * Batched and windowed; the cheapest scoring entry point (used by BLiMP evaluation and ranking).
   */
  async logprobs(seqs: number[][], opts: ScoreOptions & { batchRows?: number } = {}): Promise<Float64Array[]> {
    const out = seqs.map((s) => new Float64Array(Math.max(0, s.length - 1)));
    const rows = this.plan(seqs, opts);
    if (this.info.hasScoringHead) {
      await this.scoreRows(
        rows,
        1,
        (row, head, base) => {
          const dst = out[row.seq];
          for (let p = row.first; p < row.ids.length; p++) dst[row.seqOffset + (p - row.first) - 1] = head.logprob[base + p - 1];
        },
        { ...opts, details: false },
      );
      return out;
    }
    await this.runRows(
      rows,
      (row, logits, base, V) => {
        const dst = out[row.seq];
        for (let p = row.first; p < row.ids.length; p++) {
          dst[row.seqOffset + (p - row.first) - 1] = targetLogprob(logits, base + (p - 1) * V, V, row.ids[p]);
        }
      },
      opts,
    );
    return out;
  }

  /** Scores one text: per-token NLL, probability, rank, entropy and top-k, plus sequence metrics. */
  async scoreText(text: string, opts: ScoreOptions = {}): Promise<TextScore> {
    return (await this.scoreBatch([text], opts))[0];
  }

  /**
   * Scores several texts in padded batches. Results equal scoring each text alone (up to float rounding).
   */
  async scoreBatch(texts: string[], opts: ScoreOptions & { batchRows?: number } = {}): Promise<TextScore[]> {
    const toks = texts.map((t) => this.tokenize(t));
    const seqs = toks.map((t) => [this.bosId, ...t.ids]);
    const k = opts.topK ?? 5;
    const details = opts.details !== false;
    const { window: W } = this.windowing(opts);
    const results: TokenScore[][] = toks.map((t) => new Array<TokenScore>(t.ids.length));
    const rows = this.plan(seqs, opts);
    const put = (row: ScoringRow, p: number, logprob: number, rank: number, entropy: number, top: TokenAlternative[]) => {
      const tok = toks[row.seq];
      const idx = row.seqOffset + (p - row.first) - 1; // token index (no BOS)
      const start = tok.starts[idx];
      const end = tok.ends[idx];
      results[row.seq][idx] = {
        id: row.ids[p],
        text: tok.text.slice(start, end),
        start,
        end,
        logprob,
        nll: -logprob,
        bits: -logprob / LN2,
        prob: Math.exp(logprob),
        rank,
        entropy,
        top,
        position: idx + 1,
        context: Math.min(p, W),
      };
    };
    if (this.info.hasScoringHead) {
      await this.scoreRows(
        rows,
        Math.max(1, k),
        (row, head, base) => {
          const K = head.k;
          for (let p = row.first; p < row.ids.length; p++) {
            const at = base + p - 1;
            const top: TokenAlternative[] = [];
            for (let j = 0; j < k; j++) {
              const id = Number(head.topId[at * K + j]);
              top.push({ id, prob: Math.exp(head.topLogprob[at * K + j]), token: this.tokenizer.tokenText(id) });
            }
            put(
              row,
              p,
              head.logprob[at],
              details ? head.greater[at] + 1 : NaN,
              details ? Math.max(0, -head.negEntropy[at]) : NaN,
              top,
            );
          }
        },
        { ...opts, details },
      );
      return toks.map((t, i) => summarize(t, results[i]));
    }
    await this.runRows(
      rows,
      (row, logits, base, V) => {
        const tok = toks[row.seq];
        for (let p = row.first; p < row.ids.length; p++) {
          const idx = row.seqOffset + (p - row.first) - 1; // token index (no BOS)
          const off = base + (p - 1) * V;
          const id = row.ids[p];
          let logprob: number;
          let rank = NaN;
          let entropy = NaN;
          let top: TokenAlternative[] = [];
          if (details || k > 0) {
            const st = positionStats(logits, off, V, id, k);
            logprob = st.logprob;
            if (details) {
              rank = st.rank;
              entropy = st.entropy;
            }
            top = st.top.map((a) => ({ ...a, token: this.tokenizer.tokenText(a.id) }));
          } else logprob = targetLogprob(logits, off, V, id);
          const start = tok.starts[idx];
          const end = tok.ends[idx];
          results[row.seq][idx] = {
            id,
            text: tok.text.slice(start, end),
            start,
            end,
            logprob,
            nll: -logprob,
            bits: -logprob / LN2,
            prob: Math.exp(logprob),
            rank,
            entropy,
            top,
            position: idx + 1,
            context: Math.min(p, W),
          };
        }
      },
      opts,
    );
    return toks.map((t, i) => summarize(t, results[i]));
  }

  /**
   * NLL of `continuation` given `context`: both are tokenised separately and the ids concatenated after BOS, so
   * joint(context + continuation) - marginal(context) equals this exactly. An empty context means right after BOS.
   */
  async conditionalNll(context: string, continuation: string, opts: ScoreOptions = {}): Promise<ConditionalScore> {
    return (await this.conditionalBatch(context, [continuation], opts))[0];
  }

  /** {@link conditionalNll} for several continuations of one context, batched. */
  async conditionalBatch(context: string, continuations: string[], opts: ScoreOptions = {}): Promise<ConditionalScore[]> {
    const ctx = this.encode(context);
    const conts = continuations.map((c) => this.encode(c));
    const seqs = conts.map((c) => [this.bosId, ...ctx, ...c]);
    const lps = await this.logprobs(seqs, opts);
    return conts.map((c, i) => {
      const lp = Array.from(lps[i].subarray(ctx.length));
      const nll = -lp.reduce((a, b) => a + b, 0);
      return {
        context,
        continuation: continuations[i],
        nll,
        tokens: c.length,
        nllPerToken: c.length ? nll / c.length : 0,
        contextTokens: ctx.length,
        logprobs: lp,
      };
    });
  }

  /** Total log-probability (nats) of each text as one sequence after BOS. Batched. */
  async sequenceLogprobs(texts: string[], opts: ScoreOptions & { batchRows?: number } = {}): Promise<number[]> {
    const seqs = texts.map((t) => [this.bosId, ...this.encode(t)]);
    const lps = await this.logprobs(seqs, opts);
    return lps.map((a) => a.reduce((x, y) => x + y, 0));
  }
}

function summarize(tok: Tokenized, tokens: TokenScore[]): TextScore {
  const nll = tokens.reduce((a, t) => a + t.nll, 0);
  const bytes = utf8Bytes(tok.text).length;
  const words = countWords(tok.text);
  const n = tokens.length;
  return {
    text: tok.text,
    tokens,
    nll,
    tokenCount: n,
    perplexity: n ? Math.exp(nll / n) : NaN,
    bytes,
    words,
    bitsPerByte: bytes ? nll / LN2 / bytes : NaN,
    wordPerplexity: words ? Math.exp(nll / words) : NaN,
    exactOffsets: tok.exact,
  };
}
