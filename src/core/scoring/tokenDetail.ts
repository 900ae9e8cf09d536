/**
 * What the editor shows about single tokens and a whole document's scores: the token under the cursor (hover, GLTR
 * style) and the token report's histogram, rank buckets and per-sentence perplexity. Pure: scores in, plain data out.
 */
import type { ScoredBlock } from '../lint/linter';
import { escapeMarkdown } from '../lint/describe';
import { splitSentences } from '../text/sentences';

const LN2 = Math.LN2;

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

function sentenceAround(text: string, rel: number): { start: number; end: number } {
  const all = splitSentences(text);
  for (const s of all) if (rel < s.end || s === all[all.length - 1]) return s.start <= rel ? s : { start: rel, end: s.end };
  return { start: 0, end: text.length };
}

/** NLL (nats) and token count of the tokens that start inside [start, end) of a block. */
function spanNll(score: ScoredBlock['score'], start: number, end: number): { nll: number; n: number } {
  let nll = 0;
  let n = 0;
  for (let j = 0; j < score.starts.length; j++) {
    if (score.starts[j] >= start && score.starts[j] < end) {
      nll += score.bits[j] * LN2;
      n++;
    }
  }
  return { nll, n };
}

/** Details of the token at document offset `offset`, or undefined outside every scored token. */
export function tokenAt(blocks: readonly ScoredBlock[], offset: number): TokenDetail | undefined {
  for (const s of blocks) {
    const rel = offset - s.block.start;
    if (rel < 0 || rel > s.block.text.length) continue;
    const sc = s.score;
    const i = sc.starts.findIndex((a, j) => a <= rel && rel < sc.ends[j]);
    if (i < 0) continue;
    const alternatives: TokenDetail['alternatives'] = [];
    for (let j = 0; j < sc.topK; j++) {
      const id = sc.topIds[i * sc.topK + j];
      if (id >= 0) alternatives.push({ text: sc.vocab[id] ?? `#${id}`, prob: sc.topProbs[i * sc.topK + j] });
    }
    const sent = sentenceAround(s.block.text, rel);
    const { nll, n } = spanNll(sc, sent.start, sent.end);
    return {
      start: s.block.start + sc.starts[i],
      end: s.block.start + sc.ends[i],
      bits: sc.bits[i],
      prob: 2 ** -sc.bits[i],
      rank: sc.ranks[i],
      entropyBits: sc.entropy[i] / LN2,
      alternatives,
      sentence: { start: s.block.start + sent.start, end: s.block.start + sent.end, nllNats: nll, tokens: n, perplexity: n ? Math.exp(nll / n) : NaN },
    };
  }
  return undefined;
}

export function formatProb(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p >= 0.01) return p.toFixed(2);
  return p.toExponential(1);
}

/** The hover of a token (`text` is the token's text in the document): how expected it was and what the model expected. */
export function tokenHoverText(text: string, t: TokenDetail, markdown: boolean): string | undefined {
  const word = text.trim();
  if (word === '') return undefined;
  const esc = markdown ? escapeMarkdown : (s: string) => s;
  // Whole words only: a token that starts a word and is made of letters (no fragments, no special tokens).
  const words = t.alternatives
    .filter((a) => /^\s\p{L}[\p{L}'’-]*$/u.test(a.text) && a.text.trim().toLowerCase() !== word.toLowerCase())
    .map((a) => a.text.trim());
  const how = t.rank === 1 ? 'the word the model expected here' : t.prob >= 0.01 ? 'a likely word here' : 'an unexpected word here';
  const lines = [`${markdown ? '**Plausibility**' : 'Plausibility'} · “${esc(word)}” is ${how}.`];
  if (words.length > 0) lines.push(`Words the model expected: ${words.map((w) => `“${esc(w)}”`).join(', ')}`);
  const s = t.sentence;
  const details = [
    `probability ${formatProb(t.prob)} (${t.bits.toFixed(1)} bits)`,
    `rank ${t.rank}`,
    `entropy ${t.entropyBits.toFixed(1)} bits`,
    `sentence perplexity ${Number.isFinite(s.perplexity) ? s.perplexity.toFixed(1) : '–'} over ${s.tokens} tokens`,
  ];
  lines.push(markdown ? `*Details: ${esc(details.join(' · '))}*` : `Details: ${details.join(' · ')}`);
  return lines.join('\n\n');
}

/** The token report of a document (the webview draws it). */
export interface ReportData {
  tokens: number;
  perplexity: number;
  findings: number;
  /** Surprisal histogram in 1-bit bins; the last bin collects everything above. */
  histogram: { from: number; to: number | null; count: number }[];
  ranks: { label: string; count: number }[];
  sentences: { label: string; perplexity: number; tokens: number; line: number }[];
}

const MAX_BITS = 24;

/** The report of scored blocks; `lineAt` maps a document offset to its 0-based line. */
export function buildReport(
  blocks: readonly ScoredBlock[],
  totals: { tokens: number; perplexity: number; findings: number },
  lineAt: (offset: number) => number,
): ReportData {
  const histogram = Array.from({ length: MAX_BITS + 1 }, (_, i) => ({ from: i, to: i < MAX_BITS ? i + 1 : null, count: 0 }));
  const ranks = ['top 10', 'top 100', 'top 1000', 'beyond'].map((label) => ({ label, count: 0 }));
  const sentences: ReportData['sentences'] = [];
  for (const { block, score } of blocks) {
    for (let i = 0; i < score.bits.length; i++) {
      histogram[Math.min(MAX_BITS, Math.max(0, Math.floor(score.bits[i])))].count++;
      const r = score.ranks[i];
      ranks[r <= 10 ? 0 : r <= 100 ? 1 : r <= 1000 ? 2 : 3].count++;
    }
    for (const s of splitSentences(block.text)) {
      const { nll, n } = spanNll(score, s.start, s.end);
      if (n === 0) continue;
      const raw = block.text.slice(s.start, s.end).replace(/\s+/g, ' ');
      sentences.push({ label: raw.length > 80 ? `${raw.slice(0, 77)}…` : raw, perplexity: Math.exp(nll / n), tokens: n, line: lineAt(block.start + s.start) });
    }
  }
  return { ...totals, histogram, ranks, sentences };
}
