// esbuild build for Plausibility.
//   node scripts/build.mjs           -> dist/ (CLI, language server, extension client, benchmarks)
//   node scripts/build.mjs --tests   -> out/test/unit/*.test.js (mocha specs)
//   node scripts/build.mjs --watch   -> rebuild dist/ on change
import * as esbuild from 'esbuild';
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

/** Packages that must not be bundled (native binaries, the VS Code API). */
const external = ['onnxruntime-node', 'onnxruntime-web', 'vscode'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external,
  logLevel: 'warning',
  absWorkingDir: root,
};

/** dist entries: [source, output]. Entries whose source does not exist yet are skipped. */
const distEntries = [
  ['src/cli/main.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } }],
  ['src/client/main.ts', 'dist/extension.js', {}],
  ['src/server/entry.ts', 'dist/server.js', {}],
  ['bench/score.ts', 'dist/bench/score.js', {}],
  ['bench/edit.ts', 'dist/bench/edit.js', {}],
  ['bench/generate.ts', 'dist/bench/generate.js', {}],
  ['bench/tags.ts', 'dist/bench/tags.js', {}],
  ['bench/soak.ts', 'dist/bench/soak.js', {}],
  ['bench/steer.ts', 'dist/bench/steer.js', {}],
  ['bench/large.ts', 'dist/bench/large.js', {}],
  ['bench/clean.ts', 'dist/bench/clean.js', {}],
  ['bench/cold.ts', 'dist/bench/cold.js', {}],
  ['bench/toxicity.ts', 'dist/bench/toxicity.js', {}],
  ['bench/rewrites.ts', 'dist/bench/rewrites.js', {}],
];

function listTests(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

async function buildDist() {
  const builds = [];
  for (const [src, outfile, extra] of distEntries) {
    if (!existsSync(join(root, src))) continue;
    builds.push(esbuild.build({ ...common, entryPoints: [src], outfile, ...extra }));
  }
  await Promise.all(builds);
  if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
}

async function buildTests() {
  const dir = join(root, 'test/unit');
  rmSync(join(root, 'out/test/unit'), { recursive: true, force: true });
  const entries = listTests(dir).map((p) => p.slice(root.length + 1));
  if (entries.length === 0) return;
  await esbuild.build({
    ...common,
    entryPoints: entries,
    outdir: 'out/test/unit',
    outbase: 'test/unit',
    external: [...external, 'mocha'],
  });
}

if (args.has('--tests')) {
  await buildTests();
} else if (args.has('--watch')) {
  for (const [src, outfile, extra] of distEntries) {
    if (!existsSync(join(root, src))) continue;
    const ctx = await esbuild.context({ ...common, entryPoints: [src], outfile, ...extra });
    await ctx.watch();
  }
  console.error('watching for changes...');
} else {
  await buildDist();
}
