/**
 * From token surprisal to flagged word- and phrase-level spans.
 *
 * Calibration (no magic numbers): a token's surprisal (bits) is compared with a threshold taken from the model's
 * surprisal_stats.json (a percentile of the model's surprisal on its validation text, by position bucket), or, for
 * models without stats, from the document's own distribution (robust z-score: median + z * 1.4826 * MAD). The first
 * tokens of a document have little context and are judged against their own position bucket, so they are not
 * flagged merely for coming first.
 *
 * Units are words (letters/digits with inner apostrophes and hyphens) and punctuation runs; a unit's surprisal is the
 * sum of its tokens' bits. A word is flagged when its surprisal exceeds the threshold at its position (plus an
 * allowance for extra tokens of a long word). A phrase is flagged when a run of 3-6 words has a mean token surprisal
 * far above the calibrated mean (z-test on the mean, using the calibrated spread). Adjacent flagged units merge.
 */
import type { Percentiles, SurprisalStats } from '../model/config';
import type { Engine, ScoreOptions, TextScore, TokenScore } from '../engine';
import { mergeRanges, overlapsAny, proseView, skipRegions, SkipRange } from '../text/markdown';

/** Options for {@link findSpans}. */
export interface SpanOptions {
  /** Absolute token threshold in bits. Overrides the percentile calibration (position adjustment still applies). */
  thresholdBits?: number;
  /** Percentile of the model's token surprisal used as threshold (default "99"). */
  percentile?: string;
  /** Calibration source: `model` (surprisal_stats.json, default when present) or `document` (per-document z-scores). */
  calibration?: 'model' | 'document';
  /** One-sided z used for phrase detection (default 3). */
  phraseZ?: number;
  /** Treat the text as Markdown (skip code, front matter, links). Default true. */
  markdown?: boolean;
  /** Max suggestions per span (default 3). */
  suggestions?: number;
}

/** A flagged region. */
export interface Span {
  /** UTF-16 offsets into the text, [start, end). */
  start: number;
  end: number;
  text: string;
  kind: 'word' | 'phrase';
  /** Total surprisal of the span's tokens in bits. */
  bits: number;
  /** Largest single-token surprisal in the span. */
  maxBits: number;
  /** Mean token surprisal in bits. */
  meanBits: number;
  /** The threshold the span was compared against (bits). */
  threshold: number;
  /** How far above threshold: bits / threshold for words, z for phrases. */
  score: number;
  severity: 'warning' | 'info';
  /** Number of tokens. */
  tokens: number;
  /** The model's likelier alternatives for the span's first token. */
  suggestions: string[];
  message: string;
}

/** Calibrated thresholds for one document. */
export interface Calibration {
  source: 'model' | 'document' | 'absolute' | 'default';
  /** Threshold in bits at a 1-based token position. */
  thresholdAt(position: number): number;
  /** Threshold for the severe (warning) level at a position. */
  severeAt(position: number): number;
  /** Typical (median) token surprisal in bits. */
  median: number;
  mean: number;
  std: number;
}

const FALLBACK = { mean: 6, std: 4, median: 5 };

/** Percentile lookup with linear interpolation between stored keys. */
export function percentileOf(p: Percentiles, key: string): number | undefined {
  if (typeof p[key] === 'number') return p[key];
  const want = parseFloat(key);
  const keys = Object.keys(p)
    .map((k) => [parseFloat(k), p[k]] as [number, number])
    .filter(([k, v]) => Number.isFinite(k) && typeof v === 'number')
    .sort((a, b) => a[0] - b[0]);
  if (keys.length === 0) return undefined;
  if (want <= keys[0][0]) return keys[0][1];
  for (let i = 1; i < keys.length; i++) {
    if (want <= keys[i][0]) {
      const [k0, v0] = keys[i - 1];
      const [k1, v1] = keys[i];
      return v0 + ((v1 - v0) * (want - k0)) / (k1 - k0);
    }
  }
  return keys[keys.length - 1][1];
}

/** z for a one-sided upper percentile (e.g. 99 -> 2.326), by inverse normal CDF. */
export function zForPercentile(pct: number): number {
  const p = Math.min(0.999999, Math.max(0.5, pct / 100));
  // Acklam's approximation, upper region.
  const q = Math.sqrt(-2 * Math.log(1 - p));
  const c = [2.515517, 0.802853, 0.010328];
  const d = [1.432788, 0.189269, 0.001308];
  return q - (c[0] + c[1] * q + c[2] * q * q) / (1 + d[0] * q + d[1] * q * q + d[2] * q * q * q);
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Builds thresholds for a document from the model's stats (preferred), the document itself, or an absolute value.
 */
export function calibrate(tokens: TokenScore[], stats: SurprisalStats | undefined, opts: SpanOptions = {}): Calibration {
  const pct = opts.percentile ?? '99';
  const severePct = String(Math.min(99.99, 100 - (100 - parseFloat(pct)) / 10)); // 99 -> 99.9
  const useModel = stats && opts.calibration !== 'document';
  if (useModel && stats) {
    const overall = percentileOf(stats.percentiles, pct) ?? stats.mean + zForPercentile(parseFloat(pct)) * stats.std;
    const overallSevere = percentileOf(stats.percentiles, severePct) ?? overall * 1.2;
    // Only the early, bounded buckets adjust the threshold; the open-ended last bucket is the steady state.
    const bucket = (pos: number) =>
      stats.by_position?.find((b) => typeof b.to === 'number' && pos >= b.from && pos <= b.to);
    const shift = (pos: number, key: string, base: number) => {
      const b = bucket(pos);
      const v = b ? percentileOf(b.percentiles, key) : undefined;
      return v === undefined ? 0 : Math.max(0, v - base);
    };
    const abs = opts.thresholdBits;
    return {
      source: abs !== undefined ? 'absolute' : 'model',
      thresholdAt: (pos) => (abs ?? overall) + shift(pos, pct, overall),
      severeAt: (pos) => Math.max(abs ?? overallSevere, overallSevere) + shift(pos, severePct, overallSevere),
      median: percentileOf(stats.percentiles, '50') ?? stats.mean,
      mean: stats.mean,
      std: stats.std,
    };
  }
  // Per-document robust statistics (tokens with some context only).
  const bits = tokens.filter((t) => t.position > 4 && t.text.trim() !== '').map((t) => t.bits);
  let med = FALLBACK.median;
  let spread = FALLBACK.std;
  let source: Calibration['source'] = 'default';
  if (bits.length >= 30) {
    med = median(bits);
    const mad = median(bits.map((b) => Math.abs(b - med)));
    spread = Math.max(1, 1.4826 * mad);
    source = 'document';
  }
  const z = zForPercentile(parseFloat(pct));
  const zs = zForPercentile(parseFloat(severePct));
  // Positions 1..4 have little context: add the typical excess of early tokens.
  const early = (pos: number) => (pos <= 1 ? spread * 1.5 : pos <= 4 ? spread * 0.5 : 0);
  const abs = opts.thresholdBits;
  return {
    source: abs !== undefined ? 'absolute' : source,
    thresholdAt: (pos) => (abs ?? med + z * spread) + early(pos),
    severeAt: (pos) => Math.max(abs ?? 0, med + zs * spread) + early(pos),
    median: med,
    mean: med,
    std: spread,
  };
}

interface Unit {
  start: number;
  end: number;
  word: boolean;
  tokens: TokenScore[];
}

const WORD_RE = /[\p{L}\p{N}\p{M}]+(?:['’\-][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]+/gu;

function unitsOf(text: string, tokens: TokenScore[]): Unit[] {
  const units: Unit[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(text))) {
    units.push({ start: m.index, end: m.index + m[0].length, word: /[\p{L}\p{N}]/u.test(m[0]), tokens: [] });
  }
  // Assign each token to the unit containing its first non-whitespace character.
  let u = 0;
  for (const t of tokens) {
    let at = t.start;
    if (t.end > t.start) {
      const rel = t.text.search(/\S/);
      if (rel < 0) continue; // whitespace-only token
      at = t.start + rel;
    } else at = Math.max(0, t.start - 1); // empty token (inside a multi-byte character): previous character
    while (u < units.length && units[u].end <= at) u++;
    let k = u;
    while (k > 0 && units[k - 1].end > at) k--;
    if (k < units.length && units[k].start <= at && at < units[k].end) units[k].tokens.push(t);
  }
  return units;
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Finds implausible words and phrases in a scored text. Regions skipped for Markdown (code, front matter, URLs) and
 * disabled by directives are never flagged. Spans are sorted by start and do not overlap.
 */
export function findSpans(score: TextScore, stats: SurprisalStats | undefined, opts: SpanOptions = {}): Span[] {
  const text = score.text;
  const cal = calibrate(score.tokens, stats, opts);
  const skips: SkipRange[] = skipRegions(text, { markdown: opts.markdown });
  const skipMerged = mergeRanges(skips);
  const units = unitsOf(text, score.tokens).filter(
    (u) => u.tokens.length > 0 && !overlapsAny(skipMerged, u.start, u.end),
  );
  const nSug = opts.suggestions ?? 3;
  const flagged: { unit: Unit; bits: number; threshold: number; severe: number }[] = [];
  for (const u of units) {
    if (!u.word) continue;
    const bits = u.tokens.reduce((a, t) => a + t.bits, 0);
    const pos = u.tokens[0].position;
    const threshold = cal.thresholdAt(pos) + (u.tokens.length - 1) * cal.median * 0.5;
    if (bits > threshold) flagged.push({ unit: u, bits, threshold, severe: cal.severeAt(pos) });
  }

  // Phrases: windows of consecutive words whose mean token surprisal is far above the calibrated mean.
  const z = opts.phraseZ ?? 3;
  const words = units.filter((u) => u.word);
  const phraseMarks: { from: number; to: number; z: number; mean: number; n: number }[] = [];
  for (let i = 0; i < words.length; i++) {
    let sum = 0;
    let n = 0;
    for (let len = 1; len <= 6 && i + len - 1 < words.length; len++) {
      const w = words[i + len - 1];
      if (len > 1) {
        // Do not bridge sentence or paragraph breaks.
        const gap = text.slice(words[i + len - 2].end, w.start);
        if (/[.!?]\s|\n\s*\n/.test(gap)) break;
      }
      for (const t of w.tokens) {
        if (t.position <= 4) continue;
        sum += t.bits;
        n++;
      }
      if (len < 3 || n < 3) continue;
      const mean = sum / n;
      const zz = (mean - cal.mean) / (cal.std / Math.sqrt(n));
      if (zz > z) phraseMarks.push({ from: i, to: i + len - 1, z: zz, mean, n });
    }
  }

  // Build spans: merge flagged words and phrase windows into maximal runs.
  const marks: { start: number; end: number; fromPhrase: boolean }[] = [];
  for (const f of flagged) marks.push({ start: f.unit.start, end: f.unit.end, fromPhrase: false });
  for (const p of phraseMarks) marks.push({ start: words[p.from].start, end: words[p.to].end, fromPhrase: true });
  marks.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number; phrase: boolean }[] = [];
  for (const m of marks) {
    const last = merged[merged.length - 1];
    // Merge if overlapping or separated only by whitespace/punctuation within a sentence.
    if (last && (m.start <= last.end || /^[ \t,;:'"’“”()-]*(?:\r?\n|\r)?[ \t]*$/.test(text.slice(last.end, m.start)))) {
      last.end = Math.max(last.end, m.end);
      last.phrase = last.phrase || m.fromPhrase || m.start > last.start;
    } else merged.push({ start: m.start, end: m.end, phrase: m.fromPhrase });
  }

  const spans: Span[] = [];
  for (const r of merged) {
    const inUnits = units.filter((u) => u.start >= r.start && u.end <= r.end);
    const toks = inUnits.flatMap((u) => u.tokens);
    if (toks.length === 0) continue;
    const bits = toks.reduce((a, t) => a + t.bits, 0);
    const maxBits = Math.max(...toks.map((t) => t.bits));
    const meanBits = bits / toks.length;
    const wordFlags = flagged.filter((f) => f.unit.start >= r.start && f.unit.end <= r.end);
    const kind: Span['kind'] = inUnits.filter((u) => u.word).length > 1 ? 'phrase' : 'word';
    let threshold: number;
    let scoreV: number;
    let severe: boolean;
    if (wordFlags.length > 0) {
      const worst = wordFlags.reduce((a, b) => (b.bits / b.threshold > a.bits / a.threshold ? b : a));
      threshold = worst.threshold;
      scoreV = worst.bits / worst.threshold;
      severe = wordFlags.some((f) => f.bits > f.severe);
    } else {
      const ps = phraseMarks.filter((p) => words[p.from].start >= r.start && words[p.to].end <= r.end);
      const best = ps.reduce((a, b) => (b.z > a.z ? b : a), ps[0] ?? { z, mean: meanBits, n: toks.length });
      threshold = cal.mean + (z * cal.std) / Math.sqrt(best.n);
      scoreV = best.z;
      severe = best.z > z * 1.5;
    }
    const first = toks[0];
    const sugg: string[] = [];
    for (const a of first.top) {
      const s = clean(a.token);
      if (/[\p{L}\p{N}]/u.test(s) && !s.includes('\uFFFD') && !/^<\|.*\|>$|^<\/?s>$/.test(s) && !sugg.includes(s) && s !== clean(first.text)) sugg.push(s);
      if (sugg.length >= nSug) break;
    }
    const spanText = text.slice(r.start, r.end);
    const what = kind === 'phrase' ? 'Implausible phrase' : 'Implausible word';
    const detail =
      wordFlags.length > 0
        ? `${bits.toFixed(1)} bits of surprisal, threshold ${threshold.toFixed(1)}`
        : `mean ${meanBits.toFixed(1)} bits/token over ${toks.length} tokens, threshold ${threshold.toFixed(1)}`;
    const expected = sugg.length ? `; the model expected ${sugg.map((s) => `"${s}"`).join(', ')}` : '';
    spans.push({
      start: r.start,
      end: r.end,
      text: spanText,
      kind,
      bits,
      maxBits,
      meanBits,
      threshold,
      score: scoreV,
      severity: severe ? 'warning' : 'info',
      tokens: toks.length,
      suggestions: sugg,
      message: `${what} "${clean(spanText)}" (${detail})${expected}`,
    });
  }
  return spans;
}

/**
 * Scores a document and returns its flagged spans, in the document's own offsets. Soft line breaks inside paragraphs
 * are read as spaces (see {@link proseView}), so hard-wrapped Markdown is judged like flowing prose. This is the
 * one-call entry point for linters (CLI, language server).
 */
export async function lintText(
  engine: Engine,
  text: string,
  opts: SpanOptions & ScoreOptions = {},
): Promise<{ spans: Span[]; score: TextScore; toOriginal: (offset: number) => number }> {
  const view = proseView(text, { markdown: opts.markdown });
  const score = await engine.scoreText(view.text, { topK: opts.topK ?? 5, details: opts.details ?? false, window: opts.window, stride: opts.stride });
  const spans = findSpans(score, engine.stats, opts);
  if (!view.identity) {
    for (const s of spans) {
      s.start = view.toOriginal(s.start);
      s.end = view.toOriginal(s.end);
      s.text = text.slice(s.start, s.end);
    }
  }
  return { spans, score, toOriginal: view.toOriginal };
}
