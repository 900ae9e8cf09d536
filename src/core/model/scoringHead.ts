/**
 * A scoring head appended to a decoder's ONNX graph at load time, so that scoring never moves vocabulary-sized logits
 * into JavaScript: log-softmax, the target's log-probability (gather), its rank, the entropy and the top-k all run
 * inside onnxruntime, and only [batch, seq] and [batch, seq, k] tensors come back.
 *
 * The head is added by appending nodes, inputs and outputs to the serialised GraphProto (protobuf repeated fields can
 * be appended), so the original graph is untouched and nothing needs the onnx Python package. Works for any opset
 * >= 11 model with a `logits` output (float32 or float16), project or third-party.
 *
 * Added inputs: `plausibility_targets` int64 [b, s] (the next token at each position; any valid id where unused) and
 * `plausibility_k` int64 [1] (top-k size, >= 1) and `plausibility_details` bool [1] (compute rank and entropy: an If
 * node, so that scoring without them skips their vocabulary-sized passes), and `plausibility_score` bool [1]: the
 * whole head sits in an If on it, so forward passes that do not score (generation, hidden states) pay nothing and get
 * empty head outputs. Added outputs (float32 unless noted):
 * - `plausibility_logprob` [b, s]: log P(target) in nats;
 * - `plausibility_greater` [b, s]: how many vocabulary entries have a larger logit than the target (rank - 1);
 * - `plausibility_neg_entropy` [b, s]: sum p log p (minus the entropy, nats);
 *   (these two are empty when `plausibility_details` is false)
 * - `plausibility_top_logprob` [b, s, k] and `plausibility_top_id` [b, s, k] int64: the top-k, most likely first.
 */

export const HEAD_INPUTS = {
  targets: 'plausibility_targets',
  k: 'plausibility_k',
  details: 'plausibility_details',
  score: 'plausibility_score',
} as const;
export const HEAD_OUTPUTS = {
  logprob: 'plausibility_logprob',
  greater: 'plausibility_greater',
  negEntropy: 'plausibility_neg_entropy',
  topLogprob: 'plausibility_top_logprob',
  topId: 'plausibility_top_id',
} as const;

// --- minimal protobuf reading -------------------------------------------------------------------------------------

interface Field {
  no: number;
  wire: number;
  /** Byte range of the whole field (tag included). */
  start: number;
  end: number;
  /** Payload range for length-delimited fields; value for varints. */
  dataStart: number;
  dataEnd: number;
  value: number;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated protobuf');
    const x = b[pos++];
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, pos];
    mul *= 128;
  }
}

function fields(b: Uint8Array, from = 0, to = b.length): Field[] {
  const out: Field[] = [];
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, p1] = readVarint(b, pos);
    pos = p1;
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    let dataStart = pos;
    let dataEnd = pos;
    let value = 0;
    if (wire === 0) {
      [value, pos] = readVarint(b, pos);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(b, pos);
      dataStart = p2;
      dataEnd = p2 + len;
      pos = dataEnd;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (pos > to) throw new Error('truncated protobuf');
    out.push({ no, wire, start, end: pos, dataStart, dataEnd, value });
  }
  return out;
}

const utf8 = (b: Uint8Array, f: Field) => new TextDecoder().decode(b.subarray(f.dataStart, f.dataEnd));

// --- minimal protobuf writing -------------------------------------------------------------------------------------

class Pb {
  private parts: number[] = [];
  private static varint(out: number[], v: number): void {
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  }
  int(no: number, v: number): this {
    Pb.varint(this.parts, no << 3);
    if (v < 0) {
      // int64 two's complement, 10 bytes
      const big = BigInt.asUintN(64, BigInt(v));
      let x = big;
      for (let i = 0; i < 9; i++) {
        this.parts.push(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
      }
      this.parts.push(Number(x));
      return this;
    }
    Pb.varint(this.parts, v);
    return this;
  }
  bytes(no: number, b: ArrayLike<number>): this {
    Pb.varint(this.parts, (no << 3) | 2);
    Pb.varint(this.parts, b.length);
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]);
    return this;
  }
  str(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }
  msg(no: number, m: Pb): this {
    return this.bytes(no, m.parts);
  }
  get length(): number {
    return this.parts.length;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const FLOAT = 1;
const INT64 = 7;
const FLOAT16 = 10;

function node(op: string, inputs: string[], outputs: string[], attrs: Pb[] = []): Pb {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, outputs[0] + '_node');
  n.str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}
/** AttributeProto INT (type 2). */
const attrInt = (name: string, v: number) => new Pb().str(1, name).int(3, v).int(20, 2);
/** AttributeProto INTS (type 7). */
const attrInts = (name: string, vs: number[]) => {
  const a = new Pb().str(1, name);
  for (const v of vs) a.int(8, v);
  return a.int(20, 7);
};
/** TensorProto int64 initializer. */
function int64Init(name: string, vs: number[]): Pb {
  const t = new Pb().int(1, vs.length).int(2, INT64).str(8, name);
  const raw = new Uint8Array(new BigInt64Array(vs.map((v) => BigInt(v))).buffer);
  return t.bytes(9, raw);
}
function valueInfo(name: string, elem: number, dims: string[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, new Pb().str(2, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, elem).msg(2, shape)));
}

/** Facts read from a serialised ModelProto. */
export interface GraphFacts {
  opset: number;
  /** elem_type of the `logits` output (1 float32, 10 float16), or undefined when there is none. */
  logitsType?: number;
  names: Set<string>;
}

export function readGraphFacts(model: Uint8Array): GraphFacts {
  const top = fields(model);
  let opset = 0;
  for (const f of top.filter((x) => x.no === 8 && x.wire === 2)) {
    let domain = '';
    let version = 0;
    for (const g of fields(model, f.dataStart, f.dataEnd)) {
      if (g.no === 1 && g.wire === 2) domain = utf8(model, g);
      if (g.no === 2 && g.wire === 0) version = g.value;
    }
    if (domain === '' || domain === 'ai.onnx') opset = version;
  }
  const graph = top.find((x) => x.no === 7 && x.wire === 2);
  if (!graph) throw new Error('no graph in the ONNX model');
  const names = new Set<string>();
  let logitsType: number | undefined;
  for (const f of fields(model, graph.dataStart, graph.dataEnd)) {
    if ((f.no === 11 || f.no === 12) && f.wire === 2) {
      let name = '';
      let elem: number | undefined;
      for (const g of fields(model, f.dataStart, f.dataEnd)) {
        if (g.no === 1 && g.wire === 2) name = utf8(model, g);
        if (g.no === 2 && g.wire === 2) {
          const tt = fields(model, g.dataStart, g.dataEnd).find((x) => x.no === 1 && x.wire === 2);
          if (tt) elem = fields(model, tt.dataStart, tt.dataEnd).find((x) => x.no === 1 && x.wire === 0)?.value;
        }
      }
      names.add(name);
      if (f.no === 12 && name === 'logits') logitsType = elem;
    }
  }
  return { opset, logitsType, names };
}

/**
 * Returns the model with the scoring head appended (see the file comment). Throws when the model cannot take one
 * (no logits output, opset < 11, unexpected logits type, name clash); callers fall back to scoring in JavaScript.
 */
export function appendScoringHead(model: Uint8Array): Uint8Array {
  const facts = readGraphFacts(model);
  if (facts.logitsType === undefined) throw new Error('the graph has no "logits" output');
  if (facts.logitsType !== FLOAT && facts.logitsType !== FLOAT16) throw new Error(`logits elem_type ${facts.logitsType}`);
  if (facts.opset < 11) throw new Error(`opset ${facts.opset} < 11`);
  for (const n of [...Object.values(HEAD_INPUTS), ...Object.values(HEAD_OUTPUTS)])
    if (facts.names.has(n)) throw new Error(`the graph already has a value named ${n}`);
  const P = 'plausibility_h_';
  const axesInput = facts.opset >= 13;
  const g = new Pb();
  const logits = facts.logitsType === FLOAT16 ? `${P}logits_f32` : 'logits';
  if (axesInput) g.msg(5, int64Init(`${P}axes`, [-1]));
  const unsq = (x: string, y: string) =>
    axesInput ? node('Unsqueeze', [x, `${P}axes`], [y]) : node('Unsqueeze', [x], [y], [attrInts('axes', [-1])]);
  const sq = (x: string, y: string) =>
    axesInput ? node('Squeeze', [x, `${P}axes`], [y]) : node('Squeeze', [x], [y], [attrInts('axes', [-1])]);
  const rsum = (x: string, y: string) =>
    axesInput
      ? node('ReduceSum', [x, `${P}axes`], [y], [attrInt('keepdims', 0)])
      : node('ReduceSum', [x], [y], [attrInts('axes', [-1]), attrInt('keepdims', 0)]);
  // Empty tensors of a given rank, for the branches that compute nothing.
  const emptyConst = (out: string, elem: number, rank: number) => {
    const t = new Pb();
    for (let i = 0; i < rank; i++) t.int(1, 0);
    t.int(2, elem).str(8, `${out}_empty`);
    return node('Constant', [], [out], [new Pb().str(1, 'value').msg(5, t).int(20, 4)]);
  };
  const branch = (name: string, nodes: Pb[], outputs: [string, number, string[]][]) => {
    const b = new Pb();
    for (const n of nodes) b.msg(1, n);
    b.str(2, name);
    for (const [o, elem, dims] of outputs) b.msg(12, valueInfo(o, elem, dims));
    return b;
  };
  const ifNode = (cond: string, outs: string[], then: Pb, els: Pb) =>
    node('If', [cond], outs, [
      new Pb().str(1, 'then_branch').msg(6, then).int(20, 5),
      new Pb().str(1, 'else_branch').msg(6, els).int(20, 5),
    ]);
  const BS = ['batch_size', 'sequence_length'];
  // Rank on the raw logits, exactly like the JavaScript path (no rounding from the subtraction of log-sum-exp), and
  // the entropy: only when `plausibility_details` is true.
  const details = ifNode(
    HEAD_INPUTS.details,
    [`${P}greater`, `${P}negent`],
    branch(
      `${P}details`,
      [
        node('GatherElements', [logits, `${P}tgt`], [`${P}tlogit`], [attrInt('axis', -1)]),
        node('Greater', [logits, `${P}tlogit`], [`${P}gt`]),
        node('Cast', [`${P}gt`], [`${P}gtf`], [attrInt('to', FLOAT)]),
        rsum(`${P}gtf`, `${P}d_greater`),
        node('Exp', [`${P}lsm`], [`${P}p`]),
        node('Mul', [`${P}p`, `${P}lsm`], [`${P}plp`]),
        rsum(`${P}plp`, `${P}d_negent`),
      ],
      [
        [`${P}d_greater`, FLOAT, BS],
        [`${P}d_negent`, FLOAT, BS],
      ],
    ),
    branch(
      `${P}no_details`,
      [emptyConst(`${P}n_greater`, FLOAT, 2), emptyConst(`${P}n_negent`, FLOAT, 2)],
      [
        [`${P}n_greater`, FLOAT, ['zero', 'zero']],
        [`${P}n_negent`, FLOAT, ['zero', 'zero']],
      ],
    ),
  );
  // The whole head runs only when `plausibility_score` is true: plain forward passes (generation, hidden states, the
  // JavaScript scoring path) pay nothing for it.
  const scoreNodes: Pb[] = [];
  if (facts.logitsType === FLOAT16) scoreNodes.push(node('Cast', ['logits'], [logits], [attrInt('to', FLOAT)]));
  scoreNodes.push(
    node('LogSoftmax', [logits], [`${P}lsm`], [attrInt('axis', -1)]),
    unsq(HEAD_INPUTS.targets, `${P}tgt`),
    node('GatherElements', [`${P}lsm`, `${P}tgt`], [`${P}tlp`], [attrInt('axis', -1)]),
    sq(`${P}tlp`, `${P}logprob`),
    details,
    node('TopK', [`${P}lsm`, HEAD_INPUTS.k], [`${P}topv`, `${P}topi`], [
      attrInt('axis', -1),
      attrInt('largest', 1),
      attrInt('sorted', 1),
    ]),
  );
  g.msg(
    1,
    ifNode(
      HEAD_INPUTS.score,
      Object.values(HEAD_OUTPUTS),
      branch(`${P}score`, scoreNodes, [
        [`${P}logprob`, FLOAT, BS],
        [`${P}greater`, FLOAT, ['batch_or_zero', 'sequence_or_zero']],
        [`${P}negent`, FLOAT, ['batch_or_zero', 'sequence_or_zero']],
        [`${P}topv`, FLOAT, [...BS, 'k']],
        [`${P}topi`, INT64, [...BS, 'k']],
      ]),
      branch(
        `${P}no_score`,
        [
          emptyConst(`${P}x_logprob`, FLOAT, 2),
          emptyConst(`${P}x_greater`, FLOAT, 2),
          emptyConst(`${P}x_negent`, FLOAT, 2),
          emptyConst(`${P}x_topv`, FLOAT, 3),
          emptyConst(`${P}x_topi`, INT64, 3),
        ],
        [
          [`${P}x_logprob`, FLOAT, ['zero', 'zero']],
          [`${P}x_greater`, FLOAT, ['zero', 'zero']],
          [`${P}x_negent`, FLOAT, ['zero', 'zero']],
          [`${P}x_topv`, FLOAT, ['zero', 'zero', 'zero']],
          [`${P}x_topi`, INT64, ['zero', 'zero', 'zero']],
        ],
      ),
    ),
  );
  g.msg(11, valueInfo(HEAD_INPUTS.targets, INT64, ['batch_size', 'sequence_length']));
  g.msg(11, valueInfo(HEAD_INPUTS.k, INT64, ['one']));
  g.msg(11, valueInfo(HEAD_INPUTS.details, 9 /* BOOL */, ['one']));
  g.msg(11, valueInfo(HEAD_INPUTS.score, 9 /* BOOL */, ['one']));
  g.msg(12, valueInfo(HEAD_OUTPUTS.logprob, FLOAT, ['b0', 's0']));
  g.msg(12, valueInfo(HEAD_OUTPUTS.greater, FLOAT, ['b1', 's1']));
  g.msg(12, valueInfo(HEAD_OUTPUTS.negEntropy, FLOAT, ['b2', 's2']));
  g.msg(12, valueInfo(HEAD_OUTPUTS.topLogprob, FLOAT, ['b3', 's3', 'k3']));
  g.msg(12, valueInfo(HEAD_OUTPUTS.topId, INT64, ['b4', 's4', 'k4']));
  const extra = g.finish();

  // Re-serialise: every top-level field as is, the graph field with the extra fields appended.
  const top = fields(model);
  const graph = top.find((x) => x.no === 7 && x.wire === 2)!;
  const oldLen = graph.dataEnd - graph.dataStart;
  const lenBytes: number[] = [];
  let v = oldLen + extra.length;
  while (v > 0x7f) {
    lenBytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  lenBytes.push(v);
  const tag = [(7 << 3) | 2];
  const out = new Uint8Array(graph.start + tag.length + lenBytes.length + oldLen + extra.length + (model.length - graph.end));
  let o = 0;
  out.set(model.subarray(0, graph.start), o);
  o += graph.start;
  out.set(tag, o);
  o += tag.length;
  out.set(lenBytes, o);
  o += lenBytes.length;
  out.set(model.subarray(graph.dataStart, graph.dataEnd), o);
  o += oldLen;
  out.set(extra, o);
  o += extra.length;
  out.set(model.subarray(graph.end), o);
  return out;
}
