/**
 * `npm run bench:precision`: accuracy of the precision variants against fp32.
 *
 * Builds the variants of the model with the training pipeline into a temporary folder (never into the model folder,
 * never into a VSIX): fp16 with `write_fp16` (float16 initialisers, float32 I/O), and int8 with `write_int8` when the
 * pipeline has it. Then, for each variant against fp32:
 * - per-token NLL differences on the same text as bench:score (first --tokens tokens): max and mean absolute difference
 *   in nats, and the change of the mean NLL per token;
 * - BLiMP-dev accuracy with the CLI's `eval blimp` (the first --blimp-pairs pairs of every paradigm; 0 = all), and
 *   its change;
 * - CPU tokens/s (informative: fp16 is meant for GPUs).
 *
 * Options: --model DIR, --tokens N (5000), --blimp-pairs N (200), --threads N (2), --keep DIR (write variants there
 * and keep them), --python PATH (default /usr/bin/python3 when present).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../src/core';
import { defaultModelDir } from '../src/core/model/paths';

import { arg, benchText, blimpDir } from './common';

const ROOT = resolve(__dirname, '..', '..');
const BLIMP = blimpDir();

/** A model folder that is `src` with onnx/model.onnx replaced by `onnxFile` (other files are symlinks). */
function variantFolder(src: string, dst: string, onnxFile: string): void {
  mkdirSync(join(dst, 'onnx'), { recursive: true });
  for (const f of readdirSync(src)) {
    if (f === 'onnx') continue;
    symlinkSync(join(src, f), join(dst, f));
  }
  symlinkSync(onnxFile, join(dst, 'onnx', 'model.onnx'));
}

function python(): string {
  return arg('python') ?? process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Runs a pipeline writer (write_fp16 / write_int8) from training/plausibility_train/export.py. */
function pipelineWrite(fn: string, src: string, dst: string): { ok: boolean; message: string } {
  const code =
    'import sys\nfrom pathlib import Path\nfrom plausibility_train import export\n' +
    `f = getattr(export, ${JSON.stringify(fn)}, None)\n` +
    'if f is None:\n    print("the pipeline has no " + sys.argv[1]); sys.exit(3)\n' +
    'f(Path(sys.argv[2]), Path(sys.argv[3]))\n';
  const r = spawnSync(python(), ['-c', code, fn, src, dst], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: join(ROOT, 'training') },
  });
  const message = (r.stdout + r.stderr).trim().split('\n').filter(Boolean).pop() ?? '';
  return { ok: r.status === 0 && existsSync(dst), message };
}

function blimpSubset(dir: string, perParadigm: number): string {
  if (!BLIMP) throw new Error('../shared/data/blimp-dev not found');
  if (perParadigm <= 0) return BLIMP;
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(BLIMP).filter((x) => x.endsWith('.jsonl'))) {
    const lines = readFileSync(join(BLIMP, f), 'utf8').split('\n').filter((l) => l.trim());
    writeFileSync(join(dir, f), lines.slice(0, perParadigm).join('\n') + '\n');
  }
  return dir;
}

function blimp(modelDir: string, dir: string, threads: number): { accuracy: number; pairs: number; seconds: number } {
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'dist', 'cli.js'), 'eval', 'blimp', dir, '--model', modelDir, '--format', 'json', '--threads', String(threads)],
    { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`eval blimp failed for ${modelDir}: ${r.stderr.trim().split('\n').pop()}`);
  const j = JSON.parse(r.stdout) as { accuracy: number; pairs: number };
  return { accuracy: j.accuracy, pairs: j.pairs, seconds: (Date.now() - t0) / 1000 };
}

async function nlls(modelDir: string, seq: number[], threads: number): Promise<{ lp: Float64Array; seconds: number }> {
  const e = await Engine.load(modelDir, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    await e.logprobs([seq.slice(0, 64)]);
    const t0 = process.hrtime.bigint();
    const [lp] = await e.logprobs([seq]);
    return { lp, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  } finally {
    await e.dispose();
  }
}

async function main(): Promise<void> {
  const modelDir = resolve(arg('model') ?? defaultModelDir(__dirname));
  const nTokens = Number(arg('tokens', '5000'));
  const pairs = Number(arg('blimp-pairs', '200'));
  const threads = Number(arg('threads', '2'));
  const keep = arg('keep');
  const work = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'plausibility-variants-'));
  mkdirSync(work, { recursive: true });
  const fp32File = join(modelDir, 'onnx', 'model.onnx');
  try {
    const ref = await Engine.load(modelDir, { intraOpNumThreads: threads });
    const ids = ref.encode(benchText().slice(0, nTokens * 8)).slice(0, nTokens);
    const seq = [ref.bosId, ...ids];
    await ref.dispose();
    const subset = blimpSubset(join(work, 'blimp-subset'), pairs);
    console.log(`model=${modelDir} tokens=${ids.length} threads=${threads} work=${work}`);

    const base = await nlls(modelDir, seq, threads);
    const baseNll = -base.lp.reduce((a, b) => a + b, 0) / ids.length;
    const bBase = blimp(modelDir, subset, threads);
    console.log(`fp32_onnx_mb=${(statSync(fp32File).size / 1e6).toFixed(1)}`);
    console.log(`fp32_nll_per_token=${baseNll.toFixed(5)}`);
    console.log(`fp32_cpu_tokens_per_s=${(ids.length / base.seconds).toFixed(1)}`);
    console.log(`blimp_pairs=${bBase.pairs}`);
    console.log(`blimp_fp32=${bBase.accuracy.toFixed(4)}`);

    for (const [name, fn] of [
      ['fp16', 'write_fp16'],
      ['int8', 'write_int8'],
    ] as const) {
      const file = join(work, `model_${name}.onnx`);
      const w = pipelineWrite(fn, fp32File, file);
      if (!w.ok) {
        console.error(`${name}: not built (${w.message})`);
        console.log(`${name}_built=no`);
        continue;
      }
      const dir = join(work, name);
      rmSync(dir, { recursive: true, force: true });
      variantFolder(modelDir, dir, file);
      const v = await nlls(dir, seq, threads);
      let maxAbs = 0;
      let sumAbs = 0;
      for (let i = 0; i < v.lp.length; i++) {
        const d = Math.abs(v.lp[i] - base.lp[i]);
        maxAbs = Math.max(maxAbs, d);
        sumAbs += d;
      }
      const nll = -v.lp.reduce((a, b) => a + b, 0) / ids.length;
      const b = blimp(dir, subset, threads);
      console.log(`${name}_onnx_mb=${(statSync(file).size / 1e6).toFixed(1)}`);
      console.log(`${name}_nll_max_abs_diff=${maxAbs.toExponential(2)}`);
      console.log(`${name}_nll_mean_abs_diff=${(sumAbs / v.lp.length).toExponential(2)}`);
      console.log(`${name}_nll_per_token_change=${(nll - baseNll).toExponential(2)}`);
      console.log(`${name}_cpu_tokens_per_s=${(ids.length / v.seconds).toFixed(1)}`);
      console.log(`blimp_${name}=${b.accuracy.toFixed(4)}`);
      console.log(`${name}_blimp_change=${(b.accuracy - bBase.accuracy).toFixed(4)}`);
    }
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench:precision failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
