/**
 * `npm run bench:tags`: zero-shot classification into writing tags with the conditionally pretrained model.
 *
 * Test set (built here, deterministically, from held-out text; nothing under training/work is read):
 *   - the prose corpus's `valid-*` shards (../shared/data/corpus; training reads only `train-*`), labelled by source
 *     as training tags them: enwiki, enwiki_recent -> encyclopedic; simplewiki, onestopenglish -> simple English;
 *     wikinews -> news; gutenberg -> fiction (minus the titles training tags "essay");
 *   - the Python docs (/usr/share/doc/python3.11/html/_sources, `apt-get install -y python3.11-doc`) files that
 *     training's split_of holds out (SHA-256 hash of "python-doc/<path>" < 0.08: its test and validation splits)
 *     -> technical documentation.
 * Documents are cut into 150–200-word chunks at paragraph ends; each label gets the same number of chunks
 * (--per-tag, default 100), its sources and documents taking turns (src/core/scoring/tagTestSet.ts).
 *
 * Each text is classified by argmax over the test set's labels of log P(text | "Tags: [label]" header), every label
 * scored on exactly the same text tokens (cut to fit one window after the longest header). The set is balanced, so
 * the majority baseline equals chance (1 / labels).
 *
 * Prints key=value lines: sources, per-tag `accuracy_<tag>`, `texts`, `tags`, `seconds`, `majority_accuracy`,
 * `tag_accuracy` and last `tag_accuracy_over_chance`. Exit 2 without the prose corpus.
 *
 * Options: --model DIR, --corpus DIR, --python-doc DIR, --per-tag N, --threads N (default 2).
 */
import { existsSync } from 'node:fs';
import { Engine, formatHeader, headerIds, loadConditioning } from '../src/core';
import { targetLogprob } from '../src/core/scoring/math';
import { defaultModelDir } from '../src/core/model/paths';
import { balancedTagTestSet, sameTokenRows } from '../src/core/scoring/tagTestSet';

import { arg, corpusDir, PYTHON_DOC_SOURCES, tagTestCandidates } from './common';

const key = (tag: string) => tag.replace(/ /g, '_');

async function main(): Promise<number> {
  const corpus = arg('corpus') ?? corpusDir();
  if (!corpus || !existsSync(corpus)) {
    console.error(
      'bench:tags: the prose corpus ../shared/data/corpus (its valid-*.jsonl.xz shards) was not found; ' +
        'place it beside the project or pass --corpus DIR.',
    );
    return 2;
  }
  const pythonDoc = arg('python-doc', PYTHON_DOC_SOURCES);
  const perTag = Number(arg('per-tag', '100'));
  const found = tagTestCandidates(corpus, pythonDoc);
  if (found.missing.includes('python-doc'))
    console.error(`bench:tags: no Python docs at ${pythonDoc}: "technical documentation" is left out (install: apt-get install -y python3.11-doc)`);
  const set = balancedTagTestSet(found.candidates, perTag);
  for (const s of set.tooSmall) console.error(`bench:tags: "${s.label}" left out: ${s.available} held-out chunks, ${perTag} needed`);
  if (set.labels.length < 2) {
    console.error('bench:tags: fewer than two tags have enough held-out text to classify');
    return 2;
  }
  if (set.labels.length < 5) console.error(`bench:tags: only ${set.labels.length} tags (the benchmark asks for at least 5)`);

  const modelDir = arg('model') ?? defaultModelDir(__dirname);
  const engine = await Engine.load(modelDir, { intraOpNumThreads: Number(arg('threads', '2')), interOpNumThreads: 1 });
  const cond = loadConditioning(engine.info.modelDir);
  const known = new Set(cond.tags.map((t) => t.toLowerCase()));
  const headers = set.labels.map((t) => headerIds(engine, formatHeader(cond, { tags: [t] })));

  const t0 = performance.now();
  const perLabel = new Map(set.labels.map((l) => [l, { n: 0, ok: 0, predicted: new Map<string, number>() }]));
  let correct = 0;
  let scoredTokens = 0;
  // Several texts per engine call: one row per (text, candidate).
  const group = 8;
  for (let start = 0; start < set.texts.length; start += group) {
    const texts = set.texts.slice(start, start + group);
    const sums = texts.map(() => new Float64Array(set.labels.length));
    const rows = texts.flatMap((t, i) => {
      const { rows: r, textIds } = sameTokenRows(engine.bosId, headers, engine.encode(t.text.trim()), engine.config.maxPositions);
      scoredTokens += textIds.length;
      return r.map((row) => ({ ...row, seq: i * set.labels.length + row.seq }));
    });
    await engine.runRows(rows, (row, logits, base, V) => {
      let s = 0;
      for (let p = row.first; p < row.ids.length; p++) s += targetLogprob(logits, base + (p - 1) * V, V, row.ids[p]);
      sums[Math.floor(row.seq / set.labels.length)][row.seq % set.labels.length] += s;
    });
    texts.forEach((t, i) => {
      let best = 0;
      for (let k = 1; k < set.labels.length; k++) if (sums[i][k] > sums[i][best]) best = k;
      const pred = set.labels[best];
      const stat = perLabel.get(t.label)!;
      stat.n++;
      stat.predicted.set(pred, (stat.predicted.get(pred) ?? 0) + 1);
      if (pred === t.label) {
        stat.ok++;
        correct++;
      }
    });
    const done = Math.min(start + group, set.texts.length);
    if (done % 40 === 0) console.error(`bench:tags: ${done}/${set.texts.length} texts, accuracy so far ${(correct / done).toFixed(3)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const accuracy = correct / set.texts.length;
  const chance = 1 / set.labels.length;

  console.log(`model=${engine.info.modelDir}`);
  console.log(`sources=${found.available.join(',')}`);
  if (found.missing.length) console.log(`sources_missing=${found.missing.join(',')}`);
  const unknown = set.labels.filter((l) => !known.has(l.toLowerCase()));
  if (unknown.length) console.log(`tags_unknown_to_model=${unknown.map(key).join(',')}`);
  for (const [label, s] of perLabel) {
    console.log(`accuracy_${key(label)}=${(s.ok / s.n).toFixed(3)}`);
    const predicted = [...s.predicted].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${key(p)}:${n}`);
    console.log(`predicted_for_${key(label)}=${predicted.join(',')}`);
  }
  console.log(`texts=${set.texts.length}`);
  console.log(`texts_per_tag=${perTag}`);
  console.log(`tags=${set.labels.length}`);
  console.log(`mean_text_tokens=${(scoredTokens / set.texts.length).toFixed(1)}`);
  console.log(`seconds=${seconds.toFixed(1)}`);
  console.log(`chance=${chance.toFixed(4)}`);
  // Balanced set: always answering one tag is right for exactly one tag's share.
  console.log(`majority_accuracy=${(Math.max(...[...perLabel.values()].map((s) => s.n)) / set.texts.length).toFixed(4)}`);
  console.log(`tag_accuracy=${accuracy.toFixed(4)}`);
  console.log(`tag_accuracy_over_chance=${(accuracy / chance).toFixed(3)}`);
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
