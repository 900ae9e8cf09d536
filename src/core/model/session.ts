/**
 * The onnxruntime session behind an engine: creating it on the first execution provider that loads the graph and
 * survives a warm-up run, and replacing it with a CPU session after a device out-of-memory error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import { ort, ortRuntime, setWasmThreads } from './ort';
import type { ModelConfig } from './config';
import { ModelLoadError, PlausibilityError } from '../errors';
import { GPU_BUFFER_PROVIDERS, isDeviceOutOfMemory, planProviders } from './providers';
import { appendScoringHead, HEAD_INPUTS } from './scoringHead';
import { int64 } from './tensors';
import type { EngineInfo, EngineOptions } from './types';

/** The provider in use as users see it: `cpu (WebAssembly)` on onnxruntime-web's build. */
export function providerLabel(info: Pick<EngineInfo, 'provider' | 'runtime'>): string {
  return info.runtime === 'wasm' ? `${info.provider} (WebAssembly)` : info.provider;
}

/** Session options shared by every provider. */
function baseSessionOptions(ep: string, opts: EngineOptions): ortTypes.InferenceSession.SessionOptions {
  const so: ortTypes.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    logSeverityLevel: 3,
    enableMemPattern: opts.memoryPattern ?? true,
    enableCpuMemArena: opts.cpuMemArena ?? true,
  };
  if (opts.intraOpNumThreads) so.intraOpNumThreads = opts.intraOpNumThreads;
  if (opts.interOpNumThreads) so.interOpNumThreads = opts.interOpNumThreads;
  return so;
}

/** Feeds for an `n`-token warm-up run (BOS repeated, empty past), built from the session's own input metadata. */
function warmUpFeeds(session: ortTypes.InferenceSession, config: ModelConfig, n: number): Record<string, ortTypes.Tensor> {
  const feeds: Record<string, ortTypes.Tensor> = {};
  const each = (v: number) => new Array<number>(n).fill(v);
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = int64(each(config.bosTokenId), [1, n]);
    else if (name === 'attention_mask') feeds[name] = int64(each(1), [1, n]);
    else if (name === 'position_ids') feeds[name] = int64(each(0).map((_, i) => i), [1, n]);
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
    else if (name === HEAD_INPUTS.targets) feeds[name] = int64(each(0), [1, n]);
    else if (name === HEAD_INPUTS.k) feeds[name] = int64([1], [1]);
    else if (name === HEAD_INPUTS.details || name === HEAD_INPUTS.score) feeds[name] = new ort.Tensor('bool', [false], [1]);
    else if (name.startsWith('past_key_values.')) {
      const meta = session.inputMetadata.find((m) => m.name === name);
      const half = !!meta && meta.isTensor && meta.type === 'float16';
      const dims = [1, config.numKvHeads, 0, config.headDim];
      feeds[name] = half ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
  }
  return feeds;
}

/** Two passes of different lengths: a provider that only runs one shape fails here, at load, not mid-document. */
export async function warmUp(session: ortTypes.InferenceSession, config: ModelConfig): Promise<void> {
  await session.run(warmUpFeeds(session, config, 1));
  await session.run(warmUpFeeds(session, config, 2));
}

/** {@link warmUp}; on failure the session is released and the reason's first line returned. */
async function warmUpOrRelease(session: ortTypes.InferenceSession, config: ModelConfig): Promise<string | undefined> {
  try {
    await warmUp(session, config);
    return undefined;
  } catch (e) {
    await session.release().catch(() => undefined);
    return (e as Error).message.split('\n')[0];
  }
}

/** A session as {@link openSession} created it. */
export interface OpenedSession {
  session: ortTypes.InferenceSession;
  options: ortTypes.InferenceSession.SessionOptions;
  /** The execution provider that loaded the graph. */
  provider: string;
  /** What the session was created from: the ONNX file, or its bytes with the scoring head appended. */
  source: string | Uint8Array;
  /** Providers that were tried and failed, with the reason. */
  skipped: { name: string; reason: string }[];
}

/**
 * Creates a session for `file` on the first of the wanted execution providers that loads it (and, but for cpu, runs
 * a warm-up pass), with the scoring head appended where the graph takes it. Throws {@link ModelLoadError} when even
 * the CPU cannot load the file.
 */
export async function openSession(
  file: string,
  config: ModelConfig,
  opts: EngineOptions,
  log: (message: string) => void,
): Promise<OpenedSession> {
  setWasmThreads(opts.intraOpNumThreads);
  if (ortRuntime.kind === 'wasm') log(`using onnxruntime's WebAssembly build on the CPU: ${ortRuntime.nativeError}`);
  const plan = await planProviders(
    opts.executionProviders && opts.executionProviders.length > 0 ? opts.executionProviders : ['cpu'],
    { log },
  );
  const wanted = plan.candidates;
  const skipped: { name: string; reason: string }[] = [...plan.skipped];
  let session: ortTypes.InferenceSession | undefined;
  let sessionOptions: ortTypes.InferenceSession.SessionOptions = {};
  let provider = 'cpu';
  // The scoring head is appended in memory; models with external data (or too big to hold twice) load from the file.
  let source: string | Uint8Array = file;
  const external = readdirSync(dirname(file)).some((f) => /\.(onnx_data|onnx\.data|data)$/.test(f));
  if (opts.scoringHead !== false && !external && statSync(file).size < 1024 * 1024 * 1024) {
    try {
      source = appendScoringHead(readFileSync(file));
    } catch (e) {
      log(`scoring head unavailable (${(e as Error).message}); scoring in JavaScript`);
    }
  }
  for (const ep of wanted) {
    const so = baseSessionOptions(ep, opts);
    if (GPU_BUFFER_PROVIDERS.has(ep) && opts.gpuBuffers !== false) {
      // IO binding: the KV cache stays on the device; logits and hidden states come to the host.
      const loc: Record<string, ortTypes.Tensor.DataLocation> = {};
      for (let i = 0; i < config.numLayers; i++) loc[`present.${i}.key`] = loc[`present.${i}.value`] = 'gpu-buffer';
      so.preferredOutputLocation = loc;
    }
    try {
      try {
        session = await ort.InferenceSession.create(source as string, so);
      } catch (e) {
        if (typeof source !== 'string') {
          // The graph with the scoring head did not load here: use the file as it is.
          log(`scoring head unavailable on ${ep} (${(e as Error).message.split('\n')[0]}); scoring in JavaScript`);
          source = file;
        } else if (so.preferredOutputLocation) {
          log(`${ep}: device-resident KV cache unavailable (${(e as Error).message.split('\n')[0]}); using host outputs`);
          delete so.preferredOutputLocation;
        } else throw e;
        session = await ort.InferenceSession.create(file, so);
      }
      if (ep !== 'cpu') {
        let failure = await warmUpOrRelease(session, config);
        if (failure && so.preferredOutputLocation) {
          session = undefined;
          // Seen with webgpu on an H200 (onnxruntime-node 1.30): device outputs stay bound at the first run's shapes,
          // so a pass of another length fails. The KV cache then lives on the host, as on the CPU.
          log(`${ep}: device-resident KV cache failed its warm-up (${failure}); using host outputs`);
          delete so.preferredOutputLocation;
          session = await ort.InferenceSession.create(source as string, so);
          failure = await warmUpOrRelease(session, config);
        }
        if (failure) {
          session = undefined;
          throw new Error(`warm-up run failed: ${failure}`);
        }
      }
      provider = ep;
      sessionOptions = so;
      break;
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      if (ep === 'cpu') {
        throw new ModelLoadError(`ONNX model could not be loaded (corrupt or truncated?): ${file}: ${reason}`, 'MODEL_CORRUPT_FILE');
      }
      skipped.push({ name: ep, reason });
      log(`execution provider ${ep} unavailable (${reason}); trying the next one`);
    }
  }
  if (!session) throw new ModelLoadError(`no execution provider could load ${file}`, 'MODEL_LOAD');
  return { session, options: sessionOptions, provider, source, skipped };
}

/**
 * The live session of a loaded model. Runs go through {@link run}, which moves the model to the CPU (and records why
 * in info.skippedProviders) when a GPU provider runs out of memory.
 */
export class ModelSession {
  constructor(
    /** Replaced by a CPU session after a device out-of-memory error. */
    public session: ortTypes.InferenceSession,
    /** Options the session was created with (the CPU fallback reuses its threads and optimisation level). */
    private options: ortTypes.InferenceSession.SessionOptions,
    /** What the session was created from: the ONNX file, or its bytes with the scoring head appended. */
    private readonly source: string | Uint8Array,
    private readonly info: EngineInfo,
    private readonly log: (message: string) => void,
  ) {}

  /** True when present.* outputs stay on the device (GPU provider with IO binding). */
  get kvOnDevice(): boolean {
    return !!this.options.preferredOutputLocation;
  }

  /** Runs the session; a device out-of-memory error moves the model to the CPU and retries the pass there. */
  async run(
    feeds: Record<string, ortTypes.Tensor>,
    fetches: string[],
  ): Promise<ortTypes.InferenceSession.ReturnType> {
    try {
      return await this.session.run(feeds, fetches);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      if (this.info.provider === 'cpu' || !isDeviceOutOfMemory(msg))
        throw new PlausibilityError(`inference failed: ${msg}`, 'INFERENCE');
      // A device out-of-memory error: report it, move to the CPU, and retry this pass there.
      for (const n of Object.keys(feeds)) {
        const t = feeds[n];
        if (t.location !== 'cpu' && t.location !== undefined) feeds[n] = new ort.Tensor(t.type, await t.getData(), t.dims);
      }
      try {
        await this.fallBackToCpu(msg);
        return await this.session.run(feeds, fetches);
      } catch (e2) {
        throw new PlausibilityError(`inference failed on the CPU after ${msg}: ${(e2 as Error).message.split('\n')[0]}`, 'INFERENCE');
      }
    }
  }

  /**
   * After a device out-of-memory error: replaces the session with a CPU one (same model, threads and optimisation
   * level) and records why in info.skippedProviders.
   */
  private async fallBackToCpu(reason: string): Promise<void> {
    const from = this.info.provider;
    this.log(`execution provider ${from} ran out of memory (${reason}); retrying on the CPU`);
    const so: ortTypes.InferenceSession.SessionOptions = { ...this.options, executionProviders: ['cpu'] };
    delete so.preferredOutputLocation;
    const cpu = await ort.InferenceSession.create(this.source as string, so);
    const old = this.session;
    this.session = cpu;
    this.options = so;
    this.info.provider = 'cpu';
    this.info.skippedProviders.push({ name: from, reason: `out of memory during a run: ${reason}` });
    await old.release().catch(() => undefined);
  }
}
