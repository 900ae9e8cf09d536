/**
 * Execution-provider selection: platform rules, `auto` order, child-process probing (a crash or a hang in the probe
 * never reaches this process), CPU fallback with clear reasons, and the device out-of-memory retry on the CPU.
 * Runs on any machine: nothing here needs a GPU, and nothing assumes there is none.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/core';
import {
  autoOrder,
  interpretProbe,
  isDeviceOutOfMemory,
  planProviders,
  platformInfo,
  probeModel,
  probeProvider,
  PROVIDER_SETTINGS,
  runChild,
  unavailableReason,
  type PlatformInfo,
  type ProbeResult,
} from '../../src/core/model/providers';
import { warmUp } from '../../src/core/model/session';
import { cli, MODEL_DIR } from './helpers';

const linux = (cuda = false): PlatformInfo => ({
  platform: 'linux',
  arch: 'x64',
  backends: [
    { name: 'cpu', bundled: true },
    { name: 'webgpu', bundled: true },
    { name: 'cuda', bundled: cuda },
  ],
  cudaInstalled: cuda,
});
const win: PlatformInfo = {
  platform: 'win32',
  arch: 'x64',
  backends: ['cpu', 'dml', 'webgpu'].map((name) => ({ name, bundled: true })),
  cudaInstalled: false,
};
const mac: PlatformInfo = {
  platform: 'darwin',
  arch: 'arm64',
  backends: ['cpu', 'coreml', 'webgpu'].map((name) => ({ name, bundled: true })),
  cudaInstalled: false,
};

describe('execution providers', function () {
  this.timeout(120000);

  it('the settings values are exactly auto, cpu, cuda, dml, coreml, webgpu', () => {
    assert.deepEqual([...PROVIDER_SETTINGS], ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu']);
  });

  it('auto order: cuda (Linux x64), dml (Windows), coreml (macOS), then webgpu, then cpu', () => {
    assert.deepEqual(autoOrder(linux()), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(autoOrder(win), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(autoOrder(mac), ['coreml', 'webgpu', 'cpu']);
    assert.deepEqual(autoOrder({ ...linux(), arch: 'arm64' }), ['webgpu', 'cpu']);
  });

  it('a provider the platform lacks has a clear reason that says what to do', () => {
    assert.equal(unavailableReason('cpu', linux()), undefined);
    assert.match(unavailableReason('dml', linux())!, /only available on Windows/);
    assert.match(unavailableReason('coreml', win)!, /only available on macOS/);
    assert.match(unavailableReason('cuda', mac)!, /Linux x64/);
    // It says what to do in words an extension user can act on: where the README explains the CUDA install.
    assert.match(unavailableReason('cuda', linux(false))!, /CUDA 12.*GPU execution providers/);
    assert.equal(unavailableReason('cuda', linux(true)), undefined);
    assert.equal(unavailableReason('dml', win), undefined);
    assert.equal(unavailableReason('coreml', mac), undefined);
    assert.match(unavailableReason('tpu', linux())!, /unknown execution provider "tpu".*auto, cpu, cuda/);
  });

  it('platformInfo describes this process (cpu always listed)', () => {
    const info = platformInfo();
    assert.equal(info.platform, process.platform);
    assert.ok(info.backends.some((b) => b.name === 'cpu'));
  });

  it('planProviders: skips what the platform lacks, keeps what the probe accepts, cpu always last', async () => {
    const probed: string[] = [];
    const probe = async (name: string): Promise<ProbeResult> => {
      probed.push(name);
      return name === 'cuda' ? { name, ok: true, ms: 1 } : { name, ok: false, ms: 1, reason: 'no WebGPU adapter' };
    };
    const logs: string[] = [];
    const a = await planProviders('auto', { info: linux(true), probe, log: (m) => logs.push(m) });
    assert.deepEqual(a.candidates, ['cuda', 'cpu']);
    assert.deepEqual(a.skipped, [{ name: 'webgpu', reason: 'no WebGPU adapter' }]);
    assert.deepEqual(probed, ['cuda', 'webgpu']);
    assert.ok(logs.some((l) => /webgpu skipped: no WebGPU adapter/.test(l)));

    probed.length = 0;
    const b = await planProviders('auto', { info: linux(false), probe });
    assert.deepEqual(b.candidates, ['cpu']);
    assert.deepEqual(
      b.skipped.map((s) => s.name),
      ['cuda', 'webgpu'],
    );
    assert.deepEqual(probed, ['webgpu'], 'a provider the platform lacks is not even probed');

    logs.length = 0;
    const c = await planProviders(['dml'], { info: linux(), probe, log: (m) => logs.push(m) });
    assert.deepEqual(c.candidates, ['cpu']);
    assert.match(c.skipped[0].reason, /only available on Windows/);
    assert.ok(logs.some((l) => /dml requested but unavailable/.test(l)), 'an explicit request is reported');

    const d = await planProviders(['CPU'], { info: win, probe });
    assert.deepEqual(d, { candidates: ['cpu'], skipped: [] });
    const e = await planProviders([], { info: win, probe });
    assert.deepEqual(e.candidates, ['cpu']);

    probed.length = 0;
    const wasm = { ...linux(true), wasmBecause: 'no native binding for darwin-x64' };
    const f = await planProviders('auto', { info: wasm, probe });
    assert.deepEqual(f.candidates, ['cpu'], 'the WebAssembly build runs on the CPU only');
    assert.deepEqual(probed, [], 'nothing is probed');
    for (const s of f.skipped) assert.match(s.reason, /WebAssembly build.*no native binding for darwin-x64/);
  });

  it('the probe model is a valid ONNX MatMul', async () => {
    const s = await ort.InferenceSession.create(probeModel(3));
    const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), [3, 3]);
    const eye = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), [3, 3]);
    const r = await s.run({ A: a, B: eye });
    assert.deepEqual(Array.from(r['C'].data as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await s.release();
  });

  it('probing runs in a child process and never throws, whatever this machine has', async () => {
    const cpu = await probeProvider('cpu');
    assert.equal(cpu.ok, true);
    for (const name of ['cuda', 'webgpu', 'dml', 'coreml', 'bogus']) {
      const r = await probeProvider(name, { fresh: true });
      assert.equal(r.name, name);
      if (!r.ok) assert.ok(r.reason && r.reason.length > 10, `${name}: a reason is given (${r.reason})`);
    }
    const bogus = await probeProvider('bogus');
    assert.equal(bogus.ok, false);
  });

  it('a probe child that crashes or hangs is reported, not propagated', async () => {
    const crash = await runChild("process.kill(process.pid, 'SIGSEGV')", {}, 20000);
    const r = interpretProbe('cuda', crash);
    assert.equal(r.ok, false);
    assert.match(r.reason!, /probe process crashed \(signal SIGSEGV\)/);

    const hang = await runChild('setInterval(() => {}, 1000)', {}, 500);
    assert.equal(hang.timedOut, true);
    assert.match(interpretProbe('webgpu', hang).reason!, /timed out/);

    const abort = interpretProbe('dml', { code: 3, signal: null, stdout: '', stderr: 'driver exploded\n', timedOut: false, ms: 5 });
    assert.match(abort.reason!, /exit code 3.*driver exploded/);
  });

  it('software/fallback WebGPU adapters are rejected', () => {
    const ok = 'PROBE {"ok":true,"deviceMs":1,"cpuMs":2,"maxDiff":0}\n';
    const base = { code: 0, signal: null, timedOut: false, ms: 10 };
    assert.equal(interpretProbe('webgpu', { ...base, stdout: ok, stderr: '' }).ok, true);
    const sw = interpretProbe('webgpu', { ...base, stdout: ok, stderr: 'adapter: SwiftShader Device (Subzero)' });
    assert.equal(sw.ok, false);
    assert.match(sw.reason!, /software\/fallback WebGPU adapter/);
    const lvp = interpretProbe('webgpu', { ...base, stdout: ok, stderr: 'llvmpipe (LLVM 15.0.6, 256 bits)' });
    assert.equal(lvp.ok, false);
    const slow = interpretProbe('webgpu', {
      ...base,
      stdout: 'PROBE {"ok":true,"deviceMs":400,"cpuMs":3,"maxDiff":0}\n',
      stderr: '',
    });
    assert.match(slow.reason!, /software\/fallback/);
    const wrong = interpretProbe('cuda', { ...base, stdout: 'PROBE {"ok":true,"deviceMs":1,"cpuMs":2,"maxDiff":5}\n', stderr: '' });
    assert.match(wrong.reason!, /wrong results/);
  });

  it('recognises device out-of-memory errors', () => {
    for (const m of [
      'CUDA failure 2: out of memory',
      '[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running MatMul node. Name:\'x\' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 123',
      'CUBLAS_STATUS_ALLOC_FAILED',
      'DXGI_ERROR_DEVICE_REMOVED',
      'WebGPU device lost (Destroyed): out of memory',
    ])
      assert.ok(isDeviceOutOfMemory(m), m);
    for (const m of ['input_ids: invalid shape', 'Got invalid dimensions for input']) assert.ok(!isDeviceOutOfMemory(m), m);
  });

  it('Engine.load: a provider this platform lacks falls back to the CPU with the reason recorded', async () => {
    const logs: string[] = [];
    const lacking = process.platform === 'win32' ? 'coreml' : 'dml';
    const e = await Engine.load(MODEL_DIR, { executionProviders: [lacking], intraOpNumThreads: 1, log: (m) => logs.push(m) });
    try {
      assert.equal(e.info.provider, 'cpu');
      const s = e.info.skippedProviders.find((x) => x.name === lacking);
      assert.ok(s, 'the skipped provider is listed');
      assert.match(s.reason, /only available on/);
      assert.ok(logs.some((l) => l.includes(lacking)), 'and logged');
      const lp = await e.sequenceLogprobs(['The cat sat on the mat.']);
      assert.ok(Number.isFinite(lp[0]) && lp[0] < 0);
    } finally {
      await e.dispose();
    }
  });

  it("a GPU provider's load-time warm-up (passes of 1 and 2 tokens, scoring head included) runs on the bundled model", async () => {
    // On a GPU it catches device outputs bound at one shape (webgpu, H200), which then fall back to host outputs.
    const e = await Engine.load(MODEL_DIR, { intraOpNumThreads: 1 });
    try {
      await warmUp(e.session, e.config);
    } finally {
      await e.dispose();
    }
  });

  it('Engine.load with auto runs on some provider and accounts for every one it did not use', async () => {
    const e = await Engine.load(MODEL_DIR, { executionProviders: ['auto'], intraOpNumThreads: 1 });
    try {
      const order = autoOrder(platformInfo());
      assert.ok(order.includes(e.info.provider));
      const before = order.slice(0, order.indexOf(e.info.provider));
      assert.deepEqual(
        e.info.skippedProviders.map((s) => s.name),
        before,
        'every provider tried before the one running is listed with a reason',
      );
      for (const s of e.info.skippedProviders) assert.ok(s.reason.length > 0);
      assert.equal(e.kvOnDevice, ['cuda', 'webgpu'].includes(e.info.provider));
    } finally {
      await e.dispose();
    }
  });

  it('a device out-of-memory error during a run is reported and the pass is retried on the CPU', async () => {
    const logs: string[] = [];
    const e = await Engine.load(MODEL_DIR, { intraOpNumThreads: 1, log: (m) => logs.push(m) });
    try {
      const want = await e.sequenceLogprobs(['A short sentence about the weather.']);
      // Pretend the session runs on a GPU that is out of memory.
      const real = e.session;
      e.info.provider = 'cuda';
      const fake = Object.create(real) as ort.InferenceSession;
      fake.run = async () => {
        throw new Error('CUDA failure 2: out of memory ; GPU=0');
      };
      e.session = fake;
      const got = await e.sequenceLogprobs(['A short sentence about the weather.']);
      assert.ok(Math.abs(got[0] - want[0]) < 1e-4, `${got[0]} vs ${want[0]}`);
      assert.equal(e.info.provider, 'cpu');
      assert.ok(e.session !== fake);
      assert.match(e.info.skippedProviders.at(-1)!.reason, /out of memory during a run/);
      assert.ok(logs.some((l) => /ran out of memory.*retrying on the CPU/.test(l)));
      // (the engine released the old session, here the real one behind the fake)
      // Other errors are not retried.
      e.info.provider = 'cuda';
      const bad = Object.create(e.session) as ort.InferenceSession;
      bad.run = async () => {
        throw new Error('Got invalid dimensions for input');
      };
      const keep = e.session;
      e.session = bad;
      await assert.rejects(() => e.sequenceLogprobs(['x y']), /inference failed: Got invalid dimensions/);
      e.session = keep;
      e.info.provider = 'cpu';
    } finally {
      await e.dispose();
    }
  });

  it('CLI --provider with a provider this platform lacks: CPU fallback, --verbose says which runs and why', () => {
    const lacking = process.platform === 'win32' ? 'coreml' : 'dml';
    const r = cli(['perplexity', '-', '--provider', lacking, '--verbose', '--format', 'json'], { input: 'The cat sat on the mat.' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout));
    assert.match(r.stderr, /on provider cpu/);
    assert.match(r.stderr, new RegExp(`skipped: ${lacking}: .*only available on`));
    const a = cli(['perplexity', '-', '--provider', 'auto', '--verbose'], { input: 'The cat sat on the mat.' });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /on provider \w+/);
  });
});

describe('WebAssembly runtime (the fallback where onnxruntime-node ships no binary, e.g. darwin-x64)', function () {
  this.timeout(120_000);
  const text = 'The committee reviewed the proposal.\r\nCafé 👩‍👩‍👧 naïve e\u0301 — 東京.';

  it('scores exactly like the native binding, and says which runtime it runs on', () => {
    const native = cli(['score', '-', '--format', 'json'], { input: text });
    const wasm = cli(['score', '-', '--format', 'json', '--verbose', '--provider', 'auto'], {
      input: text,
      env: { PLAUSIBILITY_ORT_RUNTIME: 'wasm' },
    });
    assert.equal(native.code, 0, native.stderr);
    assert.equal(wasm.code, 0, wasm.stderr);
    assert.match(wasm.stderr, /WebAssembly/);
    const a = JSON.parse(native.stdout) as { tokens: { text: string; nll: number; rank: number }[]; nll: number };
    const b = JSON.parse(wasm.stdout) as typeof a;
    assert.deepEqual(b.tokens.map((t) => t.text), a.tokens.map((t) => t.text));
    for (let i = 0; i < a.tokens.length; i++) assert.ok(Math.abs(a.tokens[i].nll - b.tokens[i].nll) < 1e-3, `token ${i}`);
    assert.ok(Math.abs(a.nll - b.nll) < 1e-2);
  });

  it('ranks candidates the same way', () => {
    const args = ['rank', '--context', 'Every morning', 'the cat sat on the mat.', 'the mat sat on the cat.', '--format', 'json'];
    const a = JSON.parse(cli(args).stdout) as { text: string; nll: number }[];
    const r = cli(args, { env: { PLAUSIBILITY_ORT_RUNTIME: 'wasm' } });
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout) as typeof a;
    assert.deepEqual(b.map((x) => x.text), a.map((x) => x.text));
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i].nll - b[i].nll) < 1e-2);
  });
});
