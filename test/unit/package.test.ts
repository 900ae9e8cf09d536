/** Packaging: the per-target ignore files of scripts/package.mjs (the VSIX build itself runs in `npm run package`). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];

function ignoreFor(target: string): string[] {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--print-ignore', target], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

describe('packaging: per-target ignore files', function () {
  this.timeout(60_000);
  const bin = join(ROOT, 'node_modules', 'onnxruntime-node', 'bin');
  const dirs: string[] = [];
  if (existsSync(bin))
    for (const napi of readdirSync(bin))
      for (const plat of readdirSync(join(bin, napi))) for (const arch of readdirSync(join(bin, napi, plat))) dirs.push(`${napi}/${plat}/${arch}`);

  for (const target of TARGETS) {
    it(`${target}: keeps only its own onnxruntime binding, prunes variants, sources, tests and training`, () => {
      const lines = ignoreFor(target);
      const [os, arch] = target.split('-');
      for (const d of dirs) {
        const pattern = `node_modules/onnxruntime-node/bin/${d}/**`;
        const own = d.endsWith(`/${os}/${arch}`);
        assert.equal(lines.includes(pattern), !own, `${pattern} ${own ? 'kept' : 'pruned'}`);
      }
      for (const p of ['src/**', 'test/**', 'training/**', 'bench/**', 'models/*/onnx/model_*', 'node_modules/adm-zip/**', 'node_modules/global-agent/**'])
        assert.ok(lines.includes(p), `${p} ignored`);
      assert.ok(!lines.some((l) => l.startsWith('!models')), 'no pattern re-includes model variants');
      // onnxruntime-web: pruned where a native binding ships; only its Node build and one .wasm where none does.
      assert.ok(lines.includes('node_modules/onnxruntime-web/**'));
      assert.ok(lines.includes('node_modules/protobufjs/**'), 'the browser builds\' dependencies are pruned');
      const native = dirs.some((d) => d.endsWith(`/${os}/${arch}`));
      const reincluded = lines.filter((l) => l.startsWith('!node_modules/onnxruntime-web/'));
      if (native) assert.deepEqual(reincluded, [], 'a native target ships no WebAssembly runtime');
      else {
        assert.ok(reincluded.includes('!node_modules/onnxruntime-web/dist/ort.node.min.js'));
        assert.ok(reincluded.includes('!node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'));
        for (const l of reincluded) assert.ok(existsSync(join(ROOT, l.slice(1))), `${l.slice(1)} exists`);
      }
    });
  }
});
