/** Shared test helpers: the real bundled model (no mocks), a seeded PRNG, and a CLI runner. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Engine } from '../../src/core';

/** Repository root (tests are bundled to out/test/unit/). */
export const ROOT = resolve(__dirname, '..', '..', '..');
/** The model under test: models/default (override with PLAUSIBILITY_TEST_MODEL for development only). */
export const MODEL_DIR = process.env.PLAUSIBILITY_TEST_MODEL ?? join(ROOT, 'models', 'default');
export const CLI = join(ROOT, 'dist', 'cli.js');

let enginePromise: Promise<Engine> | undefined;
/** Loads the model once per test file. */
export function engine(): Promise<Engine> {
  enginePromise ??= Engine.load(MODEL_DIR, { intraOpNumThreads: 2 });
  return enginePromise;
}

/** Seeded PRNG for property tests: the engine's own mulberry32. */
export { mulberry32 as rng } from '../../src/core/scoring/math';

/** A random string mixing ASCII, Latin, CJK, emoji (surrogate pairs), ZWJ sequences, combining marks, RTL, CRLF. */
export function randomUnicode(r: () => number, maxLen = 40): string {
  const pools: (() => string)[] = [
    () => String.fromCharCode(32 + Math.floor(r() * 95)),
    () => ' ',
    () => ['\n', '\r\n', '\r', '\t'][Math.floor(r() * 4)],
    () => String.fromCharCode(0xc0 + Math.floor(r() * 0x180)),
    () => String.fromCharCode(0x4e00 + Math.floor(r() * 0x5000)),
    () => String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300)),
    () => '👩\u200d💻',
    () => '👨\u200d👩\u200d👧\u200d👦',
    () => 'e\u0301',
    () => String.fromCharCode(0x300 + Math.floor(r() * 0x70)),
    () => String.fromCharCode(0x5d0 + Math.floor(r() * 0x1b)),
    () => String.fromCharCode(0x627 + Math.floor(r() * 0x20)),
    () => '🏳️‍🌈',
    () => String.fromCodePoint(0x10000 + Math.floor(r() * 0x10ffff - 0x10000)),
    () => ' the',
    () => 'word',
  ];
  const n = Math.floor(r() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) s += pools[Math.floor(r() * pools.length)]();
  return s;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/cli.js) with the model under test unless --model is given. */
export function cli(
  args: string[],
  opts: { input?: string | Buffer; cwd?: string; noModel?: boolean; env?: Record<string, string> } = {},
): CliResult {
  const full = opts.noModel || args.includes('--model') ? args : [...args, '--model', MODEL_DIR];
  const r = spawnSync(process.execPath, [CLI, ...full], {
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...opts.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
