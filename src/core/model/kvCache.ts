/** The KV cache of a decoder graph: its past/present tensor names, checked against config.json, and cache tensors. */
import type * as ortTypes from 'onnxruntime-node';
import { ort } from './ort';
import type { ModelConfig } from './config';
import { ModelLoadError } from '../errors';
import type { EngineInfo, KvCache } from './types';

/** The graph's KV-cache tensor names per layer and element type (empty names when the graph has no cache). */
export interface KvLayout {
  pastType: 'float32' | 'float16';
  pastNames: { key: string; value: string }[];
  presentNames: { key: string; value: string }[];
}

/**
 * Reads the KV layout of a session's graph, checks it against config.json (layers, heads, head size) and sets
 * info.hasKvCache. Throws {@link ModelLoadError} when the graph and config.json disagree.
 */
export function readKvLayout(
  session: ortTypes.InferenceSession,
  config: ModelConfig,
  info: EngineInfo,
  file: string,
): KvLayout {
  const layout: KvLayout = { pastType: 'float32', pastNames: [], presentNames: [] };
  const inputs = info.inputNames;
  const outputs = info.outputNames;
  const pastInputs = inputs.filter((n) => n.startsWith('past_key_values.'));
  if (pastInputs.length === 0) return layout;
  const L = config.numLayers;
  for (let i = 0; i < L; i++) {
    const key = `past_key_values.${i}.key`;
    const value = `past_key_values.${i}.value`;
    const pk = `present.${i}.key`;
    const pv = `present.${i}.value`;
    for (const [n, list, what] of [
      [key, inputs, 'input'],
      [value, inputs, 'input'],
      [pk, outputs, 'output'],
      [pv, outputs, 'output'],
    ] as const) {
      if (!list.includes(n))
        throw new ModelLoadError(
          `ONNX model ${file} lacks ${what} "${n}" (config.json says ${L} layers)`,
          'MODEL_BAD_GRAPH',
        );
    }
    layout.pastNames.push({ key, value });
    layout.presentNames.push({ key: pk, value: pv });
  }
  if (pastInputs.length !== 2 * L)
    throw new ModelLoadError(
      `ONNX model ${file} has ${pastInputs.length / 2} past layers but config.json says ${L}`,
      'MODEL_BAD_GRAPH',
    );
  // Check the KV shape against config.json where the graph states it.
  const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  if (meta && meta.isTensor) {
    if (meta.type === 'float16') layout.pastType = 'float16';
    const [, h, , d] = meta.shape;
    if (typeof h === 'number' && h !== config.numKvHeads)
      throw new ModelLoadError(
        `ONNX past_key_values have ${h} heads but config.json implies ${config.numKvHeads} key/value heads`,
        'MODEL_BAD_GRAPH',
      );
    if (typeof d === 'number' && d !== config.headDim)
      throw new ModelLoadError(
        `ONNX past_key_values have head size ${d} but config.json implies ${config.headDim}`,
        'MODEL_BAD_GRAPH',
      );
  }
  info.hasKvCache = true;
  return layout;
}

/** An empty KV cache for `batch` rows (past length 0). */
export function emptyCache(layout: KvLayout, config: ModelConfig, batch: number): KvCache {
  const { numKvHeads: h, headDim: d } = config;
  const mk = () =>
    layout.pastType === 'float16'
      ? new ort.Tensor('float16', new Uint16Array(0), [batch, h, 0, d])
      : new ort.Tensor('float32', new Float32Array(0), [batch, h, 0, d]);
  return {
    length: 0,
    batch,
    keys: layout.pastNames.map(mk),
    values: layout.pastNames.map(mk),
  };
}

/** A host-memory copy of a KV cache (a no-op for caches already on the host). */
export async function cacheToCpu(cache: KvCache): Promise<KvCache> {
  const host = async (t: ortTypes.Tensor) =>
    t.location === 'cpu' || t.location === undefined ? t : new ort.Tensor(t.type, await t.getData(), t.dims);
  return {
    length: cache.length,
    batch: cache.batch,
    keys: await Promise.all(cache.keys.map(host)),
    values: await Promise.all(cache.values.map(host)),
  };
}

/** Frees the device memory of a KV cache's tensors (a no-op for host tensors). Do not use the cache afterwards. */
export function releaseCache(cache: KvCache): void {
  for (const t of [...cache.keys, ...cache.values]) if (t.location !== 'cpu') t.dispose();
}
