/**
 * The typed request/response protocol between the engine host (the extension host or a benchmark, on the main
 * thread) and the engine worker (a child process that owns the ONNX session; messages are structured clones).
 *
 * Every request carries a numeric id. The worker answers each request exactly once with a {@link WorkerResponse}
 * (`ok`, `error` or `cancelled`), and may send {@link WorkerEvent}s in between (partial results, progress).
 *
 * Nothing in this file imports the engine (types only) or `vscode`: both sides share it.
 */
import type { SurprisalStats } from '../core/model/config';
import type { LintResult } from '../core/lint/linter';
import type { ProviderSetting } from '../core/model/providerSettings';
import type { LintSettings } from '../core/lint/settings';
import type { BlockScore, ScoreItem } from '../core/scoring/blockScore';
import type { DiscrimMethods } from './discrimProtocol';
import type { GenMethods } from './genProtocol';
import type { RewriteMethods } from './rewriteMethods';

/** Execution providers a user may ask for. `auto` picks the best bundled one (cpu on Linux without CUDA). */
export type ExecutionProvider = ProviderSetting;

export interface LoadParams {
  /** Absolute path of the model folder (see MODEL_LAYOUT.md). */
  modelDir: string;
  executionProvider: ExecutionProvider;
  /** Intra-op threads (default: half the cores, so that the editor keeps some). */
  threads?: number;
  /** Precision variant (core/model/config ONNX_VARIANTS: fp32, fp16, quantized, ...); default fp32. */
  variant?: string;
}

/** What the host needs to know about the loaded model. */
export interface ModelInfo {
  /** Display name (folder name, or `_name_or_path` from config.json). */
  name: string;
  dir: string;
  /** The execution provider actually in use (cpu, cuda, webgpu, ...). */
  provider: string;
  /** Maximum sequence length the model accepts, BOS included. */
  contextLength: number;
  vocabSize: number;
  /** surprisal_stats.json (calibration of thresholds and heatmap percentiles), when the model ships one. */
  stats?: SurprisalStats;
  /** Providers that were asked for but could not be used, with the reason. */
  skippedProviders: { name: string; reason: string }[];
  loadMs: number;
}

export type { ScoreItem, BlockScore } from '../core/scoring/blockScore';

export interface ScoreParams {
  items: ScoreItem[];
  /** Number of alternatives to report per token (0 for none). */
  topK: number;
}

/** Lints a whole document through the one pipeline (src/core/lint), keeping its block caches in the worker. */
export interface LintParams {
  /** The document's id (its URI); the worker keeps one incremental linter per id. */
  doc: string;
  text: string;
  languageId: string;
  settings: Partial<LintSettings>;
  /** Block keys whose scores the host already holds: the worker streams only the others as `partial` events. */
  known: string[];
  /** Score only (heatmap, hover, perplexity) and run no checks. */
  scoreOnly?: boolean;
}

export interface LintBlock {
  start: number;
  /** Length of the block's text. */
  length: number;
  key: string;
}

/** A lint pass as the worker answers it: the pipeline's result with blocks as keys (their scores travel as `partial`s). */
export type LintResultMessage = Omit<LintResult, 'blocks'> & { blocks: LintBlock[] };

/** Blocks travel as `partial` events (one message each); the final response only counts them. */
export interface ScoreResult {
  scored: number;
}

/** Method name -> params and result. Adding a method here types both ends. */
export interface Methods extends GenMethods, DiscrimMethods, RewriteMethods {
  load: { params: LoadParams; result: ModelInfo };
  score: { params: ScoreParams; result: ScoreResult };
  lint: { params: LintParams; result: LintResultMessage };
  /** Forget a document's caches (closed in the editor). */
  release: { params: { doc: string }; result: void };
  /** Crash the worker on purpose (robustness tests only). */
  crash: { params: { how: 'throw' | 'exit' }; result: void };
  /**
   * Liveness and memory. `gc: true` first runs a full garbage collection of the worker's isolate when the process
   * exposes `gc` (the client starts it with --expose-gc): the worker's heap holds the KV caches' tensors, and a leak
   * measurement must not count what its next collection would free.
   */
  ping: { params: { gc?: boolean }; result: { pid: number; rssMb: number; heapUsedMb: number; externalMb: number; gcRan: boolean } };
}

export type Method = keyof Methods;

export type WorkerRequest =
  | { [M in Method]: { type: 'request'; id: number; method: M; params: Methods[M]['params'] } }[Method]
  | { type: 'cancel'; id: number }
  /**
   * Exit the worker with `code` at its next event-loop turn, i.e. between two onnxruntime calls, after its last answer
   * is sent. The host kills the process only if it does not exit within a grace period.
   */
  | { type: 'shutdown'; code: number };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export type WorkerResponse =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: SerializedError }
  | { type: 'response'; id: number; ok: false; cancelled: true };

export type WorkerEvent =
  /** One item of a `score` request, or a block of a `lint` request, is scored. */
  | { type: 'partial'; id: number; block: BlockScore }
  /** Model loading progress. */
  | { type: 'progress'; id: number; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type WorkerMessage = WorkerResponse | WorkerEvent;

/** Thrown (rejected) for a request that was cancelled before it finished. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** Rejected for requests that were in flight when the worker died. */
export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}

/** An error raised in the worker, re-created on the host with its name and stable code. */
export class RemoteError extends Error {
  constructor(
    message: string,
    public readonly code: string | undefined,
    public readonly remoteName: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}
