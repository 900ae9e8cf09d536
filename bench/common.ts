/** Helpers shared by the benchmarks. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The value after `--name` on the command line, or `def`. */
export function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const ROOT = resolve(__dirname, '..', '..');

/** ../shared/data/blimp-dev beside the project, if present. */
export function blimpDir(): string | undefined {
  return [join(ROOT, '..', 'shared', 'data', 'blimp-dev'), '/work/shared/data/blimp-dev'].find((d) => existsSync(d));
}

/**
 * The scoring benchmarks' text (bench:score and bench:roofline use the same one): `--text FILE`, or the
 * BLiMP-dev good sentences interleaved across paradigms, 8 per paragraph.
 */
export function benchText(): string {
  const file = arg('text');
  if (file) return readFileSync(file, 'utf8');
  const dir = blimpDir();
  if (!dir) throw new Error('no --text FILE given and ../shared/data/blimp-dev not found');
  const sents: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.trim()) sents.push((JSON.parse(line) as { sentence_good: string }).sentence_good);
    }
  }
  const out: string[] = [];
  const stride = 997;
  for (let i = 0, k = 0; i < sents.length; i++, k = (k + stride) % sents.length) out.push(sents[k]);
  const paras: string[] = [];
  for (let i = 0; i < out.length; i += 8) paras.push(out.slice(i, i + 8).join(' '));
  return paras.join('\n\n');
}

/** ../shared/data/corpus beside the project, if present. */
export function corpusDir(): string | undefined {
  return [join(ROOT, '..', 'shared', 'data', 'corpus'), '/work/shared/data/corpus'].find((d) => existsSync(d));
}

/**
 * The first `words` words of a corpus shard's documents (xz JSON Lines), as documents cut at paragraph ends.
 * Reads through xz(1) and stops early, so a large shard costs only what is read.
 */
export function shardDocuments(file: string, words: number): { title: string; text: string }[] {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  // 40 bytes a word is plenty: read that much decompressed text, not the whole shard.
  const raw = execFileSync('sh', ['-c', `xz -dc '${file.replace(/'/g, "'\\''")}' | head -c ${words * 40 + 4_000_000}`], {
    maxBuffer: 1 << 28,
  }).toString('utf8');
  const out: { title: string; text: string }[] = [];
  let left = words;
  for (const line of raw.split('\n')) {
    if (left <= 0) break;
    let rec: { title?: string; text?: string };
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // the last, cut line
    }
    const paras: string[] = [];
    for (const p of (rec.text ?? '').split('\n\n')) {
      if (left <= 0) break;
      paras.push(p);
      left -= p.split(/\s+/).filter(Boolean).length;
    }
    if (paras.length) out.push({ title: rec.title ?? '', text: paras.join('\n\n') });
  }
  return out;
}
