#!/usr/bin/env node
// `npm run bench`: runs every benchmark (bench:score, bench:edit, bench:generate, bench:steer, bench:tags,
// bench:roofline, bench:precision, bench:soak) and rewrites BENCHMARKS.md as one table with every figure each printed, its target, and
// the machine and date it ran on. Only figures from the run are written: a benchmark that has no npm script is listed
// as not run, one that fails is listed as failed, and nothing is made up.
//
// Options:
//   --only a,b        run only these (names without "bench:"); rows of the others are kept from the previous
//                     BENCHMARKS.md, each with its own date and machine
//   --soak-seconds N  SOAK_SECONDS for bench:soak (default: $SOAK_SECONDS, else 120; the bench's own default is 600)
//   --dry-run         print the table, do not write BENCHMARKS.md
//   --record a=FILE,b=FILE  record these benchmarks from the saved stdout of a run made a moment ago (on this machine
//                     and model) instead of running them again; the other rows are kept
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, createReadStream } from 'node:fs';
import { cpus, totalmem, release, platform, arch } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'BENCHMARKS.md');
const BENCHES = ['score', 'edit', 'clean', 'cold', 'large', 'generate', 'steer', 'tags', 'toxicity', 'rewrites', 'roofline', 'precision', 'soak'];

/** Targets from the issues: key -> [op, value, text]. */
const TARGETS = {
  score: { peak_rss_mb: ['<=', 400], ratio_vs_pytorch: ['>=', 2] },
  edit: { p95_ms: ['<=', 150], max_event_loop_delay_ms: ['<=', 20], edit_speedup: ['>=', 10], verify_p95_ms: ['<=', 500] },
  clean: { false_alarms_per_1000_words: ['<=', 1.0] },
  cold: { cold_seconds: ['<=', 15] },
  large: { peak_rss_mb: ['<=', 600] },
  toxicity: { heldout_macro_f1: ['>=', 0.8], insult_recall: ['>=', 0.9], clean_false_alarm_rate: ['<=', 0.01] },
  rewrites: { rewrites_offered: ['>', 0], offered_with_lexicon_term: ['=', 0], offered_truncated: ['=', 0], offered_dropping_content: ['=', 0] },
  generate: { kv_speedup: ['>=', 5], rewrite3_ms: ['<', 1500] },
  steer: { toxic_rate_reduction: ['>=', 3], nll_increase_pct: ['<=', 25] },
  tags: { tag_accuracy_over_chance: ['>=', 3], tag_accuracy: ['>', 'majority_accuracy'] },
  roofline: { roofline_fraction: ['>=', 0.4], parity_max_abs_diff: ['<=', 1e-4], ratio_vs_transformersjs: ['>=', 1.5] },
  soak: { rss_growth_mb: ['<', 50], errors: ['=', 0] },
};
/** What each benchmark measures (one line). */
const ABOUT = {
  score: 'engine vs PyTorch eager, 20,000 tokens, same windows/batches/threads',
  edit: 'one-word edit in a 5,000-word document: didChange to publishDiagnostics vs a full pass, language server over LSP',
  clean: 'findings (all false alarms) on the first 20,000 words of five clean validation shards, default settings',
  cold: 'every finding of a 5,000-word news document from a cold start of the language server (spawn to first publishDiagnostics)',
  large: 'peak RSS of lint --max-bytes 0 on a 10 MB file; seconds per MB of Markdown masking on adversarial inputs',
  toxicity: 'the toxicity head on held-out toxicity sources, a committed insult list, and clean corpus sentences',
  rewrites: 'the rewrites the editor would offer on 36 fixed inputs: offered, with a lexicon term, truncated, dropping content',
  generate: 'greedy generation with/without KV cache (256-token prefix); 3 ranked rewrites',
  steer: 'steering away from toxicity: toxic rate and fluency cost',
  tags: 'writing tag (encyclopedic, news, fiction, simple English, technical documentation) by argmax P(text | tags), held-out texts',
  roofline: 'MatMul roofline vs engine scoring FLOP/s; transformers.js parity and speed, 20,000 tokens',
  precision: 'fp16/int8 variants (built by the pipeline into a temporary folder) vs fp32: per-token NLL and BLiMP-dev',
  soak: 'simulated editing of 20 documents through the language server over LSP (RSS: client + server process)',
};

function args() {
  const a = process.argv.slice(2);
  const get = (n) => {
    const i = a.indexOf(`--${n}`);
    return i >= 0 ? a[i + 1] : undefined;
  };
  return {
    only: get('only')?.split(',').map((s) => s.trim().replace(/^bench:/, '')).filter(Boolean),
    soakSeconds: get('soak-seconds') ?? process.env.SOAK_SECONDS ?? '120',
    dryRun: a.includes('--dry-run'),
    record: Object.fromEntries((get('record') ?? '').split(',').filter(Boolean).map((x) => x.split('=').map((y) => y.trim()))),
  };
}

function sh(cmd, argv) {
  try {
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machine() {
  const c = cpus();
  let os = `${platform()} ${release()}`;
  if (existsSync('/etc/os-release')) {
    const m = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?/m);
    if (m) os = `${m[1]} (${platform()} ${release()})`;
  }
  let ort = '';
  try {
    ort = JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version;
  } catch {
    /* not installed */
  }
  const gpu = sh('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader']);
  return {
    cpu: `${c[0]?.model?.trim() ?? 'unknown CPU'}, ${c.length} logical cores (${arch()})`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os,
    node: process.version,
    onnxruntime: ort,
    gpu: gpu || 'none found (nvidia-smi absent or no device)',
  };
}

function sha256(file) {
  return new Promise((res) => {
    if (!existsSync(file)) return res('');
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')))
      .on('error', () => res(''));
  });
}

async function modelSummary() {
  const dir = join(ROOT, 'models', 'default');
  try {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const L = c.n_layer ?? c.num_hidden_layers;
    const D = c.n_embd ?? c.hidden_size;
    const hash = (await sha256(join(dir, 'onnx', 'model.onnx'))).slice(0, 12);
    return `models/default (${c.model_type}, ${L} layers, d=${D}, vocab ${c.vocab_size}, context ${c.n_positions ?? c.max_position_embeddings}; onnx/model.onnx sha256 ${hash})`;
  } catch {
    return 'models/default (unreadable)';
  }
}

/** Runs `npm run -s bench:NAME`, streaming its output, and returns exit code, stdout, stderr and seconds. */
function runBench(name, env) {
  return new Promise((res) => {
    const t0 = Date.now();
    const child = spawn('npm', ['run', '-s', `bench:${name}`], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    child.on('close', (code, signal) => res({ code: code ?? -1, signal, out, err, seconds: (Date.now() - t0) / 1000 }));
  });
}

/** Figures: lines that are exactly one key=value (the benchmarks' result lines), in order. */
function figures(stdout) {
  const f = [];
  for (const line of stdout.split('\n')) {
    const m = line.trim().match(/^([A-Za-z][\w.]*)=(\S+)$/);
    if (m) f.push([m[1], m[2]]);
  }
  return f;
}

function judge(bench, key, value, all) {
  const t = TARGETS[bench]?.[key];
  if (!t) return { target: '', met: '' };
  const [op, raw] = t;
  const ref = typeof raw === 'string' ? Number(all.find(([k]) => k === raw)?.[1]) : raw;
  const x = Number(value.replace(/\/.*$/, ''));
  const text = `${op === '=' ? '=' : op.replace('<=', '≤').replace('>=', '≥')} ${typeof raw === 'string' ? raw : raw}`;
  if (!Number.isFinite(x) || !Number.isFinite(ref)) return { target: text, met: '?' };
  const ok = { '<': x < ref, '<=': x <= ref, '>': x > ref, '>=': x >= ref, '=': x === ref }[op];
  return { target: text, met: ok ? 'yes' : 'no' };
}

function previous() {
  if (!existsSync(OUT)) return {};
  const m = readFileSync(OUT, 'utf8').match(/<!-- bench-data (.*) -->/);
  if (!m) return {};
  try {
    return JSON.parse(m[1]);
  } catch {
    return {};
  }
}

function render(results, soakSeconds) {
  const lines = [];
  lines.push('# Benchmarks');
  lines.push('');
  lines.push('Written by `npm run bench` (bench/run-all.mjs) from a real run; do not edit by hand. Each benchmark\'s');
  lines.push('own header and source say what it measures. Figures are the `key=value` lines each one printed, in order.');
  lines.push('');
  const machines = new Map();
  for (const name of BENCHES) {
    const r = results[name];
    if (r?.machine) machines.set(JSON.stringify(r.machine), r.machine);
  }
  const machineIds = [...machines.keys()];
  machineIds.forEach((k, i) => {
    const m = machines.get(k);
    lines.push(machineIds.length > 1 ? `**Machine ${String.fromCharCode(65 + i)}**` : '**Machine**');
    lines.push('');
    lines.push(`- CPU: ${m.cpu}; memory ${m.memory}`);
    lines.push(`- OS: ${m.os}; Node ${m.node}; onnxruntime-node ${m.onnxruntime}`);
    lines.push(`- GPU: ${m.gpu}`);
    lines.push('');
  });
  lines.push('| benchmark | figure | value | target | met | run |');
  lines.push('|---|---|---|---|---|---|');
  for (const name of BENCHES) {
    const r = results[name];
    const tag = `\`bench:${name}\``;
    if (!r) {
      lines.push(`| ${tag} | — | not run | | | |`);
      continue;
    }
    const mi = machineIds.length > 1 ? ` on ${String.fromCharCode(65 + machineIds.indexOf(JSON.stringify(r.machine)))}` : '';
    // Rows kept from an earlier run on another model say so (the model's sha256 prefix).
    const m = /sha256 (\w+)/.exec(r.model ?? '')?.[1];
    const cur = /sha256 (\w+)/.exec(results.__model ?? '')?.[1];
    const other = m && cur && m !== cur ? `, model ${m}` : '';
    const when = `${r.date}${mi}, ${r.seconds.toFixed(0)} s${name === 'soak' && r.status === 'ok' ? `, SOAK_SECONDS=${r.soakSeconds}` : ''}${other}`;
    if (r.status === 'missing') {
      lines.push(`| ${tag} | — | not run: no npm script \`bench:${name}\` yet | | | ${r.date} |`);
      continue;
    }
    if (r.status === 'failed') {
      lines.push(`| ${tag} | — | failed (${r.reason.replace(/\|/g, '\\|')}) | | | ${when} |`);
    }
    const shown = new Set();
    for (const [k, v] of r.figures) {
      const j = judge(name, k, v, r.figures);
      shown.add(k);
      lines.push(`| ${tag} | ${k} | ${v.replace(/\|/g, '\\|')} | ${j.target} | ${j.met} | ${when} |`);
    }
    for (const k of Object.keys(TARGETS[name] ?? {}))
      if (!shown.has(k) && r.status === 'ok') lines.push(`| ${tag} | ${k} | not printed | ${judge(name, k, 'x', []).target} | no | ${when} |`);
  }
  lines.push('');
  lines.push('What each one measures:');
  lines.push('');
  for (const name of BENCHES) lines.push(`- \`bench:${name}\`: ${ABOUT[name]}.`);
  lines.push('');
  lines.push('## GPU');
  lines.push('');
  const gpuSeen = [...machines.values()].some((m) => !/^none/.test(m.gpu));
  if (machines.size === 0) lines.push('No benchmark has run yet.');
  else if (!gpuSeen)
    lines.push(
      'No GPU figures: every run above was on a machine without a GPU, so the CUDA and WebGPU providers (and the ' +
        'device-resident KV cache they use) were not measured here. Nothing in this table comes from a GPU.',
    );
  else lines.push('A GPU was present on at least one machine above (see its GPU line); the figures are from the provider each benchmark chose.');
  lines.push('');
  const gpuTraining = join(ROOT, 'training', 'results', 'gpu_training.json');
  if (existsSync(gpuTraining)) {
    // Training runs on a lent GPU (training/gpu.sh), recorded by the pipeline, not by these benchmarks.
    const g = JSON.parse(readFileSync(gpuTraining, 'utf8'));
    lines.push(`Training throughput on a lent GPU (training/gpu.sh; ${g.device}; ${g.date}; ${g.note}):`);
    lines.push('');
    lines.push('| run | parameters | tokens/s | tokens | minutes | val ppl |');
    lines.push('|---|---|---|---|---|---|');
    for (const r of g.runs)
      lines.push(`| ${r.run} | ${(r.params / 1e6).toFixed(2)}M | ${r.tokens_per_s_median} | ${(r.tokens / 1e6).toFixed(0)}M | ${(r.wall_s / 60).toFixed(1)} | ${r.final_val_ppl} |`);
    lines.push('');
  }
  lines.push(`Model: ${results.__model ?? ''}`);
  lines.push('');
  lines.push(`<!-- bench-data ${JSON.stringify({ ...results, __soak: soakSeconds })} -->`);
  lines.push('');
  return lines.join('\n');
}

async function main() {
  const opts = args();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const scripts = pkg.scripts ?? {};
  const recorded = Object.keys(opts.record);
  const results = opts.only || recorded.length ? previous() : {};
  const mach = machine();
  const model = await modelSummary();
  // Rows from before per-row models were recorded ran on the model the table named then.
  for (const [k, v] of Object.entries(results)) if (!k.startsWith('__') && v && !v.model) v.model = results.__model;
  for (const name of BENCHES) {
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (opts.record[name]) {
      const out = readFileSync(opts.record[name], 'utf8');
      const secs = Number(/^seconds=([\d.]+)$/m.exec(out)?.[1] ?? 0);
      results[name] = { status: 'ok', date, machine: mach, figures: figures(out), seconds: secs, model };
      continue;
    }
    if (recorded.length && !opts.only) continue;
    if (opts.only && !opts.only.includes(name)) continue;
    if (!scripts[`bench:${name}`]) {
      console.error(`\n== bench:${name}: no such npm script yet; skipped`);
      results[name] = { status: 'missing', date, machine: mach, figures: [], seconds: 0 };
      continue;
    }
    console.error(`\n== bench:${name}`);
    const env = name === 'soak' ? { SOAK_SECONDS: String(opts.soakSeconds) } : {};
    const r = await runBench(name, env);
    const f = figures(r.out);
    const failed = r.code !== 0;
    const lastErr = r.err.trim().split('\n').filter(Boolean).pop() ?? '';
    results[name] = {
      status: failed ? 'failed' : 'ok',
      reason: failed ? `exit ${r.signal ?? r.code}${lastErr ? `: ${lastErr.slice(0, 200)}` : ''}` : undefined,
      date,
      machine: mach,
      figures: f,
      seconds: r.seconds,
      model,
      soakSeconds: name === 'soak' ? opts.soakSeconds : undefined,
    };
    console.error(`== bench:${name}: ${failed ? 'FAILED' : 'ok'} in ${r.seconds.toFixed(0)} s, ${f.length} figures`);
  }
  results.__model = model;
  const md = render(results, opts.soakSeconds);
  if (opts.dryRun) process.stdout.write(md);
  else {
    writeFileSync(OUT, md);
    console.error(`\nwrote ${OUT}`);
  }
  const failed = BENCHES.filter((n) => results[n]?.status === 'failed');
  if (failed.length) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(`bench failed: ${e?.stack ?? e}`);
  process.exit(2);
});
