/**
 * `npm run bench:edit`: latency of incremental rescoring after a one-word edit, through the same worker, protocol
 * and incremental document scorer the extension uses (no VS Code).
 *
 * A 5,000-word document is scored from scratch (full rescore), then a one-word edit is made in the middle, many
 * times, each with a different word, and the time until the updated findings are ready is measured. The main
 * thread's event-loop delay is monitored throughout with monitorEventLoopDelay.
 *
 * Prints `p50_ms=N`, `p95_ms=N` (incremental), `max_event_loop_delay_ms=N`, and last `edit_speedup=X`
 * (median full rescore / median incremental rescore).
 *
 * Options: --model DIR (default: the bundled model), --words N (default 5000), --edits N (default 40),
 * --threads N (worker intra-op threads, default half the cores).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { defaultModelDir } from '../src/core/model/paths';
import { EngineClient } from '../src/worker/client';
import { DocumentScorer } from '../src/worker/document';

import { arg } from './common';

import { mulberry32 as rng } from '../src/core/scoring/math';

const SUBJECTS = [
  'The committee', 'Our team', 'The old farmer', 'A young doctor', 'The city council', 'My neighbour', 'The author',
  'Every student', 'The small company', 'The river', 'Her brother', 'The museum', 'The new manager', 'The children',
  'A quiet engineer', 'The local paper', 'The orchestra', 'His grandmother', 'The village', 'The research group',
];
const VERBS = [
  'reviewed', 'described', 'visited', 'changed', 'questioned', 'supported', 'ignored', 'published', 'repaired',
  'discovered', 'explained', 'remembered', 'planned', 'opened', 'followed', 'measured', 'protected', 'carried',
];
const OBJECTS = [
  'the proposal', 'a long report', 'the harbour', 'the garden behind the house', 'an unusual plan', 'the budget',
  'the results of the survey', 'the road to the north', 'a simple question', 'the history of the town',
  'the broken bridge', 'the evening train', 'a letter from the mayor', 'the winter schedule', 'the library',
];
const TAILS = [
  'before the meeting', 'after a long week', 'with great care', 'in the spring', 'without much help',
  'for the first time', 'during the storm', 'at the end of the day', 'despite the cost', 'on Tuesday morning',
  'because nobody else would', 'as everyone expected', 'in less than an hour', 'while the others waited',
];

/** A deterministic document of about `words` words in paragraphs of 60-140 words. No two paragraphs repeat. */
function makeDocument(words: number, seed = 42): string {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const paras: string[] = [];
  let count = 0;
  let n = 0;
  while (count < words) {
    const target = 60 + Math.floor(r() * 80);
    const sents: string[] = [];
    let w = 0;
    while (w < target) {
      let s = `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TAILS)}`;
      if (r() < 0.4) s += `, and ${pick(SUBJECTS).toLowerCase()} ${pick(VERBS)} ${pick(OBJECTS)}`;
      s += '.';
      sents.push(s);
      w += s.split(/\s+/).length;
    }
    n++;
    paras.push(sents.join(' '));
    count += w;
  }
  void n;
  return paras.join('\n\n') + '\n';
}

const REPLACEMENTS = [
  'ancient', 'curious', 'silent', 'golden', 'narrow', 'distant', 'careful', 'bright', 'hidden', 'gentle', 'empty',
  'famous', 'broken', 'sudden', 'frozen', 'wooden', 'modern', 'honest', 'hollow', 'patient', 'bitter', 'clever',
  'rapid', 'humble', 'steady', 'vivid', 'loyal', 'pale', 'rough', 'proud', 'brave', 'calm', 'eager', 'fierce',
  'grand', 'merry', 'noble', 'plain', 'quick', 'rare', 'sharp', 'tidy', 'vast', 'warm', 'wild', 'young', 'bold',
  'crisp', 'dusty', 'faint',
];

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function main(): Promise<void> {
  const modelDir = arg('model') ?? process.env.PLAUSIBILITY_MODEL ?? defaultModelDir(__dirname);
  const words = Number(arg('words', '5000'));
  const edits = Number(arg('edits', '40'));
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const doc = makeDocument(words);
  const client = new EngineClient({ workerPath: join(__dirname, '..', 'worker.js') });
  const info = await client.load({ modelDir, executionProvider: 'cpu', threads });
  const scorer = new DocumentScorer(client);
  scorer.setModel(info);
  console.log(
    `model=${info.dir} provider=${info.provider} window=${info.contextLength} words=${doc.split(/\s+/).filter(Boolean).length} chars=${doc.length}`,
  );

  // Warm-up (not measured): one full pass, so that JIT compilation and the worker's first allocations are done.
  await scorer.score(doc, 'markdown');
  await scorer.score(doc, 'markdown', undefined, true);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();

  // Full rescores (cold cache).
  const fulls: number[] = [];
  let blocks = 0;
  let tokens = 0;
  for (let i = 0; i < 3; i++) {
    scorer.clear();
    const t0 = performance.now();
    const r = await scorer.score(doc, 'markdown', undefined, true);
    fulls.push(performance.now() - t0);
    blocks = r.blocks.length;
    tokens = r.tokens;
  }
  fulls.sort((a, b) => a - b);
  const fullDelay = h.max / 1e6;
  const fullMs = fulls[1];
  console.log(`blocks=${blocks} tokens=${tokens} full_rescore_ms=${fullMs.toFixed(1)}`);

  // One-word edits near the middle: each replaces a different word of the middle paragraph(s) with a fresh word.
  const mid = Math.floor(doc.length / 2);
  const wordRe = /\b[a-z]{4,}\b/g;
  const candidates: { index: number; length: number }[] = [];
  for (const m of doc.matchAll(wordRe)) if (Math.abs(m.index! - mid) < 1500) candidates.push({ index: m.index!, length: m[0].length });
  const times: number[] = [];
  const verifyTimes: number[] = [];
  let rescored = 0;
  for (let i = 0; i < edits; i++) {
    const c = candidates[(i * 7) % candidates.length];
    const word = REPLACEMENTS[i % REPLACEMENTS.length] + (i >= REPLACEMENTS.length ? 'er' : '');
    const edited = doc.slice(0, c.index) + word + doc.slice(c.index + c.length);
    // The surprisal pass (heatmap, hovers), then the verified findings of the edited paragraph.
    const t0 = performance.now();
    const r = await scorer.score(edited, 'markdown', undefined, true);
    times.push(performance.now() - t0);
    rescored += r.rescored;

    await scorer.score(edited, 'markdown');
    verifyTimes.push(performance.now() - t0);
  }
  h.disable();
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 0.5);
  const p95 = percentile(times, 0.95);
  console.log(`edits=${edits} blocks_rescored_per_edit=${(rescored / edits).toFixed(2)}`);
  console.log(`p50_ms=${p50.toFixed(1)}`);
  console.log(`p95_ms=${p95.toFixed(1)}`);
  console.log(`event_loop_delay_full_ms=${fullDelay.toFixed(1)} event_loop_delay_p99_ms=${(h.percentile(99) / 1e6).toFixed(1)}`);
  console.log(`max_event_loop_delay_ms=${(h.max / 1e6).toFixed(1)}`);
  verifyTimes.sort((a, b) => a - b);
  console.log(`verify_p95_ms=${percentile(verifyTimes, 0.95).toFixed(1)}`);
  console.log(`edit_speedup=${(fullMs / p50).toFixed(1)}`);
  await client.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
