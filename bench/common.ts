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
