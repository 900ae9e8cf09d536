/**
 * The lint pipeline: prepare the document, score its blocks (incrementally: a block's scores are cached by its left
 * context and text, so an edit rescores only the blocks it touches), run every enabled check, and drop findings in
 * skipped regions. The CLI, the language server and the benchmarks all lint through this class.
 */
import type { Engine } from '../engine';
import { sortFindings, type Finding, type Severity } from './finding';
import { overlapsAny } from '../text/markdown';
import { BlockScore, PrefixCache, scoreItemsInGroups } from '../scoring/blockScore';
import type { CheckContext } from './check';
import { blockSizes, prepareDocument, PreparedBlock, PreparedDocument } from './prepare';
import { enabledChecks } from './registry';
import { LintSettings, withDefaults } from './settings';

/** Thrown when a pass is cancelled (a newer edit arrived); blocks scored before stay cached. */
export class LintCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'LintCancelledError';
  }
}

export interface ScoredBlock {
  block: PreparedBlock;
  score: BlockScore;
}

export interface LintResult {
  findings: Finding[];
  blocks: ScoredBlock[];
  /** Blocks scored in this pass, and blocks reused from the cache. */
  rescored: number;
  reused: number;
  tokens: number;
  nllNats: number;
  perplexity: number;
  ms: number;
}

export interface LintOptions {
  signal?: AbortSignal;
  /** Called with each newly scored block (progress reports). */
  onBlock?: (b: BlockScore) => void;
  /** Alternatives kept per token (hovers, candidate words). */
  topK?: number;
  /** Score the blocks but run no checks (a fast first pass for the heatmap and hovers). */
  scoreOnly?: boolean;
  /** Sees every scored candidate edit (calibration). */
  onCandidate?: CheckContext['onCandidate'];
  /** This text as {@link DocumentLinter.prepare} made it (a caller that sized its progress on it). */
  prepared?: PreparedDocument;
}

/** Blocks per batch of a cold pass (checks for cancellation in between). */
const BLOCKS_PER_BATCH = 8;
/** Requests with at most this many new blocks use the KV prefix path (typing). */
const PREFIX_PATH_MAX_BLOCKS = 3;
/** Check results kept beyond those of the current blocks. */
const SPARE_CHECKS = 256;

export class DocumentLinter {
  private readonly scores = new Map<string, BlockScore>();
  private readonly checkCache = new Map<string, unknown>();
  private last: LintResult | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly prefixes: PrefixCache = new PrefixCache(engine),
    /** Blocks kept beyond the current ones (undo, typing back and forth). */
    private readonly spareBlocks = 64,
  ) {}

  get result(): LintResult | undefined {
    return this.last;
  }

  /** Check results kept between passes (per block and per sentence). */
  get cachedChecks(): number {
    return this.checkCache.size;
  }

  get cachedBlocks(): number {
    return this.scores.size;
  }

  clear(): void {
    this.scores.clear();
    this.checkCache.clear();
    this.last = undefined;
  }

  /** Prepares a document with block sizes that fit this engine's window. */
  prepare(text: string, languageId: string): PreparedDocument {
    return prepareDocument(text, languageId, blockSizes(this.engine.maxWindow));
  }

  /** Distinct blocks of a prepared document that a pass would have to score (not cached). */
  unscoredBlocks(doc: PreparedDocument): number {
    return new Set(doc.blocks.filter((b) => !this.scores.has(b.key)).map((b) => b.key)).size;
  }

  async lint(text: string, languageId: string, settings: Partial<LintSettings> = {}, opts: LintOptions = {}): Promise<LintResult> {
    const t0 = performance.now();
    const s = withDefaults(settings);
    const doc = opts.prepared?.text === text && opts.prepared.languageId === languageId ? opts.prepared : this.prepare(text, languageId);
    const k = opts.topK ?? 8;
    const missing = doc.blocks.filter((b, i, all) => !this.scores.has(b.key) && all.findIndex((x) => x.key === b.key) === i);
    await this.scoreBlocks(missing, k, opts);
    const blocks: ScoredBlock[] = [];
    for (const b of doc.blocks) {
      const score = this.scores.get(b.key);
      if (!score) continue;
      this.scores.delete(b.key); // most recent last
      this.scores.set(b.key, score);
      b.score = score;
      blocks.push({ block: b, score });
    }
    this.trim(this.scores, blocks.length + this.spareBlocks);
    const ctx: CheckContext = { engine: this.engine, settings: s, pass: new Map(), cache: this.checkCache, signal: opts.signal, onCandidate: opts.onCandidate };
    const findings: Finding[] = [];
    for (const check of opts.scoreOnly ? [] : enabledChecks(s)) {
      if (opts.signal?.aborted) throw new LintCancelledError();
      const severity: Severity = s.severity[check.id] ?? check.defaultSeverity;
      for (const f of await check.run(doc, ctx)) {
        if (overlapsAny(doc.skips, f.start, f.end)) continue;
        findings.push({ ...f, severity });
      }
    }
    // Per-block and per-sentence check results outlive a pass: keep those of current blocks (refreshed on use, so
    // they are the newest) and a few hundred older ones for undo and typing back and forth.
    this.trim(this.checkCache, blocks.length * 16 + SPARE_CHECKS);
    let tokens = 0;
    let bits = 0;
    for (const b of blocks) {
      tokens += b.score.bits.length;
      for (const x of b.score.bits) bits += x;
    }
    const nllNats = bits * Math.LN2;
    this.last = {
      findings: sortFindings(findings),
      blocks,
      rescored: missing.length,
      reused: blocks.length - missing.length,
      tokens,
      nllNats,
      perplexity: tokens ? Math.exp(nllNats / tokens) : NaN,
      ms: performance.now() - t0,
    };
    return this.last;
  }

  private async scoreBlocks(missing: PreparedBlock[], k: number, opts: LintOptions): Promise<void> {
    const items = missing.map((b) => ({ key: b.key, context: b.context, text: b.text }));
    await scoreItemsInGroups(this.engine, this.prefixes, items, k, {
      batch: BLOCKS_PER_BATCH,
      prefixMaxItems: PREFIX_PATH_MAX_BLOCKS,
      throwIfCancelled: () => {
        if (opts.signal?.aborted) throw new LintCancelledError();
      },
      onBlock: (b) => {
        this.scores.set(b.key, b);
        opts.onBlock?.(b);
      },
    });
  }

  private trim<V>(m: Map<string, V>, limit: number): void {
    for (const key of m.keys()) {
      if (m.size <= limit) break;
      m.delete(key);
    }
  }
}
