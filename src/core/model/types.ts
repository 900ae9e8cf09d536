/** The engine's model-side vocabulary: load options, what was loaded, forward-pass options and results, KV caches. */
import type * as ortTypes from 'onnxruntime-node';

/** Options for {@link Engine.load}. */
export interface EngineOptions {
  /**
   * Execution providers to try, in order (e.g. `['cuda', 'cpu']`, or `['auto']`: see src/core/model/providers.ts).
   * Providers this platform lacks are skipped with a clear reason; the others but cpu are probed in a child process
   * first, then must create a session and run a warm-up. The engine always falls back to `cpu`. Default `['cpu']`.
   */
  executionProviders?: string[];
  /**
   * On GPU providers (cuda, webgpu), keep present.* outputs on the device (preferredOutputLocation 'gpu-buffer') so a
   * KV cache fed back as `past` never round-trips through host memory. Default true.
   */
  gpuBuffers?: boolean;
  /**
   * Append a scoring head to the graph at load time (src/core/model/scoringHead.ts): log-softmax, target
   * log-probability, rank, entropy and top-k run inside onnxruntime, so scoring never copies vocabulary-sized logits
   * into JavaScript. Falls back to scoring in JavaScript when the graph cannot take it. Default true.
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
  /**
   * onnxruntime's CPU memory arena (default on). A long-lived process that runs many input shapes (the language
   * server: batches of candidate sentences of every length) turns it off, so that memory goes back after each run
   * instead of staying at the largest shape seen.
   */
  cpuMemArena?: boolean;
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
  /** Inner layers whose residual stream the model returns as `hidden_states.N` (project models exported since v10). */
  innerLayers: number[];
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
  /** Inner layers (1 .. layers - 1) whose states to return, from the model's `hidden_states.N` outputs. */
  innerLayers?: number[];
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
  /** Inner layers' states [batch, seq, hidden] by layer number, when asked for. */
  inner?: Map<number, Float32Array>;
  hiddenSize: number;
  /** Scoring-head outputs (when `scoring` was requested). */
  scoring?: HeadOutputs;
}
