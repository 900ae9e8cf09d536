/**
 * The editor's side of incremental linting: it sends the document to the engine worker, which runs the one lint
 * pipeline (src/core/lint: masking, blocks cached by context and text, every check) and answers with the findings
 * and the scores of the blocks this side does not hold yet. This side mirrors block scores by key for the heatmap,
 * the hover and the token report. No masking or scoring runs here.
 *
 * No `vscode` import: the edit benchmark drives this class exactly as the extension does.
 */
import type { Finding } from '../core/lint/finding';
import type { LintSettings } from '../core/lint/settings';
import type { BlockScore } from '../core/scoring/blockScore';
import { splitSentences } from '../core/text/sentences';
import { EngineClient } from './client';
import type { ModelInfo } from './protocol';

export type { Finding } from '../core/lint/finding';

export interface ScorerOptions {
  /** The pipeline's settings (the editor's settings, mapped). */
  lint?: Partial<LintSettings>;
  /** Blocks kept in the mirror beyond the current ones (undo, typing back and forth). */
  spareBlocks?: number;
}

/** A block of the document, with the text it had when scored. */
export interface Block {
  start: number;
  text: string;
}

/** A block with its scores, in document order. */
export interface ScoredBlock {
  block: Block;
  key: string;
  score: BlockScore;
}

export interface DocumentResult {
  blocks: ScoredBlock[];
  findings: Finding[];
  /** Blocks scored in this pass, and blocks reused from the cache. */
  rescored: number;
  reused: number;
  /** Document totals over all scored tokens. */
  tokens: number;
  nllNats: number;
  perplexity: number;
  ms: number;
}

/** Per-token details for the hover. */
export interface TokenDetail {
  start: number;
  end: number;
  bits: number;
  prob: number;
  rank: number;
  entropyBits: number;
  alternatives: { text: string; prob: number }[];
  sentence: { start: number; end: number; nllNats: number; tokens: number; perplexity: number };
}

const LN2 = Math.LN2;

export class DocumentScorer {
  private static ids = 0;
  private readonly cache = new Map<string, BlockScore>();
  private docId = `doc-${++DocumentScorer.ids}`;
  private opts: ScorerOptions;
  private model: ModelInfo | undefined;
  private last: DocumentResult | undefined;

  private readonly clientOf: () => EngineClient;

  /** `client` may be a getter, so that a restarted engine (a new client) is picked up. */
  constructor(client: EngineClient | (() => EngineClient), opts: ScorerOptions = {}) {
    this.clientOf = typeof client === 'function' ? client : () => client;
    this.opts = opts;
  }

  /** Sets the model the scores come from; a different model clears the mirror. */
  setModel(model: ModelInfo): void {
    if (this.model && (this.model.dir !== model.dir || this.model.provider !== model.provider)) this.clear();
    this.model = model;
  }

  setOptions(opts: ScorerOptions): void {
    this.opts = opts;
  }

  /** The latest complete result. */
  get result(): DocumentResult | undefined {
    return this.last;
  }

  get cachedBlocks(): number {
    return this.cache.size;
  }

  clear(): void {
    this.cache.clear();
    this.last = undefined;
    this.docId = `doc-${++DocumentScorer.ids}`; // the worker's caches for the old id age out
  }

  /**
   * Lints `text` (with `scoreOnly`, only scores it). Rejects with CancelledError if `signal` aborts; blocks scored
   * before the abort stay cached in the worker.
   */
  async score(text: string, languageId: string, signal?: AbortSignal, scoreOnly = false): Promise<DocumentResult> {
    const t0 = performance.now();
    const r = await this.clientOf().request(
      'lint',
      { doc: this.docId, text, languageId, settings: this.opts.lint ?? {}, known: [...this.cache.keys()], scoreOnly },
      { signal, onPartial: (b) => this.cache.set(b.key, b) },
    );
    const scored: ScoredBlock[] = [];
    for (const b of r.blocks) {
      const s = this.cache.get(b.key);
      if (!s) continue;
      this.cache.delete(b.key); // most recent last
      this.cache.set(b.key, s);
      scored.push({ block: { start: b.start, text: text.slice(b.start, b.start + b.length) }, key: b.key, score: s });
    }
    const limit = scored.length + (this.opts.spareBlocks ?? 64);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= limit) break;
      this.cache.delete(key);
    }
    const result: DocumentResult = {
      blocks: scored,
      findings: r.findings,
      rescored: r.rescored,
      reused: r.reused,
      tokens: r.tokens,
      nllNats: r.nllNats,
      perplexity: r.perplexity,
      ms: performance.now() - t0,
    };
    this.last = result;
    return result;
  }

  /** Details of the token at document offset `offset` in the latest result (for the hover). */
  tokenAt(offset: number): TokenDetail | undefined {
    const r = this.last;
    if (!r) return undefined;
    for (const s of r.blocks) {
      const rel = offset - s.block.start;
      if (rel < 0 || rel > s.block.text.length) continue;
      const sc = s.score;
      let i = -1;
      for (let j = 0; j < sc.starts.length; j++) {
        if (sc.starts[j] <= rel && rel < sc.ends[j]) {
          i = j;
          break;
        }
      }
      if (i < 0) continue;
      // A whitespace-leading token: point at it anyway (it is the token the model predicted).
      const alternatives: TokenDetail['alternatives'] = [];
      for (let j = 0; j < sc.topK; j++) {
        const id = sc.topIds[i * sc.topK + j];
        if (id < 0) continue;
        alternatives.push({ text: sc.vocab[id] ?? `#${id}`, prob: sc.topProbs[i * sc.topK + j] });
      }
      const sent = sentenceAround(s.block.text, rel);
      let nll = 0;
      let n = 0;
      for (let j = 0; j < sc.starts.length; j++) {
        if (sc.starts[j] >= sent.start && sc.starts[j] < sent.end) {
          nll += sc.bits[j] * LN2;
          n++;
        }
      }
      return {
        start: s.block.start + sc.starts[i],
        end: s.block.start + sc.ends[i],
        bits: sc.bits[i],
        prob: 2 ** -sc.bits[i],
        rank: sc.ranks[i],
        entropyBits: sc.entropy[i] / LN2,
        alternatives,
        sentence: {
          start: s.block.start + sent.start,
          end: s.block.start + sent.end,
          nllNats: nll,
          tokens: n,
          perplexity: n ? Math.exp(nll / n) : NaN,
        },
      };
    }
    return undefined;
  }
}

function sentenceAround(text: string, rel: number): { start: number; end: number } {
  const all = splitSentences(text);
  for (const s of all) if (rel < s.end || s === all[all.length - 1]) return s.start <= rel ? s : { start: rel, end: s.end };
  return { start: 0, end: text.length };
}

export function formatProb(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p >= 0.01) return p.toFixed(2);
  return p.toExponential(1);
}
