/**
 * Builds MatMul-only ONNX models in memory (no Python needed) for `npm run bench:roofline`: Y = ReduceSum(X · W) over
 * the last axis, with X a float32 input [M, K] and W a float32 initialiser [K, N] (so onnxruntime pre-packs it, as it
 * does the LM's weights). The ReduceSum keeps the measured time about the multiply, not about copying [M, N] back.
 */
import { mulberry32 } from '../src/core/scoring/math';

/** Minimal protobuf writer (only what ONNX ModelProto needs here). */
class Pb {
  private parts: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  private static varint(v: number): Uint8Array {
    const out: number[] = [];
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return Uint8Array.from(out);
  }
  int(no: number, v: number): this {
    this.push(Pb.varint(no << 3));
    this.push(Pb.varint(v));
    return this;
  }
  bytes(no: number, b: Uint8Array): this {
    this.push(Pb.varint((no << 3) | 2));
    this.push(Pb.varint(b.length));
    this.push(b);
    return this;
  }
  str(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }
  msg(no: number, m: Pb): this {
    return this.bytes(no, m.finish());
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, elem: number, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, elem).msg(2, shape)));
}

function tensor(name: string, elem: number, dims: number[], raw: Uint8Array): Pb {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  return t.int(2, elem).str(8, name).bytes(9, raw);
}

function node(op: string, inputs: string[], outputs: string[], attrs: Pb[] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}

/** Seeded uniform weights in [-0.05, 0.05). */
function weights(count: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const w = new Float32Array(count);
  for (let i = 0; i < count; i++) w[i] = (next() - 0.5) * 0.1;
  return w;
}

/** ONNX bytes of Y[M] = ReduceSum(X[M, K] · W[K, N], axis 1), M symbolic. */
export function matmulModel(k: number, n: number, seed = 1): Uint8Array {
  const w = weights(k * n, seed);
  const raw = new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
  const axes = new Uint8Array(new BigInt64Array([1n]).buffer);
  const keepdims = new Pb().str(1, 'keepdims').int(3, 0).int(20, 2); // AttributeProto: name, i, type=INT
  const graph = new Pb()
    .msg(1, node('MatMul', ['X', 'W'], ['Z']))
    .msg(1, node('ReduceSum', ['Z', 'axes'], ['Y'], [keepdims]))
    .str(2, 'roofline')
    .msg(5, tensor('W', FLOAT, [k, n], raw))
    .msg(5, tensor('axes', INT64, [1], axes))
    .msg(11, valueInfo('X', FLOAT, ['M', k]))
    .msg(12, valueInfo('Y', FLOAT, ['M']));
  return new Pb()
    .int(1, 8)
    .str(2, 'plausibility-bench')
    .msg(7, graph)
    .msg(8, new Pb().str(1, '').int(2, 17))
    .finish();
}
