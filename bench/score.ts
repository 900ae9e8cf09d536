/**
 * `npm run bench:score`: scores the same 20,000-token English text with (a) this engine and (b) PyTorch eager (the
 * same weights rebuilt from the ONNX file by the training pipeline), with the same windows, batches and thread count.
 *
 * Prints tokens/s for each, `peak_rss_mb=N` (this process: engine + model), and last `ratio_vs_pytorch=X`.
 *
 * Options: --model DIR, --tokens N (default 20000), --threads N (default 2), --text FILE (default: BLiMP-dev good
 * sentences from ../shared/data/blimp-dev joined into paragraphs), --no-torch (engine only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../src/core';
import { defaultModelDir } from '../src/core/model/paths';

import { arg, benchText } from './common';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const modelDir = arg('model') ?? defaultModelDir(__dirname);
  const nTokens = Number(arg('tokens', '20000'));
  const threads = Number(arg('threads', '2'));
  const engine = await Engine.load(modelDir, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const full = benchText();
  // Tokenise only as much text as needed (about 4 characters per token; grow if short).
  let take = nTokens * 6;
  let ids = engine.encode(full.slice(0, take));
  while (ids.length < nTokens && take < full.length) {
    take *= 2;
    ids = engine.encode(full.slice(0, take));
  }
  ids = ids.slice(0, nTokens);
  if (ids.length < nTokens) console.error(`note: the text has only ${ids.length} tokens`);
  const seq = [engine.bosId, ...ids];
  const { window, stride } = engine.windowing({});
  const rows = engine.plan([seq]);
  console.log(`model=${modelDir} tokens=${ids.length} window=${window} stride=${stride} rows=${rows.length} threads=${threads}`);

  // Warm-up (not timed).
  await engine.logprobs([seq.slice(0, Math.min(seq.length, window))]);

  // (a) this engine: per-token log-probabilities for every token, windowed and batched.
  const t0 = process.hrtime.bigint();
  const [lp] = await engine.logprobs([seq]);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const nll = -lp.reduce((a, b) => a + b, 0);
  const engineTps = ids.length / secs;
  console.log(`engine_seconds=${secs.toFixed(3)}`);
  console.log(`engine_tokens_per_s=${engineTps.toFixed(1)}`);
  console.log(`engine_nll_per_token=${(nll / ids.length).toFixed(5)}`);
  const rss = process.resourceUsage().maxRSS / 1024;

  let ratio = NaN;
  if (!process.argv.includes('--no-torch')) {
    // (b) PyTorch eager with the same rows and batches.
    const tmp = mkdtempSync(join(tmpdir(), 'plaus-bench-'));
    try {
      const batches: number[][][] = [];
      const V = engine.vocabSize;
      const maxFloats = engine.maxLogitsFloats;
      const sorted = rows.slice().sort((a, b) => b.ids.length - a.ids.length);
      for (let i = 0; i < sorted.length; ) {
        const n = Math.max(1, Math.floor(maxFloats / (sorted[i].ids.length * V)));
        batches.push(sorted.slice(i, i + n).map((r) => r.ids));
        i += n;
      }
      const firsts = sorted.map((r) => r.first);
      writeFileSync(join(tmp, 'rows.json'), JSON.stringify({ batches, firsts }));
      const py = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
      const r = spawnSync(
        py,
        [join(ROOT, 'bench', 'score_torch.py'), '--model', modelDir, '--rows', join(tmp, 'rows.json'), '--threads', String(threads)],
        { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      );
      if (r.status !== 0) {
        console.error(r.stderr || r.stdout);
        throw new Error('PyTorch side failed (see above)');
      }
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; tokens: number; nll: number };
      const torchTps = res.tokens / res.seconds;
      console.log(`pytorch_seconds=${res.seconds.toFixed(3)}`);
      console.log(`pytorch_tokens_per_s=${torchTps.toFixed(1)}`);
      console.log(`pytorch_nll_per_token=${(res.nll / res.tokens).toFixed(5)}`);
      console.log(`nll_per_token_abs_diff=${Math.abs(res.nll / res.tokens - nll / ids.length).toExponential(2)}`);
      ratio = engineTps / torchTps;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  console.log(`peak_rss_mb=${Math.round(rss)}`);
  console.log(`ratio_vs_pytorch=${Number.isFinite(ratio) ? ratio.toFixed(2) : 'NaN'}`);
  await engine.dispose();
}

main().catch((e) => {
  console.error(`bench:score failed: ${(e as Error).message}`);
  process.exit(1);
});
