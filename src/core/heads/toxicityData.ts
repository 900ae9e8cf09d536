/**
 * Training and evaluation data of the toxicity head (`npm run head:toxicity`, `npm run bench:toxicity`):
 *
 * - the labelled sources of `<data>/toxicity-extra/` (and its one-class `extra-negatives/`), split by the hash rule
 *   of its README (sha256 of the NFKC, case-folded, whitespace-joined text: buckets 0-7 train, 8 dev, 9 test);
 * - the Davidson tweets of `<data>/toxicity/` (classes 0 and 1 toxic, 2 not), split by the same rule;
 * - clean prose sentences from the corpus shards (`<data>/corpus/*.jsonl.xz`) as non-toxic, sampled by a hash so
 *   that every run takes the same ones; the same rule splits them into train / dev / test;
 * - optionally, the templated contrast sentences of `training/toxicity/contrast.csv` (threats, insults and hateful
 *   statements about groups beside harmless sentences in the same frames), training rows only.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readLabeledFile } from './dataset';
import { InputError } from '../errors';
import { hasContentWord, splitSentences } from '../text/proseSentences';

export type HashSplit = 'train' | 'dev' | 'test';

/** One example: label 1 = toxic, 0 = non-toxic. */
export interface ToxicityRow {
  text: string;
  label: 0 | 1;
  source: string;
  split: HashSplit;
}

/** Sources whose "toxic" is general toxicity (rude, insulting, obscene, threatening or hateful): the headline F1. */
export const GENERAL_SOURCES = ['wikipedia_jigsaw', 'wikipedia_talk_toxicity', 'hatexplain', 'convabuse'];
/** Sources whose "toxic" is hate speech only (an attack on a group). */
export const HATE_SOURCES = ['stormfront_hate', 'fox_news_comments', 'toxigen_demonstrations'];
export const DAVIDSON = 'davidson_tweets';
export const EXTRA_NEGATIVES = 'wikipedia_identity_sentences';
export const CLEAN_PROSE = 'clean_prose';
export const CONTRAST = 'contrast';

// Python's str.split() whitespace (JS \s differs on U+001C-001F, U+0085 and U+FEFF).
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const FOLD: Record<string, string> = { ß: 'ss', ẞ: 'ss', ς: 'σ', ϐ: 'β', ϑ: 'θ', ϕ: 'φ', ϖ: 'π', ϰ: 'κ', ϱ: 'ρ', ϵ: 'ε', ẛ: 'ṡ' };

/** The README's dedup key: NFKC, case-folded (toLowerCase plus Python's full foldings that differ), whitespace-joined. */
export function dedupKey(text: string): string {
  const folded = text.normalize('NFKC').toLowerCase().replace(/[ßẞςϐϑϕϖϰϱϵẛ]/g, (c) => FOLD[c]);
  return folded.split(PY_SPACE).filter(Boolean).join(' ');
}

/** The README's split rule: sha256(key), first 8 hex digits mod 10: 0-7 train, 8 dev, 9 test. */
export function hashSplit(text: string): HashSplit {
  const b = parseInt(createHash('sha256').update(dedupKey(text), 'utf8').digest('hex').slice(0, 8), 16) % 10;
  return b < 8 ? 'train' : b === 8 ? 'dev' : 'test';
}

/** A number in [0, 1) fixed by the text (and a salt): the same text is always sampled alike. */
export function hashUnit(salt: string, text: string): number {
  return parseInt(createHash('sha256').update(`${salt}|${text}`, 'utf8').digest('hex').slice(0, 8), 16) / 0x100000000;
}

/** Reads one `text,label,source` file of toxicity-extra; `source` is the file's stem. */
export async function readToxicityCsv(path: string, source: string): Promise<ToxicityRow[]> {
  const read = await readLabeledFile(path, { textCol: 'text', labelCol: 'label', maxRowBytes: 100_000 });
  return read.rows
    .filter((r) => r.label === 'toxic' || r.label === 'non-toxic')
    .map((r) => ({ text: r.text, label: r.label === 'toxic' ? 1 : 0, source, split: hashSplit(r.text) }));
}

/** Every labelled source of `<dataDir>/toxicity-extra/` (top-level files and extra-negatives). */
export async function readToxicityExtra(dataDir: string): Promise<ToxicityRow[]> {
  const dir = join(dataDir, 'toxicity-extra');
  if (!existsSync(dir)) throw new InputError(`no toxicity data at ${dir}`, 'ENOENT');
  const out: ToxicityRow[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort())
    out.push(...(await readToxicityCsv(join(dir, f), f.replace(/\.csv$/, ''))));
  const neg = join(dir, 'extra-negatives', `${EXTRA_NEGATIVES}.csv`);
  if (existsSync(neg)) out.push(...(await readToxicityCsv(neg, EXTRA_NEGATIVES)));
  return out;
}

/**
 * The contrast sentences (`text,label,source` like toxicity-extra): all training rows, since they are templated and a
 * dev or test row would share its frame with training rows. make_contrast.py never draws a line of the dev or test
 * lists into them.
 */
export async function readContrast(path: string): Promise<ToxicityRow[]> {
  return (await readToxicityCsv(path, CONTRAST)).map((r) => ({ ...r, split: 'train' }));
}

/** The Davidson tweets (`class` 0 hate and 1 offensive: toxic; 2 neither: non-toxic). */
export async function readDavidson(dataDir: string): Promise<ToxicityRow[]> {
  const p = join(dataDir, 'toxicity', 'davidson_labeled_data.csv');
  const read = await readLabeledFile(p, { textCol: 'tweet', labelCol: 'class' });
  return read.rows
    .filter((r) => ['0', '1', '2'].includes(r.label))
    .map((r) => ({ text: r.text, label: r.label === '2' ? 0 : 1, source: DAVIDSON, split: hashSplit(r.text) }));
}

export interface CleanSampleOptions {
  /** Shard files, e.g. the `train-*` ones. */
  shards: string[];
  /** Sentences taken per shard. */
  perShard: number;
  /** At most this many per document, so that a long book does not fill a shard's share. */
  perDocument: number;
  /** Share of a document's eligible sentences kept (by hash), so that samples spread over the document. */
  rate?: number;
  /** Sentences longer than this many characters are left out. */
  maxChars?: number;
}

/**
 * Clean prose sentences from corpus shards (xz JSON Lines, read with `xz -dc` and stopped once a shard's share is
 * taken): sentences with a content word, kept by a salted hash, each shard's share spread over its documents.
 */
export async function sampleCleanSentences(o: CleanSampleOptions): Promise<ToxicityRow[]> {
  const out: ToxicityRow[] = [];
  const rate = o.rate ?? 0.1;
  const maxChars = o.maxChars ?? 400;
  for (const shard of o.shards) {
    if (!existsSync(shard)) throw new InputError(`no corpus shard at ${shard}`, 'ENOENT');
    const xz = spawn('xz', ['-dc', shard], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: xz.stdout, crlfDelay: Infinity });
    let taken = 0;
    try {
      for await (const line of lines) {
        if (!line) continue;
        const doc = JSON.parse(line) as { text?: string };
        let inDoc = 0;
        for (const s of splitSentences(doc.text ?? '')) {
          const t = s.text.replace(/\s+/g, ' ');
          if (t.length > maxChars || !hasContentWord(t) || hashUnit('clean', t) >= rate) continue;
          out.push({ text: t, label: 0, source: CLEAN_PROSE, split: hashSplit(t) });
          if (++taken >= o.perShard || ++inDoc >= o.perDocument) break;
        }
        if (taken >= o.perShard) break;
      }
    } finally {
      lines.close();
      xz.kill();
    }
  }
  return out;
}

/** Corpus shards by prefix (`train-` or `valid-`), sorted. */
export function corpusShards(dataDir: string, prefix: 'train-' | 'valid-'): string[] {
  const dir = join(dataDir, 'corpus');
  if (!existsSync(dir)) throw new InputError(`no corpus at ${dir}`, 'ENOENT');
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl.xz'))
    .sort()
    .map((f) => join(dir, f));
}
