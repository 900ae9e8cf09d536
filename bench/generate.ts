/**
 * `npm run bench:generate`: greedy generation speed with and without the KV cache, and rewrite latency.
 *
 * 1. Greedy generation of N tokens after a long prefix, once reusing the key/value cache (each step feeds one token)
 *    and once recomputing the whole prefix every step. The issue asks for a 256-token prefix; the bundled model's
 *    window is 256 tokens in all, so the prefix is as long as fits with the generated tokens: window − 1 (BOS) − N.
 *    Both runs must produce the same tokens. Prints `prefix_tokens=`, `tokens_per_s_kv=`, `tokens_per_s_no_kv=`.
 * 2. `rewrite3_ms=N`: median latency to produce 3 ranked rewrites for a 10-word span in the middle of a 300-word
 *    paragraph (8 samples from the left-context expert, ranked by sentence NLL with the right context).
 * 3. Last line: `kv_speedup=X` (tokens/s with the cache ÷ without).
 *
 * Options: --model DIR, --threads N (default 2), --tokens N (default 32), --runs N (default 3).
 */
import { loadavg } from 'node:os';
import { Engine, generate, rewriteSpan } from '../src/core';
import { defaultModelDir } from '../src/core/model/paths';

import { arg } from './common';

const SENTENCES = [
  'The harbour town wakes early, long before the first ferry leaves for the islands.',
  'Fishermen sort their catch on the quay while gulls circle above the boats.',
  'By eight the bakery on the corner has sold most of its bread, and a queue forms for the rest.',
  'Visitors often arrive on the morning train and walk down the steep street to the water.',
  'The old customs house now holds a small museum about the history of the port.',
  'Its rooms are full of maps, ship models and letters written by sailors to their families.',
  'In summer the square fills with market stalls selling fruit, cheese and woven baskets.',
  'Children play by the fountain while their parents drink coffee in the shade of the plane trees.',
  'In the afternoon a wind rises from the sea and the light turns a soft gold.',
  'Most of the shops close for a few hours, and the streets grow quiet.',
  'When the evening comes, families gather along the promenade to watch the sun go down.',
  'Music drifts from the restaurants, where tables are set out on the pavement until late.',
  'The lighthouse on the point has guided ships into the harbour for more than a century.',
  'A keeper lived there until the light was automated, and his cottage is now a guest house.',
  'From its windows you can see the whole bay, the islands and, on clear days, the mountains beyond.',
  'The town council has worked hard to keep the old buildings in good repair.',
  'New houses are built in the same pale stone, so the streets still look much as they did long ago.',
  'Few places on this coast have kept their character so well, and that is why people return year after year.',
];

/** About `words` words of coherent prose. */
function paragraph(words: number): string {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < words; i++) {
    const s = SENTENCES[i % SENTENCES.length];
    out.push(s);
    n += s.split(/\s+/).length;
  }
  return out.join(' ');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const modelDir = arg('model') ?? defaultModelDir(__dirname);
  const threads = Number(arg('threads', '2'));
  const N = Number(arg('tokens', '32'));
  const runs = Number(arg('runs', '3'));
  const engine = await Engine.load(modelDir, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const W = engine.config.maxPositions;
  const prefixTokens = Math.min(256, W - 1 - N);
  const text = paragraph(400);
  const ids = engine.encode(text).slice(0, prefixTokens);
  const prompt = engine.decode(ids);
  // Make sure the decoded prompt re-encodes to the same length (byte-level BPE round-trips).
  const promptIds = engine.encode(prompt);
  console.log(`model=${engine.info.modelDir}`);
  console.log(`window=${W}`);
  console.log(`prefix_tokens=${promptIds.length}`);
  if (W <= 256)
    console.log(`note: the model's window is ${W} tokens, so the prefix is ${promptIds.length} tokens (a 256-token prefix leaves no room to generate)`);
  console.log(`generated_tokens=${N}`);
  const opts = { prompt, greedy: true, maxTokens: N, stop: { eos: false } };
  await generate(engine, { ...opts, maxTokens: 4 }); // warm-up
  const kv: number[] = [];
  const noKv: number[] = [];
  const kvCpu: number[] = [];
  const noKvCpu: number[] = [];
  let same = true;
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    const a = await generate(engine, opts);
    kv.push(performance.now() - t0);
    let c = process.cpuUsage(c0);
    kvCpu.push((c.user + c.system) / 1000);
    t0 = performance.now();
    c0 = process.cpuUsage();
    const b = await generate(engine, { ...opts, useCache: false });
    noKv.push(performance.now() - t0);
    c = process.cpuUsage(c0);
    noKvCpu.push((c.user + c.system) / 1000);
    same &&= JSON.stringify(a.samples[0].ids) === JSON.stringify(b.samples[0].ids) && a.samples[0].ids.length === N;
  }
  const tpsKv = (N * 1000) / median(kv);
  const tpsNoKv = (N * 1000) / median(noKv);
  console.log(`identical_tokens=${same}`);
  console.log(`tokens_per_s_kv=${tpsKv.toFixed(1)}`);
  console.log(`tokens_per_s_no_kv=${tpsNoKv.toFixed(1)}`);
  console.log(`tokens_per_cpu_s_kv=${((N * 1000) / median(kvCpu)).toFixed(1)}`);
  console.log(`tokens_per_cpu_s_no_kv=${((N * 1000) / median(noKvCpu)).toFixed(1)}`);

  // Rewrites: a 10-word span in the middle of a 300-word paragraph.
  const para = paragraph(300);
  const words = [...para.matchAll(/\S+/g)];
  const mid = Math.floor(words.length / 2);
  const start = words[mid].index!;
  const last = words[mid + 9];
  const end = last.index! + last[0].length;
  await rewriteSpan(engine, para, start, end, { count: 3, seed: 0 }); // warm-up
  const rw: number[] = [];
  const rwCpu: number[] = [];
  let found = 0;
  for (let r = 0; r < Math.max(3, runs); r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const res = await rewriteSpan(engine, para, start, end, { count: 3, seed: r });
    const c1 = process.cpuUsage(c0);
    rwCpu.push((c1.user + c1.system) / 1000);
    rw.push(performance.now() - t0);
    found = res.candidates.length;
  }
  console.log(`paragraph_words=${words.length}`);
  console.log(`span=${JSON.stringify(para.slice(start, end))}`);
  console.log(`rewrite_candidates=${found}`);
  // Wall time depends on what else runs on the machine: the load average and the process's CPU time say how much.
  console.log(`load_average_1m=${loadavg()[0].toFixed(2)}`);
  console.log(`rewrite3_cpu_ms=${Math.round(median(rwCpu))}`);
  console.log(`rewrite3_ms=${Math.round(median(rw))}`);
  console.log(`kv_speedup=${(tpsKv / tpsNoKv).toFixed(2)}`);
  await engine.dispose();
}

main().catch((e) => {
  console.error(`bench:generate failed: ${(e as Error).message}`);
  process.exit(1);
});
