/**
 * `npm run bench:roofline`
 *
 * 1. This machine's achievable fp32 matrix-multiply throughput through onnxruntime-node: MatMul-only models with the
 *    LM's linear-layer shapes ([D,3D] qkv, [D,D] attention output, [D,I] MLP up, [I,D] MLP down, [D,V] LM head;
 *    Llama/Qwen shapes for such configs), M = the tokens of one prefill window. Printed per shape and as one figure
 *    weighted by how many FLOPs each shape contributes per token (`matmul_gflops`).
 * 2. The engine's scoring FLOP/s on the model: per-token log-probabilities and top-5 alternatives (engine.scoreBatch,
 *    details off: no rank/entropy, which the transformers.js side does not compute either)
 *    for the same 20,000-token text as bench:score. FLOPs per processed position = 2 × (non-embedding parameters +
 *    n_embd × vocab_size) + attention (4 × layers × heads × head_dim × context length). Positions are those the
 *    model runs: sliding windows re-run their overlap context, which is counted (it is work the hardware does), and
 *    `scored_tokens_per_s` is reported beside it. `roofline_fraction` = engine FLOP/s / matmul_gflops.
 * 3. transformers.js (@huggingface/transformers, devDependency) loading the same model folder from the local path
 *    with no network, on the same rows, batches and thread count, computing per-token log-probabilities (its
 *    log_softmax) and top-5 alternatives (its topk). Prints `parity_max_abs_diff` and, last,
 *    `ratio_vs_transformersjs` (engine tokens/s over transformers.js tokens/s).
 *
 * Options: --model DIR, --tokens N (20000), --threads N (2), --text FILE, --no-transformersjs, --matmul-reps N (10).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../src/core';
import { defaultModelDir } from '../src/core/model/paths';
import { matmulModel } from './roofline-model';

import { arg, benchText } from './common';

/** Linear-layer shapes [K, N] of one decoder layer, and parameter counts, from config.json. */
function architecture(raw: Record<string, unknown>, cfg: Engine['config']) {
  const n = (k: string) => (typeof raw[k] === 'number' ? (raw[k] as number) : undefined);
  const D = cfg.hiddenSize;
  const H = cfg.numHeads;
  const KV = cfg.numKvHeads;
  const hd = cfg.headDim;
  const L = cfg.numLayers;
  const V = cfg.vocabSize;
  const llama = n('intermediate_size') !== undefined && n('n_inner') === undefined && cfg.modelType !== 'gpt2';
  let shapes: { name: string; k: number; n: number; count: number }[];
  let perLayerExtra: number; // biases and norms
  if (!llama) {
    const I = n('n_inner') ?? 4 * D;
    shapes = [
      { name: 'qkv', k: D, n: 3 * D, count: L },
      { name: 'attn_out', k: D, n: D, count: L },
      { name: 'mlp_up', k: D, n: I, count: L },
      { name: 'mlp_down', k: I, n: D, count: L },
    ];
    perLayerExtra = 3 * D + D + I + D + 4 * D; // qkv, proj, up, down biases; two LayerNorms
  } else {
    const I = n('intermediate_size')!;
    shapes = [
      { name: 'q', k: D, n: H * hd, count: L },
      { name: 'kv', k: D, n: 2 * KV * hd, count: L },
      { name: 'attn_out', k: H * hd, n: D, count: L },
      { name: 'mlp_gate_up', k: D, n: 2 * I, count: L },
      { name: 'mlp_down', k: I, n: D, count: L },
    ];
    perLayerExtra = 2 * D;
  }
  shapes.push({ name: 'lm_head', k: D, n: V, count: 1 });
  const layerWeights = shapes.filter((s) => s.name !== 'lm_head').reduce((a, s) => a + s.k * s.n, 0);
  const nonEmbedding = L * (layerWeights + perLayerExtra) + 2 * D; // + final norm
  return { D, H, hd, L, V, shapes, nonEmbedding };
}

const gf = (x: number) => (x / 1e9).toFixed(2);

async function matmulThroughput(
  shapes: { name: string; k: number; n: number; count: number }[],
  m: number,
  threads: number,
  reps: number,
): Promise<{ name: string; gflops: number }[]> {
  const out: { name: string; gflops: number }[] = [];
  for (const s of shapes) {
    const sess = await ort.InferenceSession.create(matmulModel(s.k, s.n), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const x = new ort.Tensor('float32', Float32Array.from({ length: m * s.k }, (_, i) => ((i * 7) % 13) / 13 - 0.5), [m, s.k]);
    for (let i = 0; i < 3; i++) await sess.run({ X: x });
    // Best of a few timed blocks (the machine may be shared).
    let best = Infinity;
    for (let b = 0; b < 5; b++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) await sess.run({ X: x });
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / reps);
    }
    await sess.release();
    out.push({ name: s.name, gflops: (2 * m * s.k * s.n) / best });
  }
  return out;
}

async function main(): Promise<void> {
  const modelDir = resolve(arg('model') ?? defaultModelDir(__dirname));
  const nTokens = Number(arg('tokens', '20000'));
  const threads = Number(arg('threads', '2'));
  const reps = Number(arg('matmul-reps', '10'));
  const K = 5;
  const engine = await Engine.load(modelDir, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const raw = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const arch = architecture(raw, engine.config);
  const { window: W } = engine.windowing({});

  // The text: exactly the first nTokens tokens (cut at a token boundary, so both sides see the same ids).
  const full = benchText();
  let take = nTokens * 6;
  let tok = engine.tokenize(full.slice(0, take));
  while (tok.ids.length < nTokens && take < full.length) {
    take *= 2;
    tok = engine.tokenize(full.slice(0, take));
  }
  const cut = Math.min(nTokens, tok.ids.length);
  let text = full.slice(0, tok.ends[cut - 1]);
  let ids = engine.encode(text);
  if (ids.length !== cut) {
    // Retokenising the prefix changed the last token; keep what the engine sees.
    text = full.slice(0, tok.ends[cut - 2]);
    ids = engine.encode(text);
  }
  const seq = [engine.bosId, ...ids];
  const rows = engine.plan([seq]);
  const positions = rows.reduce((a, r) => a + r.ids.length, 0);
  let flops = 0;
  const perPos = 2 * (arch.nonEmbedding + arch.D * arch.V);
  const attnPerCtx = 4 * arch.L * arch.H * arch.hd;
  for (const r of rows) for (let p = 0; p < r.ids.length; p++) flops += perPos + attnPerCtx * (p + 1);
  console.log(
    `model=${modelDir} provider=${engine.info.provider} tokens=${ids.length} window=${W} rows=${rows.length} ` +
      `positions=${positions} threads=${threads}`,
  );
  console.log(`non_embedding_params=${arch.nonEmbedding}`);
  console.log(`flops_per_position=${(flops / positions).toExponential(4)}`);

  // 1. MatMul roofline with the LM's shapes, M = one prefill window.
  const mm = await matmulThroughput(arch.shapes, W, threads, reps);
  let weightedFlops = 0;
  let weightedTime = 0;
  arch.shapes.forEach((s, i) => {
    const f = 2 * s.k * s.n * s.count;
    weightedFlops += f;
    weightedTime += f / mm[i].gflops;
    console.log(`matmul_gflops_${s.name}_${s.k}x${s.n}=${gf(mm[i].gflops)}`);
  });
  const peak = weightedFlops / weightedTime;
  console.log(`matmul_gflops=${gf(peak)}`);

  // 2. The engine: per-token log-probabilities and top-5 alternatives for the whole text.
  await engine.scoreBatch([text.slice(0, 2000)], { topK: K, details: false });
  const t0 = process.hrtime.bigint();
  const [score] = await engine.scoreBatch([text], { topK: K, details: false });
  const engineSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (score.tokenCount !== ids.length) throw new Error(`engine scored ${score.tokenCount} tokens, expected ${ids.length}`);
  const engineFlops = flops / engineSecs;
  const engineTps = ids.length / engineSecs;
  console.log(`engine_seconds=${engineSecs.toFixed(3)}`);
  console.log(`engine_positions_per_s=${(positions / engineSecs).toFixed(1)}`);
  console.log(`scored_tokens_per_s=${engineTps.toFixed(1)}`);
  console.log(`engine_gflops=${gf(engineFlops)}`);
  console.log(`roofline_fraction=${(engineFlops / peak).toFixed(3)}`);
  const rss = process.resourceUsage().maxRSS / 1024;

  let ratio = NaN;
  if (!process.argv.includes('--no-transformersjs')) {
    // 3. transformers.js on the same rows and batches, same thread count, local files only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tjs = require('@huggingface/transformers') as typeof import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false;
    tjs.env.allowLocalModels = true;
    tjs.env.localModelPath = dirname(modelDir) + '/';
    const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(modelDir), {
      dtype: 'fp32',
      device: 'cpu',
      local_files_only: true,
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
    });
    const V = engine.vocabSize;
    const order = rows.map((_, i) => i).sort((a, b) => rows[b].ids.length - rows[a].ids.length);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; ) {
      const n = Math.max(1, Math.floor(engine.maxLogitsFloats / (rows[order[i]].ids.length * V)));
      batches.push(order.slice(i, i + n));
      i += n;
    }
    const pad = engine.config.eosTokenId ?? engine.bosId;
    const lp = new Float64Array(ids.length);
    const top = new Int32Array(ids.length * K);
    const runBatch = async (batch: number[]) => {
      const L = rows[batch[0]].ids.length;
      const b = batch.length;
      const inIds = new BigInt64Array(b * L).fill(BigInt(pad));
      const mask = new BigInt64Array(b * L);
      batch.forEach((ri, r) => {
        rows[ri].ids.forEach((x, j) => {
          inIds[r * L + j] = BigInt(x);
          mask[r * L + j] = 1n;
        });
      });
      const out = await model({
        input_ids: new tjs.Tensor('int64', inIds, [b, L]),
        attention_mask: new tjs.Tensor('int64', mask, [b, L]),
      });
      const logits = out.logits as InstanceType<typeof tjs.Tensor>;
      const [, topi] = await tjs.topk(logits, K);
      const data = logits.data as Float32Array;
      const ti = topi.data as BigInt64Array | Int32Array;
      batch.forEach((ri, r) => {
        const row = rows[ri];
        for (let p = row.first; p < row.ids.length; p++) {
          const at = r * L + (p - 1);
          const ls = tjs.log_softmax(data.subarray(at * V, (at + 1) * V));
          const idx = row.seqOffset + (p - row.first) - 1;
          lp[idx] = ls[row.ids[p]];
          for (let k = 0; k < K; k++) top[idx * K + k] = Number(ti[at * K + k]);
        }
      });
    };
    await runBatch(batches[batches.length - 1]); // warm-up (not timed)
    const t1 = process.hrtime.bigint();
    for (const batch of batches) await runBatch(batch);
    const tjsSecs = Number(process.hrtime.bigint() - t1) / 1e9;
    const tjsTps = ids.length / tjsSecs;
    let maxDiff = 0;
    let topMismatch = 0;
    score.tokens.forEach((t, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(t.logprob - lp[i]));
      const mine = t.top.map((a) => a.id);
      const theirs = Array.from(top.subarray(i * K, i * K + K));
      if (mine.some((id, k) => id !== theirs[k])) topMismatch++;
    });
    console.log(`transformersjs_version=${tjs.env.version}`);
    console.log(`transformersjs_seconds=${tjsSecs.toFixed(3)}`);
    console.log(`transformersjs_tokens_per_s=${tjsTps.toFixed(1)}`);
    console.log(`top5_mismatched_tokens=${topMismatch}`);
    console.log(`parity_max_abs_diff=${maxDiff.toExponential(2)}`);
    ratio = engineTps / tjsTps;
    await model.dispose();
  }
  console.log(`peak_rss_mb=${Math.round(Math.max(rss, process.resourceUsage().maxRSS / 1024))}`);
  await engine.dispose();
  console.log(`ratio_vs_transformersjs=${Number.isFinite(ratio) ? ratio.toFixed(2) : 'NaN'}`);
}

main().catch((e) => {
  console.error(`bench:roofline failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
