/**
 * The toxicity head's benchmark (`npm run bench:toxicity`, also run at the end of `npm run head:toxicity`):
 *
 * - `heldout_macro_f1`: macro-F1 at the head's threshold on the test split of the general-toxicity sources pooled,
 *   with each source's own figure (and the other sources', reported but not pooled);
 * - `insult_recall`: share of a hand-written list of explicit insults and threats that is flagged;
 * - `clean_false_alarm_rate`: share of clean prose sentences from the corpus's valid-* shards that is flagged.
 */
import { readFileSync } from 'node:fs';
import type { ClassifierHead } from './discriminator';
import type { Engine } from '../engine';
import { corpusShards, GENERAL_SOURCES, readToxicityExtra, sampleCleanSentences, ToxicityRow } from './toxicityData';
import { flaggedShare } from './metrics';
import { figuresBySource, SourceFigures } from './toxicityRecipe';

export interface ToxicityBench {
  threshold: number;
  heldout_macro_f1: number;
  per_source: Record<string, SourceFigures>;
  insult_recall: number;
  insults: number;
  clean_false_alarm_rate: number;
  clean_sentences: number;
  /** Clean sentences flagged, for inspection. */
  clean_flagged: string[];
  /** Insults missed, for inspection. */
  insults_missed: string[];
}

/** Lines of an insult list (blank lines and `#` comments left out). */
export function readInsults(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Clean sentences of the valid-* shards that the benchmark uses (the same ones every run). */
export function validCleanSentences(dataDir: string): Promise<ToxicityRow[]> {
  return sampleCleanSentences({ shards: corpusShards(dataDir, 'valid-'), perShard: 500, perDocument: 10, rate: 0.25 });
}

/** Runs the benchmark of a binary head whose unwanted class is `toxic`. */
export async function benchToxicity(
  engine: Engine,
  head: ClassifierHead,
  o: { dataDir: string; insultsPath: string; onProgress?: (what: string) => void },
): Promise<ToxicityBench> {
  const u = head.unwantedIndex ?? head.classIndex('toxic');
  const threshold = head.meta.threshold ?? 0.5;
  const pToxic = async (texts: string[]) => (await head.classify(engine, texts)).map((p) => p[u]);
  const test = (await readToxicityExtra(o.dataDir)).filter((r) => r.split === 'test');
  o.onProgress?.(`test split: ${test.length} rows`);
  const per = figuresBySource(await pToxic(test.map((r) => r.text)), test, threshold);
  const insults = readInsults(o.insultsPath);
  const pi = await pToxic(insults);
  const clean = await validCleanSentences(o.dataDir);
  o.onProgress?.(`clean valid sentences: ${clean.length}`);
  const pc = await pToxic(clean.map((r) => r.text));
  return {
    threshold,
    heldout_macro_f1: per.general.macro_f1,
    per_source: per,
    insult_recall: flaggedShare(pi, threshold),
    insults: insults.length,
    clean_false_alarm_rate: flaggedShare(pc, threshold),
    clean_sentences: clean.length,
    clean_flagged: clean.filter((_, i) => pc[i] >= threshold).map((r) => r.text),
    insults_missed: insults.filter((_, i) => pi[i] < threshold),
  };
}

/** The benchmark's lines: plain fractions, general sources first, clean_false_alarm_rate last. */
export function benchLines(b: ToxicityBench): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'nan');
  const lines = [`threshold=${f(b.threshold)}`, `heldout_macro_f1=${f(b.heldout_macro_f1)}`];
  const others = Object.keys(b.per_source).filter((s) => s !== 'general' && !GENERAL_SOURCES.includes(s));
  for (const s of [...GENERAL_SOURCES, ...others]) {
    const v = b.per_source[s];
    if (v) lines.push(`${s}_macro_f1=${f(v.macro_f1)} ${s}_auroc=${f(v.auroc)} ${s}_ece=${f(v.ece)} ${s}_n=${v.n}`);
  }
  lines.push(`insult_recall=${f(b.insult_recall)}`, `clean_false_alarm_rate=${f(b.clean_false_alarm_rate)}`);
  return lines;
}
