/**
 * bench:large: memory and masking cost on big and hostile inputs (issue 22). Prints key=value lines:
 *
 * - `peak_rss_mb`: peak RSS of `plausibility lint --max-bytes 0` on a generated file of `--mb` megabytes (default 10;
 *   it must stay at or under 600).
 * - `mask_seconds_per_mb_<input>`: seconds per megabyte of Markdown masking (skipRegions) on ordinary prose and on
 *   the adversarial inputs that used to be quadratic (a staircase of backtick runs, lines of `[`, e-mail-like runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { skipRegions } from '../src/core/text/markdown';
import { arg } from './common';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const MB = 1_000_000;

function staircase(bytes: number): string {
  const lines: string[] = [];
  let total = 0;
  for (let k = 1; total < bytes; k++) {
    const run = '`'.repeat(((k - 1) % 2000) + 1);
    lines.push(run);
    total += run.length + 1;
  }
  return lines.join('\n');
}

const inputs: Record<string, (bytes: number) => string> = {
  prose: (b) => 'The river ran past the mill and under the `old` bridge, see [the map](http://x.example/m).\n\n'.repeat(Math.ceil(b / 90)),
  backticks: staircase,
  brackets: (b) => '[\n'.repeat(Math.ceil(b / 2)),
  email: (b) => 'a.'.repeat(Math.ceil(b / 2)) + '@',
};

function maskSecondsPerMb(make: (bytes: number) => string, bytes: number): number {
  const text = make(bytes);
  skipRegions(text.slice(0, 10_000)); // warm up the JIT
  const t0 = process.hrtime.bigint();
  skipRegions(text);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return s / (text.length / MB);
}

function peakRssMb(mb: number): { rss: number; code: number | null; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), 'plausibility-large-'));
  try {
    const file = join(dir, 'large.md');
    const para = 'The river ran past the mill and under the old stone bridge toward the sea. '.repeat(12) + '\n\n';
    const chunk = para.repeat(Math.ceil(MB / para.length));
    const fd = openSync(file, 'w');
    for (let i = 0; i < mb; i++) writeSync(fd, chunk);
    closeSync(fd);
    const preload = join(dir, 'rss.js');
    writeFileSync(preload, "process.on('exit', () => process.stderr.write(`\\nmaxrss_kb=${process.resourceUsage().maxRSS}\\n`));");
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--require', preload, CLI, 'lint', file, '--max-bytes', '0', '--format', 'json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr ?? '')?.[1]);
    return { rss: kb / 1024, code: r.status, seconds: (Date.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const maskMb = Number(arg('mask-mb', '2'));
for (const [name, make] of Object.entries(inputs))
  console.log(`mask_seconds_per_mb_${name}=${maskSecondsPerMb(make, maskMb * MB).toFixed(4)}`);
const mb = Number(arg('mb', '10'));
const r = peakRssMb(mb);
console.log(`lint_file_mb=${mb}`);
console.log(`lint_exit_code=${r.code}`);
console.log(`lint_seconds=${r.seconds.toFixed(1)}`);
console.log(`peak_rss_mb=${r.rss.toFixed(1)}`);
console.log(`peak_rss_ok=${r.rss <= 600}`);
