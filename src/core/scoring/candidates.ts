/**
 * Log-probabilities of alternative continuations of one context: the core of edit verification. Candidates of one
 * sentence differ only around an edit, so the context and the candidates' common token prefix run once (KV cache),
 * and only each candidate's differing tail runs in a padded batch through the scoring head.
 */
import type { Engine, KvCache } from '../engine';
import { ort } from '../model/ort';

/** Candidates per forward pass: bounds the tiled KV cache and the batch's memory. */
const MAX_BATCH = 24;

function commonPrefixLength(seqs: number[][]): number {
  if (seqs.length === 0) return 0;
  let n = Math.min(...seqs.map((s) => s.length));
  for (let i = 0; i < n; i++) {
    const t = seqs[0][i];
    if (seqs.some((s) => s[i] !== t)) return i;
  }
  return n;
}

/** A batch-1 host KV cache repeated `n` times along the batch axis. */
function tileCache(cache: KvCache, n: number): KvCache {
  const tile = (t: import('onnxruntime-node').Tensor) => {
    const src = t.data as Float32Array;
    const dst = new Float32Array(src.length * n);
    for (let i = 0; i < n; i++) dst.set(src, i * src.length);
    return new ort.Tensor('float32', dst, [n, ...t.dims.slice(1)]);
  };
  return { length: cache.length, batch: n, keys: cache.keys.map(tile), values: cache.values.map(tile) };
}

/**
 * log P(continuation | context) in nats for each continuation, up to one constant shared by all of them (the tokens
 * every continuation starts with are not counted). Differences between the results are exact.
 */
export async function continuationLogprobs(e: Engine, context: string, continuations: string[]): Promise<number[]> {
  if (continuations.length === 0) return [];
  const ctx = e.encode(context);
  const conts = continuations.map((c) => e.encode(c));
  const common = commonPrefixLength(conts);
  const prefix = [e.bosId, ...ctx, ...conts[0].slice(0, common)];
  const longest = Math.max(...conts.map((c) => c.length - common));
  const sharedPath =
    e.info.hasKvCache && e.info.hasScoringHead && !e.kvOnDevice && prefix.length >= 2 && prefix.length + longest <= e.maxWindow;
  if (!sharedPath) {
    const lps = await e.logprobs(conts.map((c) => [e.bosId, ...ctx, ...c]));
    return lps.map((lp) => lp.subarray(ctx.length).reduce((a, b) => a + b, 0));
  }
  const past = await e.forward(prefix.slice(0, -1), { presents: true, logits: false });
  const last = prefix[prefix.length - 1];
  const out = new Array<number>(conts.length).fill(0);
  const pad = e.config.eosTokenId ?? e.bosId;
  // Batches of similar length waste little on padding.
  const order = conts.map((_, i) => i).sort((a, b) => conts[a].length - conts[b].length);
  for (let g = 0; g < order.length; g += MAX_BATCH) {
    const members = order.slice(g, g + MAX_BATCH);
    const group = members.map((i) => [last, ...conts[i].slice(common)]);
    const width = Math.max(...group.map((r) => r.length));
    const ids = group.map((r) => [...r, ...new Array(width - r.length).fill(pad)]);
    const targets = ids.map((r) => [...r.slice(1), pad]);
    const L = past.presents!.length;
    const attentionMask = group.map((r) => [...new Array(L).fill(1), ...Array.from({ length: width }, (_, j) => (j < r.length ? 1 : 0))]);
    const positionIds = group.map((r) => Array.from({ length: width }, (_, j) => L + Math.min(j, r.length - 1)));
    const res = await e.forward(ids, {
      past: tileCache(past.presents!, group.length),
      attentionMask,
      positionIds,
      scoring: { targets, k: 1, details: false },
    });
    group.forEach((r, i) => {
      let s = 0;
      for (let j = 0; j < r.length - 1; j++) s += res.scoring!.logprob[i * width + j];
      out[members[i]] = s;
    });
  }
  return out;
}
