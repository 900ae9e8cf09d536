/**
 * Collects, for margin calibration, the best (gain - cost) in bits of each edit kind for every sentence of:
 * the gec-dev pairs (sources and corrections) and clean sentences from the prose corpus's train-* shards.
 *   node dist/scripts/edit-gains.js GEC.jsonl CORPUS_DIR OUT.json [cleanSentences]
 * scripts/calibrate-margins.py then picks one margin per kind (see the model card).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Engine } from '../src/core/engine';
import { DocumentLinter } from '../src/core/lint/linter';
import { splitSentences } from '../src/core/text/sentences';
import { DOUBLED_BY_DESIGN } from '../src/core/lint/edits/proposals';

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

async function gains(engine: Engine, text: string, keep = false): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  await new DocumentLinter(engine).lint(text, 'plaintext', {}, {
    onCandidate: (c) => {
      const v = c.gainBits - c.cost;
      if (!(c.kind in best) || v > best[c.kind]) best[c.kind] = v;
      if (keep && v > 6) examples.push({ kind: c.kind, score: Math.round(v * 10) / 10, from: c.from, to: c.to, sentence: c.sentence });
    },
  });
  return best;
}

async function main(): Promise<void> {
  const [gec, corpus, out, nClean] = process.argv.slice(2);
  const engine = await Engine.load(process.env.MODEL ?? 'models/default', { threads: 2 });
  const recs = readFileSync(gec, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.source !== r.references[0] && !hasSlipRepeat(r.references[0]));
  const pairs: { source: Record<string, number>; correction: Record<string, number>; words: number }[] = [];
  for (const r of recs) pairs.push({ source: await gains(engine, r.source), correction: await gains(engine, r.references[0]), words: r.references[0].split(/\s+/).length });
  process.stderr.write(`pairs ${pairs.length}\n`);
  // Clean sentences: every 7th paragraph of the train shards, in shard order, until nClean sentences.
  const clean: { gains: Record<string, number>; words: number }[] = [];
  const want = Number(nClean ?? 1500);
  const shards = readdirSync(corpus).filter((f) => /^train-(enwiki|wikinews|gutenberg|simplewiki)-00\.jsonl\.xz$/.test(f)).sort();
  const perShard = Math.ceil(want / shards.length);
  for (const f of shards) {
    const lines = execFileSync('sh', ['-c', `xz -dc '${join(corpus, f)}' | head -c 3000000`], { maxBuffer: 64 << 20 }).toString().split('\n');
    let taken = 0;
    let para = 0;
    for (const line of lines) {
      if (taken >= perShard) break;
      let doc: { text: string };
      try {
        doc = JSON.parse(line);
      } catch {
        continue;
      }
      for (const p of doc.text.split('\n\n')) {
        if (taken >= perShard) break;
        if (para++ % 7 !== 0) continue;
        for (const s of splitSentences(p).slice(0, 2)) {
          const t = p.slice(s.start, s.end);
          if (t.split(/\s+/).length < 5 || hasSlipRepeat(t)) continue;
          clean.push({ gains: await gains(engine, t, true), words: t.split(/\s+/).length });
          taken++;
        }
      }
    }
    process.stderr.write(`${f}: ${taken}\n`);
  }
  writeFileSync(out, JSON.stringify({ pairs, clean, examples }));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
