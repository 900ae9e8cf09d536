/**
 * Scoring plans: BOS-prefixed sequences cut into forward-pass rows (sliding windows for long ones), and the one loop
 * that runs rows in padded batches, either returning logits or through the scoring head.
 */
import type { ModelConfig } from '../model/config';
import type { ForwardOptions, ForwardResult, HeadOutputs } from '../model/types';
import type { ScoreOptions, ScoringRow } from './types';

/** What running rows needs of an engine. */
export interface RowModel {
  readonly config: ModelConfig;
  readonly bosId: number;
  readonly maxLogitsFloats: number;
  forward(ids: number[][], opts: ForwardOptions): Promise<ForwardResult>;
}

/** Window length and stride for long sequences. */
export function windowing(maxPositions: number, opts: ScoreOptions = {}): { window: number; stride: number } {
  const window = Math.max(2, Math.min(opts.window ?? 1024, maxPositions));
  const stride = Math.max(1, Math.min(opts.stride ?? Math.floor(window / 2), window - 1));
  return { window, stride };
}

/**
 * Splits BOS-prefixed sequences into forward-pass rows. A sequence that fits the window is one row; a longer one
 * becomes sliding windows, each starting with BOS followed by (window - 1 - stride) tokens of overlap context and
 * then up to `stride` new tokens, so every token is scored exactly once with as much left context as the window
 * allows.
 */
export function planRows(
  bosId: number,
  seqs: number[][],
  { window: W, stride: S }: { window: number; stride: number },
): ScoringRow[] {
  const rows: ScoringRow[] = [];
  seqs.forEach((full, seq) => {
    if (full.length < 2) return;
    if (full.length <= W) {
      rows.push({ seq, ids: full, first: 1, seqOffset: 1 });
      return;
    }
    rows.push({ seq, ids: full.slice(0, W), first: 1, seqOffset: 1 });
    const C = W - 1 - S; // overlap context kept (BOS excluded)
    for (let next = W; next < full.length; next += S) {
      const ctxStart = Math.max(1, next - C);
      const end = Math.min(full.length, next + S);
      const ids = [bosId, ...full.slice(ctxStart, end)];
      rows.push({ seq, ids, first: 1 + (next - ctxStart), seqOffset: next });
    }
  });
  return rows;
}

/** One padded batch of rows, ready for a forward pass. */
interface RowBatch {
  rows: ScoringRow[];
  /** The rows' ids, right-padded to `length`. */
  ids: number[][];
  length: number;
  pad: number;
  /** Set only when some row is padded. */
  attentionMask?: number[][];
  positionIds?: number[][];
}

/**
 * Groups rows, longest first, into batches whose logits stay under maxLogitsFloats (and `batchRows`), right-pads
 * them (attention_mask and position_ids keep results equal to unbatched scoring) and runs `runBatch` on each.
 */
async function forEachBatch(
  model: RowModel,
  rows: ScoringRow[],
  batchRows: number | undefined,
  runBatch: (batch: RowBatch) => Promise<void>,
): Promise<void> {
  const V = model.config.vocabSize;
  const order = rows.map((_, i) => i).sort((a, b) => rows[b].ids.length - rows[a].ids.length);
  const pad = model.config.eosTokenId ?? model.bosId;
  let i = 0;
  while (i < order.length) {
    const maxLen = rows[order[i]].ids.length;
    let n = Math.max(1, Math.floor(model.maxLogitsFloats / (maxLen * V)));
    if (batchRows) n = Math.min(n, batchRows);
    const group = order.slice(i, i + n).map((k) => rows[k]);
    i += group.length;
    const ids = group.map((r) => (r.ids.length === maxLen ? r.ids : [...r.ids, ...new Array(maxLen - r.ids.length).fill(pad)]));
    const needMask = group.some((r) => r.ids.length !== maxLen);
    const attentionMask = needMask
      ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? 1 : 0)))
      : undefined;
    const positionIds = needMask
      ? group.map((r) => Array.from({ length: maxLen }, (_, j) => (j < r.ids.length ? j : r.ids.length - 1)))
      : undefined;
    await runBatch({ rows: group, ids, length: maxLen, pad, attentionMask, positionIds });
  }
}

/** Runs rows in padded batches and calls `visit(row, logits, rowOffsetInLogits, vocab)` for every row. */
export async function runLogitRows(
  model: RowModel,
  rows: ScoringRow[],
  visit: (row: ScoringRow, logits: Float32Array, base: number, vocab: number) => void,
  opts: { batchRows?: number } = {},
): Promise<void> {
  const V = model.config.vocabSize;
  await forEachBatch(model, rows, opts.batchRows, async (batch) => {
    const res = await model.forward(batch.ids, { attentionMask: batch.attentionMask, positionIds: batch.positionIds });
    const logits = res.logits!;
    batch.rows.forEach((r, k) => visit(r, logits, k * batch.length * V, V));
  });
}

/**
 * Runs rows in padded batches through the scoring head; `visit(row, head, base)` gets the head outputs of the row's
 * batch, with the row's positions starting at flat index `base`.
 */
export async function runHeadRows(
  model: RowModel,
  rows: ScoringRow[],
  k: number,
  visit: (row: ScoringRow, head: HeadOutputs, base: number) => void,
  opts: { batchRows?: number; details?: boolean } = {},
): Promise<void> {
  await forEachBatch(model, rows, opts.batchRows, async (batch) => {
    const targets = batch.ids.map((r) => [...r.slice(1), batch.pad]);
    const res = await model.forward(batch.ids, {
      attentionMask: batch.attentionMask,
      positionIds: batch.positionIds,
      scoring: { targets, k, details: opts.details !== false },
    });
    batch.rows.forEach((r, j) => visit(r, res.scoring!, j * batch.length));
  });
}
