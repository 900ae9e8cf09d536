/**
 * Collects, for margin calibration, the best (gain - cost) in bits of each edit kind for every sentence of:
 * the gec-dev pairs (sources and corrections, each linted alone, as eval detect does) and clean documents of the prose
 * corpus's train-* shards (linted whole, as bench:clean and the editor do).
 *   node dist/scripts/edit-gains.js GEC.jsonl CORPUS_DIR OUT.json [cleanWords]
 * scripts/calibrate-margins.py then picks one margin per kind (see the model card).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Engine } from '../src/core/engine';
import { DocumentLinter } from '../src/core/lint/linter';
import { DOUBLED_BY_DESIGN } from '../src/core/lint/edits/proposals';
import { wordsUsedAgain } from '../src/core/lint/edits/runner';

/**
 * A word written twice in a row ("bearing the the classical form", a correction that kept "must must") is a slip the
 * reference text still holds: such sentences are not counted as clean or corrected text.
 */
function hasSlipRepeat(t: string): boolean {
  for (const m of t.matchAll(/\b(\p{L}+)\s+\1\b/giu)) if (!DOUBLED_BY_DESIGN.has(m[1].toLowerCase())) return true;
  return false;
}

/** Candidates that came close to passing, for reading (clean sentences only). */
const examples: { kind: string; score: number; from: string; to: string; sentence: string }[] = [];

type Candidate = { kind: string; gainBits: number; cost: number };

/** Keeps the candidate's (gain - cost) in `best` if it is the best of its kind so far; returns that value. */
function keepBest(best: Record<string, number>, c: Candidate): number {
  const v = c.gainBits - c.cost;
  if (!(c.kind in best) || v > best[c.kind]) best[c.kind] = v;
  return v;
}

async function gains(engine: Engine, text: string): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  await new DocumentLinter(engine).lint(text, 'plaintext', {}, { onCandidate: (c) => keepBest(best, c) });
  return best;
}

/** Longest clean document linted whole (bench:clean's documents are whole articles; most are shorter). */
const DOC_WORDS = 1500;

/**
 * Best (gain - cost) of each kind for every sentence of a document linted whole. A spelling candidate for a word the
 * document uses more than once is left out, as the linter leaves its finding out.
 */
async function documentGains(engine: Engine, text: string): Promise<Map<string, Record<string, number>>> {
  const usedAgain = wordsUsedAgain(text);
  const out = new Map<string, Record<string, number>>();
  await new DocumentLinter(engine).lint(text, 'plaintext', {}, {
    onCandidate: (c) => {
      if (c.kind === 'spelling' && usedAgain.has(c.from.toLowerCase())) return;
      const best = out.get(c.sentence) ?? {};
      const v = keepBest(best, c);
      out.set(c.sentence, best);
      if (v > 6) examples.push({ kind: c.kind, score: Math.round(v * 10) / 10, from: c.from, to: c.to, sentence: c.sentence });
    },
  });
  return out;
}

async function main(): Promise<void> {
  const [gec, corpus, out, nWords] = process.argv.slice(2);
  const engine = await Engine.load(process.env.MODEL ?? 'models/default', { threads: 2 });
  const recs = readFileSync(gec, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.source !== r.references[0] && !hasSlipRepeat(r.references[0]));
  const pairs: { source: Record<string, number>; correction: Record<string, number>; words: number }[] = [];
  for (const r of recs) pairs.push({ source: await gains(engine, r.source), correction: await gains(engine, r.references[0]), words: r.references[0].split(/\s+/).length });
  process.stderr.write(`pairs ${pairs.length}\n`);
  // Clean prose in its documents' context, as bench:clean and the editor lint it: every 5th document of the train
  // shards, whole or in parts of up to DOC_WORDS words cut at paragraphs, until nWords words. Each sentence with candidates is one
  // entry; the sentences without any are one entry of words only, so that flags per 1,000 words come out right.
  const clean: { gains: Record<string, number>; words: number }[] = [];
  const want = Number(nWords ?? 60000);
  const shards = readdirSync(corpus).filter((f) => /^train-(enwiki|enwiki_recent|wikinews|gutenberg|simplewiki)-00\.jsonl\.xz$/.test(f)).sort();
  const perShard = Math.ceil(want / shards.length);
  const countWords = (t: string) => t.split(/\s+/).filter(Boolean).length;
  for (const f of shards) {
    const lines = execFileSync('sh', ['-c', `xz -dc '${join(corpus, f)}' | head -c 6000000`], { maxBuffer: 64 << 20 }).toString().split('\n');
    let taken = 0;
    let docs = 0;
    for (const line of lines) {
      if (taken >= perShard) break;
      let doc: { text: string };
      try {
        doc = JSON.parse(line);
      } catch {
        continue;
      }
      // A long document (a book) is linted in parts of at most DOC_WORDS words; every 5th part is taken.
      const parts: string[] = [];
      let text = '';
      for (const p of doc.text.split('\n\n')) {
        if (text && countWords(text) + countWords(p) > DOC_WORDS) {
          parts.push(text);
          text = '';
        }
        text = text ? `${text}\n\n${p}` : p;
      }
      if (text) parts.push(text);
      for (const part of parts) {
        if (docs++ % 5 !== 0 || taken >= perShard || hasSlipRepeat(part)) continue;
        const words = countWords(part);
        let left = words;
        for (const [sentence, g] of await documentGains(engine, part)) {
          const w = countWords(sentence);
          clean.push({ gains: g, words: w });
          left -= w;
        }
        clean.push({ gains: {}, words: Math.max(0, left) });
        taken += words;
      }
    }
    process.stderr.write(`${f}: ${taken} words\n`);
  }
  writeFileSync(out, JSON.stringify({ pairs, clean, examples }));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
