/**
 * The onnxruntime this process runs on: onnxruntime-node's native binding where it ships one, else onnxruntime-web's
 * WebAssembly build (CPU only, slower), so that platforms without a native binary (Intel Macs, since onnxruntime-node
 * 1.30) still work. `PLAUSIBILITY_ORT_RUNTIME=native|wasm` forces one (tests compare the two).
 *
 * Both packages implement the same onnxruntime-common API, so the rest of the engine uses `ort` as one module.
 */
import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;

export interface OrtRuntime {
  /** `native`: onnxruntime-node; `wasm`: onnxruntime-web's WebAssembly build. */
  kind: 'native' | 'wasm';
  /** Why the native binding is not in use (when kind is wasm). */
  nativeError?: string;
}

function loadOrt(): { ort: Ort; runtime: OrtRuntime } {
  // onnxruntime's telemetry scans /proc/self/cmdline recursively at start-up and overflows the stack on a long
  // command line (lint with hundreds of paths); it is off in every process that loads the engine.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const forced = process.env.PLAUSIBILITY_ORT_RUNTIME?.trim().toLowerCase();
  let nativeError: string;
  if (forced === 'wasm') nativeError = 'PLAUSIBILITY_ORT_RUNTIME=wasm';
  else {
    try {
      return { ort: require('onnxruntime-node') as Ort, runtime: { kind: 'native' } };
    } catch (e) {
      nativeError = `onnxruntime-node has no native binding for ${process.platform}-${process.arch} (${(e as Error).message.split('\n')[0]})`;
      if (forced === 'native') throw new Error(nativeError);
    }
  }
  try {
    const web = require('onnxruntime-web') as Ort & { env: { wasm: { numThreads?: number } } };
    return { ort: web, runtime: { kind: 'wasm', nativeError } };
  } catch (e) {
    throw new Error(`no onnxruntime could be loaded: ${nativeError}; onnxruntime-web: ${(e as Error).message.split('\n')[0]}`);
  }
}

const loaded = loadOrt();
export const ort: Ort = loaded.ort;
export const ortRuntime: OrtRuntime = loaded.runtime;

/** The WebAssembly runtime takes its thread count from `env`, not from session options. */
export function setWasmThreads(n: number | undefined): void {
  const wasm = (ort.env as { wasm?: { numThreads?: number } }).wasm;
  if (ortRuntime.kind === 'wasm' && wasm && n && n > 0) wasm.numThreads = n;
}
