/** Tensor conversions between onnxruntime and JavaScript arrays. */
import type * as ortTypes from 'onnxruntime-node';
import { ort } from './ort';
import { PlausibilityError } from '../errors';

/** Converts IEEE half floats to float32. */
function halfToFloat(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) out[i] = s * 2 ** -14 * (f / 1024);
    else if (e === 31) out[i] = f ? NaN : s * Infinity;
    else out[i] = s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

/** A float32 view of an output tensor (float16 outputs are widened). */
export function toFloat32(t: ortTypes.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as unknown;
    if (d instanceof Uint16Array) return halfToFloat(d);
    return Float32Array.from(d as ArrayLike<number>);
  }
  throw new PlausibilityError(`unexpected output tensor type ${t.type}`, 'MODEL_BAD_OUTPUT');
}

/** An int64 tensor of `values` with shape `dims`. */
export function int64(values: ArrayLike<number>, dims: number[]): ortTypes.Tensor {
  const a = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]);
  return new ort.Tensor('int64', a, dims);
}
