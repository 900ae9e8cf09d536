/**
 * Execution-provider selection.
 *
 * The setting `executionProvider` is one of {@link PROVIDER_SETTINGS}. `auto` tries, in order, cuda (Linux x64, when
 * onnxruntime-node's CUDA provider is installed), dml (Windows), coreml (macOS), webgpu, then cpu. Every provider but
 * the CPU is first probed in a child process (a tiny MatMul session created and run there), so that a crashing GPU
 * driver cannot take the engine down; software/fallback WebGPU adapters are rejected. What is left is handed to
 * {@link Engine.load}, which creates the session and runs a warm-up, falling back to the next provider on failure.
 *
 * No VS Code dependency.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ort, ortRuntime } from './ort';

/** Values of the `executionProvider` setting (and of the CLI's `--provider`). */
import { PROVIDER_SETTINGS } from './providerSettings';
export { PROVIDER_SETTINGS, type ProviderSetting } from './providerSettings';

/** Providers whose outputs can stay on the device (IO binding with preferredOutputLocation 'gpu-buffer'). */
export const GPU_BUFFER_PROVIDERS: ReadonlySet<string> = new Set(['cuda', 'webgpu']);

/** A provider that was asked for (explicitly or by `auto`) but will not run, and why. */
export interface SkippedProvider {
  name: string;
  reason: string;
}

/** What this process's onnxruntime-node can offer. */
export interface PlatformInfo {
  platform: string;
  arch: string;
  /** onnxruntime-node's `listSupportedBackends()`. */
  backends: { name: string; bundled: boolean }[];
  /** The CUDA provider library sits next to the binding (installed with --onnxruntime-node-install=cuda12). */
  cudaInstalled: boolean;
  /** Set when the process runs on onnxruntime-web's WebAssembly build (no native binding): why. CPU only then. */
  wasmBecause?: string;
}

const CUDA_HINT =
  'the CUDA provider is not bundled (it needs CUDA 12 on Linux x64); see "GPU execution providers" in the README: https://github.com/plausibility/plausibility#gpu-execution-providers';

/** Folder of onnxruntime-node's native binding for this platform, or undefined if it cannot be found. */
export function ortBindingDir(): string | undefined {
  try {
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Facts about this platform's onnxruntime-node (cheap; no session is created). */
export function platformInfo(): PlatformInfo {
  let backends: { name: string; bundled: boolean }[] = [];
  try {
    backends = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  } catch {
    backends = [{ name: 'cpu', bundled: true }];
  }
  const dir = ortBindingDir();
  const cudaInstalled =
    backends.some((b) => b.name === 'cuda' && b.bundled) ||
    (!!dir && existsSync(join(dir, 'libonnxruntime_providers_cuda.so')));
  const info: PlatformInfo = { platform: process.platform, arch: process.arch, backends, cudaInstalled };
  if (ortRuntime.kind === 'wasm') info.wasmBecause = ortRuntime.nativeError ?? 'the native binding is unavailable';
  return info;
}

const has = (info: PlatformInfo, name: string) => info.backends.some((b) => b.name === name);

/**
 * Why `name` cannot run on this platform at all (before any probing), or undefined when it may. The message says
 * what the user can do about it.
 */
export function unavailableReason(name: string, info: PlatformInfo): string | undefined {
  if (info.wasmBecause && name !== 'cpu' && (PROVIDER_SETTINGS as readonly string[]).includes(name))
    return `running on onnxruntime's WebAssembly build, which has the CPU only (${info.wasmBecause})`;
  switch (name) {
    case 'cpu':
      return undefined;
    case 'cuda':
      if (info.platform !== 'linux' || info.arch !== 'x64')
        return `CUDA is only available in onnxruntime-node on Linux x64 (this is ${info.platform}-${info.arch})`;
      if (!info.cudaInstalled) return `the CUDA execution provider is not installed; ${CUDA_HINT}`;
      return undefined;
    case 'dml':
      if (info.platform !== 'win32') return `DirectML is only available on Windows (this is ${info.platform})`;
      if (!has(info, 'dml')) return "this onnxruntime-node build has no DirectML provider";
      return undefined;
    case 'coreml':
      if (info.platform !== 'darwin') return `CoreML is only available on macOS (this is ${info.platform})`;
      if (!has(info, 'coreml')) return 'this onnxruntime-node build has no CoreML provider';
      return undefined;
    case 'webgpu':
      if (!has(info, 'webgpu')) return `this onnxruntime-node build has no WebGPU provider (${info.platform}-${info.arch})`;
      return undefined;
    default:
      return `unknown execution provider "${name}" (expected one of ${PROVIDER_SETTINGS.join(', ')})`;
  }
}

/** The order `auto` tries providers in, for a platform (cpu last, always). */
export function autoOrder(info: PlatformInfo): string[] {
  const out: string[] = [];
  if (info.platform === 'linux' && info.arch === 'x64') out.push('cuda');
  if (info.platform === 'win32') out.push('dml');
  if (info.platform === 'darwin') out.push('coreml');
  out.push('webgpu', 'cpu');
  return out;
}

/** Result of probing one provider in a child process. */
export interface ProbeResult {
  name: string;
  ok: boolean;
  /** Why it cannot be used (when !ok). */
  reason?: string;
  /** Wall time of the probe, ms. */
  ms: number;
}

/** Adapter names of software WebGPU/Vulkan/D3D implementations. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp adapter|software rasterizer|\bcpu adapter\b/i;

/** Matrix size of the probe MatMul. */
const PROBE_N = 256;

/** Encodes a minimal ONNX model: C = MatMul(A, B), A and B float32 [n, n] inputs (opset 17). */
export function probeModel(n = PROBE_N): Uint8Array {
  const bytes: number[] = [];
  const varint = (out: number[], v: number) => {
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const field = (no: number, wire: number, out: number[]) => varint(out, (no << 3) | wire);
  const int = (no: number, v: number): number[] => {
    const o: number[] = [];
    field(no, 0, o);
    varint(o, v);
    return o;
  };
  const msg = (no: number, body: number[]): number[] => {
    const o: number[] = [];
    field(no, 2, o);
    varint(o, body.length);
    return o.concat(body);
  };
  const str = (no: number, s: string) => msg(no, [...Buffer.from(s, 'utf8')]);
  // ValueInfoProto { name, type: TypeProto { tensor_type { elem_type: FLOAT, shape { dim n, dim n } } } }
  const tensorType = (name: string) => [
    ...str(1, name),
    ...msg(2, msg(1, [...int(1, 1), ...msg(2, [...msg(1, int(1, n)), ...msg(1, int(1, n))])])),
  ];
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(3, 'probe'), ...str(4, 'MatMul')];
  const graph = [
    ...msg(1, node),
    ...str(2, 'probe'),
    ...msg(11, tensorType('A')),
    ...msg(11, tensorType('B')),
    ...msg(12, tensorType('C')),
  ];
  bytes.push(...int(1, 8), ...str(2, 'plausibility'), ...msg(7, graph), ...msg(8, [...str(1, ''), ...int(2, 17)]));
  return Uint8Array.from(bytes);
}

/** The probe run in the child: creates a session with one provider, runs the MatMul, checks the result. */
function probeScript(): string {
  return `
const ort = require(process.env.PLAUSIBILITY_ORT);
const name = process.env.PLAUSIBILITY_PROBE_EP;
const n = ${PROBE_N};
const model = Buffer.from(process.env.PLAUSIBILITY_PROBE_MODEL, 'base64');
const say = (o) => process.stdout.write('PROBE ' + JSON.stringify(o) + '\\n');
(async () => {
  const a = new Float32Array(n * n), b = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) { a[i] = ((i * 7) % 13) / 13 - 0.5; b[i] = ((i * 5) % 11) / 11 - 0.5; }
  const feeds = { A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) };
  const time = async (s) => { await s.run(feeds); const t0 = process.hrtime.bigint(); let out; for (let k = 0; k < 5; k++) out = await s.run(feeds); return { ms: Number(process.hrtime.bigint() - t0) / 5e6, c: out.C.data }; };
  let sess;
  try {
    sess = await ort.InferenceSession.create(model, { executionProviders: [name], logSeverityLevel: 3 });
  } catch (e) { say({ ok: false, stage: 'session', reason: String(e && e.message || e).split('\\n')[0] }); return; }
  let dev;
  try { dev = await time(sess); } catch (e) { say({ ok: false, stage: 'run', reason: String(e && e.message || e).split('\\n')[0] }); return; }
  const cpu = await time(await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 }));
  let maxDiff = 0;
  for (let i = 0; i < n * n; i++) maxDiff = Math.max(maxDiff, Math.abs(dev.c[i] - cpu.c[i]));
  say({ ok: true, deviceMs: dev.ms, cpuMs: cpu.ms, maxDiff });
})().catch((e) => say({ ok: false, stage: 'probe', reason: String(e && e.message || e).split('\\n')[0] }));
`;
}

/** Raw outcome of a child process run. */
export interface ChildOutcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/**
 * Runs JavaScript `code` in a child Node process (ELECTRON_RUN_AS_NODE, so it works inside the VS Code extension
 * host too), with a timeout. Never throws for a crash, a signal or a timeout: the outcome says what happened.
 */
export function runChild(code: string, env: Record<string, string>, timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolveOutcome) => {
    const t0 = Date.now();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, ['-e', code], {
        env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      resolveOutcome({ code: null, signal: null, stdout, stderr: (e as Error).message, timedOut, ms: Date.now() - t0 });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 65536) stderr += d.toString('utf8');
    });
    child.on('error', (e) => (stderr += `\n${e.message}`));
    child.on('close', (codeNum, signal) => {
      clearTimeout(timer);
      resolveOutcome({ code: codeNum, signal, stdout, stderr, timedOut, ms: Date.now() - t0 });
    });
  });
}

/** Turns a probe child's outcome into a {@link ProbeResult}. Exported for tests. */
export function interpretProbe(name: string, o: ChildOutcome): ProbeResult {
  const base = { name, ms: o.ms };
  if (o.timedOut) return { ...base, ok: false, reason: `probe timed out after ${o.ms} ms (driver hang?)` };
  const line = o.stdout.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) {
    const why = o.signal ? `signal ${o.signal}` : `exit code ${o.code}`;
    const tail = o.stderr.trim().split('\n').filter(Boolean).pop();
    return { ...base, ok: false, reason: `probe process crashed (${why})${tail ? `: ${tail.slice(0, 300)}` : ''}` };
  }
  let r: { ok: boolean; reason?: string; stage?: string; deviceMs?: number; cpuMs?: number; maxDiff?: number };
  try {
    r = JSON.parse(line.slice(6));
  } catch {
    return { ...base, ok: false, reason: 'probe printed an unreadable result' };
  }
  if (!r.ok) return { ...base, ok: false, reason: cleanReason(r.reason ?? 'failed', r.stage) };
  const soft = o.stderr.match(SOFTWARE_ADAPTER);
  if (name === 'webgpu' && soft) return { ...base, ok: false, reason: `software/fallback WebGPU adapter (${soft[0]})` };
  if (typeof r.maxDiff !== 'number' || !(r.maxDiff < 1e-2))
    return { ...base, ok: false, reason: `probe MatMul gave wrong results (max abs diff ${r.maxDiff} vs the CPU)` };
  // A software adapter runs far slower than the CPU; a real GPU does not, even for this small MatMul.
  if (name === 'webgpu' && typeof r.deviceMs === 'number' && typeof r.cpuMs === 'number' && r.deviceMs > 8 * r.cpuMs + 5)
    return {
      ...base,
      ok: false,
      reason: `WebGPU adapter looks like a software/fallback one (probe MatMul ${r.deviceMs.toFixed(1)} ms vs ${r.cpuMs.toFixed(1)} ms on the CPU)`,
    };
  return { ...base, ok: true };
}

function cleanReason(reason: string, stage?: string): string {
  let r = reason.replace(/^\/onnxruntime_src\/\S+\s+/, '').trim();
  if (/backend not found/i.test(r)) r = 'onnxruntime-node has no such backend on this platform';
  if (/Failed to load shared library|providers_shared\.so|providers_cuda/i.test(r)) r = `could not load the provider library (${r.slice(0, 160)}); ${CUDA_HINT}`;
  if (/No supported adapters|Failed to get a WebGPU adapter/i.test(r)) r = 'no WebGPU adapter (no GPU or driver found)';
  const where = stage === 'run' ? 'a probe run failed' : stage === 'session' ? 'could not create a session' : 'probe failed';
  return `${where}: ${r}`;
}

const probeCache = new Map<string, Promise<ProbeResult>>();

/**
 * Probes provider `name` in a child process: creates a session for a small MatMul, runs it, checks the result against
 * the CPU, and rejects software WebGPU adapters. Results are cached for this process. Never throws.
 */
export function probeProvider(name: string, opts: { timeoutMs?: number; fresh?: boolean } = {}): Promise<ProbeResult> {
  if (name === 'cpu') return Promise.resolve({ name, ok: true, ms: 0 });
  const cached = probeCache.get(name);
  if (cached && !opts.fresh) return cached;
  let ortPath: string;
  try {
    ortPath = require.resolve('onnxruntime-node');
  } catch (e) {
    return Promise.resolve({ name, ok: false, ms: 0, reason: `onnxruntime-node not found: ${(e as Error).message}` });
  }
  const p = runChild(
    probeScript(),
    {
      PLAUSIBILITY_ORT: ortPath,
      PLAUSIBILITY_PROBE_EP: name,
      PLAUSIBILITY_PROBE_MODEL: Buffer.from(probeModel()).toString('base64'),
    },
    opts.timeoutMs ?? 30000,
  ).then((o) => interpretProbe(name, o));
  probeCache.set(name, p);
  return p;
}

/** The providers to try in-process, in order (cpu last), and the ones skipped with their reasons. */
export interface ProviderPlan {
  candidates: string[];
  skipped: SkippedProvider[];
}

/** Options for {@link planProviders}. */
export interface PlanOptions {
  /** Platform facts (default: this process's). */
  info?: PlatformInfo;
  /** The probe (default: {@link probeProvider}, a child process). */
  probe?: (name: string) => Promise<ProbeResult>;
  /** Diagnostics. */
  log?: (message: string) => void;
}

/**
 * Expands requested providers (setting values; `auto` expands to {@link autoOrder}) into the list the engine will try.
 * Providers this platform lacks are skipped with a clear reason, the rest but cpu are probed in a child process, and
 * cpu is always last. Never throws.
 */
export async function planProviders(requested: string | string[], opts: PlanOptions = {}): Promise<ProviderPlan> {
  const info = opts.info ?? platformInfo();
  const probe = opts.probe ?? ((n: string) => probeProvider(n));
  const log = opts.log ?? (() => undefined);
  const asked = (Array.isArray(requested) ? requested : [requested]).map((p) => p.trim().toLowerCase()).filter(Boolean);
  const order: string[] = [];
  const explicit = new Set<string>();
  for (const p of asked.length ? asked : ['cpu']) {
    const expanded = p === 'auto' ? autoOrder(info) : [p];
    if (p !== 'auto') explicit.add(p);
    for (const e of expanded) if (!order.includes(e)) order.push(e);
  }
  const skipped: SkippedProvider[] = [];
  const candidates: string[] = [];
  for (const name of order) {
    if (name === 'cpu') continue;
    const why = unavailableReason(name, info);
    if (why) {
      skipped.push({ name, reason: why });
      // `auto` skipping a provider the platform never has is routine; an explicit request deserves a message.
      if (explicit.has(name)) log(`execution provider ${name} requested but unavailable: ${why}; using the next one`);
      continue;
    }
    const r = await probe(name);
    if (r.ok) candidates.push(name);
    else {
      const reason = r.reason ?? 'probe failed';
      skipped.push({ name, reason });
      log(`execution provider ${name} skipped: ${reason}`);
    }
  }
  candidates.push('cpu');
  return { candidates, skipped };
}

/**
 * True for errors that mean the device ran out of memory (CUDA, DirectML, WebGPU), which the engine answers by
 * retrying on the CPU.
 */
export function isDeviceOutOfMemory(message: string): boolean {
  return /out of memory|\bOOM\b|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED|E_OUTOFMEMORY|DXGI_ERROR_DEVICE_REMOVED|device lost|Failed to allocate memory|BFCArena.*(allocat|failed)/i.test(
    message,
  );
}
