/**
 * One decoder forward pass: validates the input, builds the feeds (attention mask, positions, KV cache, scoring-head
 * inputs), chooses the fetches and converts the outputs.
 */
import type * as ortTypes from 'onnxruntime-node';
import { ort } from './ort';
import type { ModelConfig } from './config';
import { FeatureUnavailableError, PlausibilityError } from '../errors';
import { emptyCache, KvLayout } from './kvCache';
import { HEAD_INPUTS, HEAD_OUTPUTS } from './scoringHead';
import type { ModelSession } from './session';
import { int64, toFloat32 } from './tensors';
import type { EngineInfo, ForwardOptions, ForwardResult } from './types';

/** What a forward pass needs of a loaded model. */
export interface ForwardModel {
  config: ModelConfig;
  info: EngineInfo;
  kv: KvLayout;
  runtime: ModelSession;
}

/** Throws a clear error when the model does not export one of the inner layers (N >= 1) that `who` reads. */
export function requireInnerLayers(info: EngineInfo, layers: number[], who: string): void {
  const missing = layers.filter((l) => l > 0 && !info.innerLayers.includes(l));
  if (missing.length)
    throw new FeatureUnavailableError(
      `hidden_states.${missing[0]}`,
      `${who} reads layer ${missing.join(', ')}, which this model (${info.modelDir}) does not export` +
        (info.innerLayers.length ? ` (it exports ${info.innerLayers.join(', ')})` : ' (models exported by training/ since v10 do)'),
    );
}

/**
 * Runs the decoder on `ids` ([seq] or [batch][seq], rows of equal length). With `past`, the new positions continue
 * after the cached ones. Returns logits, and optionally the present KV cache and last_hidden_state.
 */
export async function runForward(
  m: ForwardModel,
  ids: number[] | number[][],
  opts: ForwardOptions = {},
): Promise<ForwardResult> {
  const rows: number[][] = ids.length > 0 && Array.isArray(ids[0]) ? (ids as number[][]) : [ids as number[]];
  const b = rows.length;
  const s = rows[0]?.length ?? 0;
  if (s === 0) throw new PlausibilityError('forward() needs at least one token', 'EMPTY_INPUT');
  for (const r of rows)
    if (r.length !== s) throw new PlausibilityError('forward(): batch rows must have equal length (pad them)', 'BAD_BATCH');
  const past = opts.past;
  const pastLen = past ? past.length : 0;
  if (past && !m.info.hasKvCache)
    throw new FeatureUnavailableError('kv-cache', 'this model has no past_key_values inputs; KV-cache reuse is unavailable');
  if (past && past.batch !== b) throw new PlausibilityError(`past batch ${past.batch} != input batch ${b}`, 'BAD_BATCH');
  if (pastLen + s > m.config.maxPositions)
    throw new PlausibilityError(
      `sequence of ${pastLen + s} positions exceeds the model's maximum of ${m.config.maxPositions}`,
      'TOO_LONG',
    );
  if (opts.hidden && !m.info.hasHiddenState)
    throw new FeatureUnavailableError(
      'last_hidden_state',
      `this model (${m.info.modelDir}) does not export last_hidden_state, which only project models exported by training/ have; ` +
        'features built on hidden states (discriminators) are unavailable, but scoring, ranking and linting work',
    );

  const flat = new Array<number>(b * s);
  for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) flat[r * s + j] = rows[r][j];
  const V = m.config.vocabSize;
  for (const x of flat)
    if (!Number.isInteger(x) || x < 0 || x >= V)
      throw new PlausibilityError(`token id ${x} out of range [0, ${V})`, 'BAD_TOKEN');
  const feeds: Record<string, ortTypes.Tensor> = { input_ids: int64(flat, [b, s]) };
  const inputs = m.info.inputNames;
  if (inputs.includes('attention_mask')) {
    const total = pastLen + s;
    const m = new Array<number>(b * total);
    if (opts.attentionMask) {
      for (let r = 0; r < b; r++) {
        const row = opts.attentionMask[r];
        if (!row || row.length !== total)
          throw new PlausibilityError(`attentionMask rows must have length past+seq = ${total}`, 'BAD_BATCH');
        for (let j = 0; j < total; j++) m[r * total + j] = row[j];
      }
    } else m.fill(1);
    feeds['attention_mask'] = int64(m, [b, total]);
  }
  if (inputs.includes('position_ids')) {
    const p = new Array<number>(b * s);
    if (opts.positionIds) {
      for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) p[r * s + j] = opts.positionIds[r][j];
    } else for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) p[r * s + j] = pastLen + j;
    feeds['position_ids'] = int64(p, [b, s]);
  }
  if (inputs.includes('use_cache_branch')) feeds['use_cache_branch'] = new ort.Tensor('bool', [pastLen > 0], [1]);
  if (m.info.hasKvCache) {
    const cache = past ?? emptyCache(m.kv, m.config, b);
    m.kv.pastNames.forEach((n, i) => {
      feeds[n.key] = cache.keys[i];
      feeds[n.value] = cache.values[i];
    });
  }
  const wantLogits = opts.logits ?? !opts.scoring;
  if (m.info.hasScoringHead) {
    // The head's inputs must always be fed; it only runs (inside an If) when scoring is asked for.
    const t = new Array<number>(b * s).fill(0);
    if (opts.scoring)
      for (let r = 0; r < b; r++) for (let j = 0; j < s; j++) t[r * s + j] = opts.scoring.targets[r]?.[j] ?? 0;
    for (const x of t)
      if (!Number.isInteger(x) || x < 0 || x >= V) throw new PlausibilityError(`target id ${x} out of range [0, ${V})`, 'BAD_TOKEN');
    feeds[HEAD_INPUTS.targets] = int64(t, [b, s]);
    feeds[HEAD_INPUTS.k] = int64([Math.max(1, Math.min(V, opts.scoring?.k ?? 1))], [1]);
    feeds[HEAD_INPUTS.details] = new ort.Tensor('bool', [!!opts.scoring && opts.scoring.details !== false], [1]);
    feeds[HEAD_INPUTS.score] = new ort.Tensor('bool', [!!opts.scoring], [1]);
  } else if (opts.scoring)
    throw new FeatureUnavailableError('scoring-head', 'this engine was loaded without the scoring head');
  const fetches: string[] = [];
  if (wantLogits) fetches.push('logits');
  if (opts.scoring) fetches.push(...Object.values(HEAD_OUTPUTS));
  if (opts.presents) {
    if (!m.info.hasKvCache)
      throw new FeatureUnavailableError('kv-cache', 'this model returns no present key/values');
    for (const n of m.kv.presentNames) fetches.push(n.key, n.value);
  }
  if (opts.hidden) fetches.push('last_hidden_state');
  requireInnerLayers(m.info, opts.innerLayers ?? [], 'the forward pass');
  for (const k of opts.innerLayers ?? []) fetches.push(`hidden_states.${k}`);
  if (fetches.length === 0) fetches.push('logits');
  const out = await m.runtime.run(feeds, fetches);
  const res: ForwardResult = { batch: b, seqLen: s, vocabSize: V, hiddenSize: m.config.hiddenSize };
  if (opts.scoring) {
    res.scoring = {
      logprob: out[HEAD_OUTPUTS.logprob].data as Float32Array,
      greater: out[HEAD_OUTPUTS.greater].data as Float32Array,
      negEntropy: out[HEAD_OUTPUTS.negEntropy].data as Float32Array,
      topLogprob: out[HEAD_OUTPUTS.topLogprob].data as Float32Array,
      topId: out[HEAD_OUTPUTS.topId].data as BigInt64Array,
      k: out[HEAD_OUTPUTS.topId].dims[2] ?? 1,
    };
  }
  if (wantLogits) {
    const t = out['logits'] as ortTypes.Tensor;
    const dims = t.dims;
    if (dims[dims.length - 1] !== V)
      throw new PlausibilityError(`logits have ${dims[dims.length - 1]} columns but vocab_size is ${V}`, 'MODEL_BAD_OUTPUT');
    res.logits = toFloat32(t);
  }
  if (opts.presents) {
    res.presents = {
      length: pastLen + s,
      batch: b,
      keys: m.kv.presentNames.map((n) => out[n.key] as ortTypes.Tensor),
      values: m.kv.presentNames.map((n) => out[n.value] as ortTypes.Tensor),
    };
  }
  if (opts.hidden) res.hidden = toFloat32(out['last_hidden_state'] as ortTypes.Tensor);
  if (opts.innerLayers?.length) res.inner = new Map(opts.innerLayers.map((k) => [k, toFloat32(out[`hidden_states.${k}`] as ortTypes.Tensor)]));
  return res;
}
