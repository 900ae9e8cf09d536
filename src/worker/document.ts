/**
 * Incremental scoring of one document through the engine worker.
 *
 * The document is split into blocks (paragraphs, see ./blocks). Each block is scored after a bounded left context;
 * its cache key is a hash of (context, text), so an edit rescores only the blocks it touches plus the blocks whose
 * left context changed, and every other block's scores come from the cache. Results arrive block by block, so a
 * cancelled pass still fills the cache with what finished.
 *
 * No `vscode` import: the edit benchmark drives this class exactly as the extension does.
 */
import { mergeRanges, overlapsAny, Range, skipRegions } from '../core/markdown';
import type { Span } from '../core/spans';
import { Block, hashKey, leftContext, maskDocument, splitBlocks } from './blocks';
import { EngineClient } from './client';
import { BlockScore, ModelInfo } from './protocol';

export interface ScorerOptions {
  /** Surprisal threshold in bits; 0 or undefined uses the model's calibration (99th percentile). */
  thresholdBits?: number;
  /** Alternatives kept per token (hover, quick fixes). */
  topK?: number;
  /** Characters of left context per block (default from the model's window). */
  contextChars?: number;
  /** Longest block in characters (default from the model's window). */
  maxBlockChars?: number;
  /** Blocks kept in the cache beyond the current ones (undo, typing back and forth). */
  spareBlocks?: number;
}

/** A finding: a flagged span in document offsets. */
export interface Finding {
  start: number;
  end: number;
  text: string;
  kind: Span['kind'];
  /** Surprisal of the span in bits and its probability (2^-bits). */
  bits: number;
  prob: number;
  threshold: number;
  /** The model's preferred alternatives for the span's first token (cleaned), best first. */
  suggestions: string[];
  /** The document range the top suggestion replaces (the span's first word). */
  replaceStart: number;
  replaceEnd: number;
  message: string;
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
  private readonly cache = new Map<string, BlockScore>();
  private opts: ScorerOptions;
  private model: ModelInfo | undefined;
  private last: DocumentResult | undefined;

  private readonly clientOf: () => EngineClient;

  /** `client` may be a getter, so that a restarted engine (a new client) is picked up. */
  constructor(client: EngineClient | (() => EngineClient), opts: ScorerOptions = {}) {
    this.clientOf = typeof client === 'function' ? client : () => client;
    this.opts = opts;
  }

  /** Sets the model the scores come from; a different model clears the cache. */
  setModel(model: ModelInfo): void {
    if (this.model && (this.model.dir !== model.dir || this.model.provider !== model.provider)) this.clear();
    this.model = model;
  }

  setOptions(opts: ScorerOptions): void {
    if (opts.contextChars !== this.opts.contextChars || opts.maxBlockChars !== this.opts.maxBlockChars) this.clear();
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
  }

  private contextChars(): number {
    if (this.opts.contextChars !== undefined) return this.opts.contextChars;
    const w = this.model?.contextLength ?? 512;
    return Math.max(64, Math.min(400, Math.floor(w * 1.5)));
  }

  private maxBlockChars(): number {
    if (this.opts.maxBlockChars !== undefined) return this.opts.maxBlockChars;
    const w = this.model?.contextLength ?? 512;
    return Math.max(200, Math.min(1500, Math.floor(w * 2.5)));
  }

  /**
   * Scores `text`, reusing cached blocks. Rejects with CancelledError if `signal` aborts; blocks finished before
   * the abort stay cached.
   */
  async score(text: string, languageId: string, signal?: AbortSignal): Promise<DocumentResult> {
    const t0 = performance.now();
    const masked = maskDocument(text, languageId);
    const blocks = splitBlocks(masked, this.maxBlockChars());
    const ctxChars = this.contextChars();
    const markdown = languageId === 'markdown';
    const thresholdBits = this.opts.thresholdBits && this.opts.thresholdBits > 0 ? this.opts.thresholdBits : undefined;
    // Span options are part of the key: a block's spans depend on them.
    const variant = `${thresholdBits ?? 'auto'}|${markdown ? 'md' : 'txt'}`;
    const keyed = blocks.map((block) => {
      const context = leftContext(masked, block.start, ctxChars);
      return { block, context, key: hashKey(variant, context, block.text) };
    });
    const missing = new Map<string, { key: string; context: string; text: string }>();
    for (const k of keyed) if (!this.cache.has(k.key)) missing.set(k.key, { key: k.key, context: k.context, text: k.block.text });
    const rescored = missing.size;
    if (missing.size > 0) {
      await this.clientOf().request(
        'score',
        { items: [...missing.values()], topK: this.opts.topK ?? 5, spans: { thresholdBits, markdown } },
        { signal, onPartial: (b) => this.cache.set(b.key, b) },
      );
    }
    // Mark the current blocks as most recent, then trim the oldest beyond the spare allowance.
    const scored: ScoredBlock[] = [];
    for (const k of keyed) {
      const s = this.cache.get(k.key);
      if (!s) continue; // the worker returned nothing for it (cannot happen unless cancelled)
      this.cache.delete(k.key);
      this.cache.set(k.key, s);
      scored.push({ block: k.block, key: k.key, score: s });
    }
    const limit = scored.length + (this.opts.spareBlocks ?? 64);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= limit) break;
      this.cache.delete(key);
    }
    const findings = this.findings(text, markdown, scored);
    let tokens = 0;
    let bits = 0;
    for (const s of scored) {
      tokens += s.score.bits.length;
      for (const b of s.score.bits) bits += b;
    }
    const nllNats = bits * LN2;
    const result: DocumentResult = {
      blocks: scored,
      findings,
      rescored,
      reused: scored.length - rescored,
      tokens,
      nllNats,
      perplexity: tokens ? Math.exp(nllNats / tokens) : NaN,
      ms: performance.now() - t0,
    };
    this.last = result;
    return result;
  }

  private findings(text: string, markdown: boolean, scored: ScoredBlock[]): Finding[] {
    // Document-level skip regions: code fences, directives that span blocks, and so on.
    const skips: Range[] = mergeRanges(skipRegions(text, { markdown }));
    const out: Finding[] = [];
    for (const s of scored) {
      const spans: Span[] = s.score.spans ?? [];
      for (const sp of spans) {
        const start = s.block.start + sp.start;
        const end = s.block.start + sp.end;
        if (overlapsAny(skips, start, end)) continue;
        const word = /^[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*/u.exec(sp.text);
        const replaceEnd = word ? start + word[0].length : end;
        const suggestions = sp.suggestions.filter((x) => /[\p{L}\p{N}]/u.test(x));
        const pref = suggestions[0];
        const message =
          `${sp.kind === 'phrase' ? 'Implausible phrase' : 'Implausible word'} "${sp.text.replace(/\s+/g, ' ')}": ` +
          `${sp.bits.toFixed(1)} bits of surprisal (p = ${formatProb(2 ** -sp.bits)}, threshold ${sp.threshold.toFixed(1)} bits)` +
          (pref ? `; the model prefers "${pref}"` : '');
        out.push({
          start,
          end,
          text: sp.text,
          kind: sp.kind,
          bits: sp.bits,
          prob: 2 ** -sp.bits,
          threshold: sp.threshold,
          suggestions,
          replaceStart: start,
          replaceEnd,
          message,
        });
      }
    }
    return out;
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

/** Sentences of a block: [start, end) ranges cut after . ! ? followed by whitespace (or line breaks). */
export function sentences(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const re = /[^.!?\n]*(?:[.!?]+["')\]’”]*(?=\s|$)|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0].length === 0) {
      if (re.lastIndex >= text.length) break;
      re.lastIndex++;
      continue;
    }
    if (m[0].trim().length > 0) {
      const lead = m[0].length - m[0].trimStart().length;
      out.push({ start: m.index + lead, end: m.index + m[0].trimEnd().length });
    }
  }
  return out;
}

function sentenceAround(text: string, rel: number): { start: number; end: number } {
  const all = sentences(text);
  for (const s of all) if (rel < s.end || s === all[all.length - 1]) return s.start <= rel ? s : { start: rel, end: s.end };
  return { start: 0, end: text.length };
}

export function formatProb(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p >= 0.01) return p.toFixed(2);
  return p.toExponential(1);
}
