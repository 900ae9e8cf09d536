/** Helpers shared by the benchmarks. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  isHeldOutRegistryDoc,
  paragraphChunks,
  proseLabel,
  PYTHON_DOC_LABEL,
  rstProse,
  type TagTestCandidate,
} from '../src/core/scoring/tagTestSet';

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

/** One record of a corpus shard, with its 0-based line number (training's document id is `<source>/<file>/<line>`). */
export interface ShardRecord {
  line: number;
  source: string;
  title: string;
  text: string;
}

/** Every record of a whole corpus shard (xz JSON Lines), read through xz(1). Meant for the small `valid-*` shards. */
export function shardRecords(file: string): ShardRecord[] {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const raw = execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 30 }).toString('utf8');
  const out: ShardRecord[] = [];
  raw.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const rec = JSON.parse(line) as { source?: string; title?: string; text?: string };
    out.push({ line: i, source: rec.source ?? '', title: rec.title ?? '', text: rec.text ?? '' });
  });
  return out;
}

/** The Python documentation sources of Debian's python3.11-doc package (reStructuredText), if installed. */
export const PYTHON_DOC_SOURCES = '/usr/share/doc/python3.11/html/_sources';

/** What {@link tagTestCandidates} found. */
export interface TagTestSources {
  candidates: TagTestCandidate[];
  /** Sources that gave candidates ("enwiki", ..., "python-doc"). */
  available: string[];
  /** Sources looked for and not found. */
  missing: string[];
}

/**
 * Held-out chunks for bench:tags: every document of the prose corpus's `valid-*` shards (never trained on), and the
 * Python docs files that training's split_of keeps out of its train split, cut into 150–200-word chunks at
 * paragraph ends and labelled by source.
 */
export function tagTestCandidates(corpus: string, pythonDoc: string | undefined): TagTestSources {
  const candidates: TagTestCandidate[] = [];
  const available = new Set<string>();
  const missing: string[] = [];
  for (const file of readdirSync(corpus).filter((f) => /^valid-.*\.jsonl\.xz$/.test(f)).sort()) {
    for (const rec of shardRecords(join(corpus, file))) {
      const label = proseLabel(rec.source, rec.title);
      if (!label) continue;
      const doc = `${rec.source}/${file}/${rec.line}`;
      paragraphChunks(rec.text).forEach((text, k) => {
        candidates.push({ id: `${doc}#${k}`, source: rec.source, doc, label, text });
        available.add(rec.source);
      });
    }
  }
  if (pythonDoc && existsSync(pythonDoc)) {
    const files: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(join(dir, e.name), r);
        else if (e.name.endsWith('.rst.txt')) files.push(r);
      }
    };
    walk(pythonDoc, '');
    for (const rel of files.sort()) {
      const doc = `python-doc/${rel}`;
      if (!isHeldOutRegistryDoc(doc)) continue;
      paragraphChunks(rstProse(readFileSync(join(pythonDoc, rel), 'utf8'))).forEach((text, k) => {
        candidates.push({ id: `${doc}#${k}`, source: 'python-doc', doc, label: PYTHON_DOC_LABEL, text });
        available.add('python-doc');
      });
    }
  } else missing.push('python-doc');
  return { candidates, available: [...available].sort(), missing };
}
