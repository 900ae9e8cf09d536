/**
 * The scoring engine: loads a model folder, runs the ONNX decoder with onnxruntime-node, and turns logits into
 * per-token surprisal. No VS Code dependency; used by the CLI, the language server, generation, PoE and
 * discriminators.
 *
 * A thin facade: loading and the session live in ./model (load, session, forward, kvCache, lmHead), scoring plans
 * and text scores in ./scoring (rows, textScores).
 */
import type * as ortTypes from 'onnxruntime-node';
import type { ModelConfig, SurprisalStats } from './model/config';
import type { TextTokenizer, Tokenized } from './model/tokenizer';
import { ForwardModel, runForward } from './model/forward';
import { cacheToCpu, emptyCache, KvLayout, releaseCache } from './model/kvCache';
import { LmHead, readLmHead } from './model/lmHead';
import { loadModel } from './model/load';
import type { ModelSession } from './model/session';
import type { EngineInfo, EngineOptions, ForwardOptions, ForwardResult, HeadOutputs, KvCache } from './model/types';
import { planRows, runHeadRows, runLogitRows, windowing } from './scoring/rows';
import { conditionalBatch, logprobs, scoreBatch, sequenceLogprobs } from './scoring/textScores';
import type { ConditionalScore, ScoreOptions, ScoringRow, TextScore } from './scoring/types';

export type { EngineOptions, EngineInfo, KvCache, ForwardOptions, HeadOutputs, ForwardResult } from './model/types';
export type {
  TokenAlternative,
  TokenScore,
  TextScore,
  ScoreOptions,
  ScoringRow,
  ConditionalScore,
} from './scoring/types';
export { providerLabel } from './model/session';
export { countWords } from './scoring/textScores';

/**
 * A loaded model. Create with {@link Engine.load}; release with {@link Engine.dispose}.
 *
 * All scoring goes through BOS-prefixed sequences: the first token of every scored sequence is BOS.
 */
export class Engine {
  /** Tokens' ids of the currently loaded model's BOS. */
  readonly bosId: number;
  /** Largest number of logits floats one scoring forward pass may produce (bounds memory). */
  readonly maxLogitsFloats: number;
  private lmHeadCache?: LmHead;
  /** What forward passes run on. */
  private readonly model: ForwardModel;

  private constructor(
    private readonly runtime: ModelSession,
    kv: KvLayout,
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
    this.model = { config, info, kv, runtime };
  }

  /**
   * Loads a model folder (see MODEL_LAYOUT.md). Throws {@link ModelLoadError} with a clear message if a file is
   * missing or corrupt, or the ONNX graph lacks required inputs/outputs.
   */
  static async load(dir: string, opts: EngineOptions = {}): Promise<Engine> {
    const m = await loadModel(dir, opts, opts.log ?? (() => undefined));
    return new Engine(m.runtime, m.kv, m.config, m.tokenizer, m.info, m.stats, opts);
  }

  /** The ONNX session. Exposed for advanced callers; replaced by a CPU session after a device out-of-memory error. */
  get session(): ortTypes.InferenceSession {
    return this.runtime.session;
  }

  set session(session: ortTypes.InferenceSession) {
    this.runtime.session = session;
  }

  /** True when present.* outputs stay on the device (GPU provider with IO binding). */
  get kvOnDevice(): boolean {
    return this.runtime.kvOnDevice;
  }

  /** A host-memory copy of a KV cache (a no-op for caches already on the host). */
  async cacheToCpu(cache: KvCache): Promise<KvCache> {
    return cacheToCpu(cache);
  }

  /** Frees the device memory of a KV cache's tensors (a no-op for host tensors). Do not use the cache afterwards. */
  releaseCache(cache: KvCache): void {
    releaseCache(cache);
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
    return emptyCache(this.model.kv, this.config, batch);
  }

  /**
   * Runs the decoder on `ids` ([seq] or [batch][seq], rows of equal length). With `past`, the new positions continue
   * after the cached ones. Returns logits, and optionally the present KV cache and last_hidden_state.
   */
  async forward(ids: number[] | number[][], opts: ForwardOptions = {}): Promise<ForwardResult> {
    return runForward(this.model, ids, opts);
  }

  /**
   * The tied LM-head matrix [vocab, dim] from lm_head.bin (project models only). Throws FeatureUnavailableError for
   * third-party models, which lack it.
   */
  lmHead(): LmHead {
    this.lmHeadCache ??= readLmHead(this.info);
    return this.lmHeadCache;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scoring

  /** Window length and stride for long sequences. */
  windowing(opts: ScoreOptions = {}): { window: number; stride: number } {
    return windowing(this.config.maxPositions, opts);
  }

  /**
   * Splits BOS-prefixed sequences into forward-pass rows: one row per sequence that fits the window, sliding windows
   * (BOS, overlap context, then up to `stride` new tokens) for longer ones, so every token is scored exactly once.
   */
  plan(seqs: number[][], opts: ScoreOptions = {}): ScoringRow[] {
    return planRows(this.bosId, seqs, this.windowing(opts));
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
    await runLogitRows(this, rows, visit, opts);
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
    await runHeadRows(this, rows, k, visit, opts);
  }

  /**
   * Log-probabilities (nats) of ids[1..] for each BOS-prefixed sequence: result[k][i] = log P(seq[i+1] | seq[0..i]).
   * Batched and windowed; the cheapest scoring entry point (used by BLiMP evaluation and ranking).
   */
  async logprobs(seqs: number[][], opts: ScoreOptions & { batchRows?: number } = {}): Promise<Float64Array[]> {
    return logprobs(this, seqs, opts);
  }

  /** Scores one text: per-token NLL, probability, rank, entropy and top-k, plus sequence metrics. */
  async scoreText(text: string, opts: ScoreOptions = {}): Promise<TextScore> {
    return (await this.scoreBatch([text], opts))[0];
  }

  /**
   * Scores several texts in padded batches. Results equal scoring each text alone (up to float rounding).
   */
  async scoreBatch(texts: string[], opts: ScoreOptions & { batchRows?: number } = {}): Promise<TextScore[]> {
    return scoreBatch(this, texts, opts);
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
    return conditionalBatch(this, context, continuations, opts);
  }

  /** Total log-probability (nats) of each text as one sequence after BOS. Batched. */
  async sequenceLogprobs(texts: string[], opts: ScoreOptions & { batchRows?: number } = {}): Promise<number[]> {
    return sequenceLogprobs(this, texts, opts);
  }
}
