/** Training a discriminator head in the server (`plausibility.trainHead`): the CLI's `discrim train`, with $/progress. */
import type { Engine } from '../core/engine';
import { InputError } from '../core/errors';
import { parseLabelMap } from '../core/heads/dataset';
import { trainFromFile } from '../core/heads/training';

export interface TrainHeadParams {
  data: string;
  textCol: string;
  labelCol: string;
  /** The head file to write (only when training succeeds). */
  out: string;
  /** e.g. `0=toxic,1=toxic,2=non-toxic`. */
  labelMap?: string;
}

export interface TrainHeadResult {
  out: string;
  classes: string[];
  rows: { train: number; tune: number; test: number };
  /** Held-out test split. */
  accuracy: number;
  macroF1: number;
  auroc: number;
  majorityMacroF1: number;
  warnings: string[];
  seconds: number;
}

/** Trains and writes the head; `report` gets progress (percent of texts embedded); `signal` stops it between batches. */
export async function trainHead(
  engine: Engine,
  p: TrainHeadParams,
  report: (message: string, percent?: number) => void,
  signal?: AbortSignal,
): Promise<TrainHeadResult> {
  for (const k of ['data', 'textCol', 'labelCol', 'out'] as const)
    if (typeof p[k] !== 'string' || !p[k]) throw new InputError(`trainHead needs ${k}`, 'USAGE');
  const warnings: string[] = [];
  let last = -1;
  const r = await trainFromFile(
    { data: p.data, textCol: p.textCol, labelCol: p.labelCol, out: p.out, labelMap: p.labelMap ? parseLabelMap(p.labelMap) : undefined },
    async () => engine,
    {
      warn: (m) => {
        warnings.push(m);
        report(`warning: ${m}`, Math.max(0, last));
      },
      checkCancelled: () => {
        if (signal?.aborted) throw new InputError('training cancelled; nothing was written', 'CANCELLED');
      },
      progress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (pct !== last) report(`embedding ${done}/${total} texts`, (last = pct));
      },
    },
  );
  const m = r.testMetrics;
  return {
    out: p.out,
    classes: r.head.classNames,
    rows: r.training.rows,
    accuracy: m.accuracy,
    macroF1: m.macro_f1,
    auroc: m.auroc,
    majorityMacroF1: m.majority_baseline.macro_f1,
    warnings,
    seconds: r.training.seconds,
  };
}
