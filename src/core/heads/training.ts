/**
 * Training a discriminator head from a labelled CSV/JSONL file (shared by `plausibility discrim train` and the
 * extension's "Train Discriminator" command): read and validate the data, split it deterministically (row index
 * mod 10: 0-7 train, 8 tune, 9 held-out test), embed every text once with the frozen model, fit the linear head,
 * pick hyper-parameters on tune, report on test, and write the head (and optional metrics/model-card section)
 * atomically, only when everything succeeded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LabeledRow, readLabeledFile, splitOf } from './dataset';
import {
  ClassifierHead,
  classificationMetrics,
  ClassMetrics,
  embedTexts,
  engineFingerprint,
  requireHidden,
  trainHead,
  writeFileAtomic,
} from './discriminator';
import type { Engine } from '../engine';
import { InputError } from '../errors';
import { ownValue } from '../ownKey';

export interface TrainFileOptions {
  data: string;
  textCol: string;
  labelCol: string;
  out: string;
  metricsPath?: string;
  cardPath?: string;
  /** Raw label -> class name. */
  labelMap?: Record<string, string>;
  unwanted?: string;
  name?: string;
  seed?: number;
  maxTokens?: number;
  /** Keep one block of 10 rows in every `subsample` (the split is unchanged). */
  subsample?: number;
  /** Evenly spread subset of the training split (tune and test stay whole). */
  maxTrainRows?: number;
  epochs?: number;
  batchTokens?: number;
  maxRowBytes?: number;
}

export interface TrainHooks {
  warn?: (message: string) => void;
  log?: (message: string) => void;
  progress?: (done: number, total: number) => void;
  checkCancelled?: () => void;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

/** Maps raw labels to class indices; rows whose label is unknown are dropped with a warning. */
export function mapLabels(
  warn: (message: string) => void,
  rows: LabeledRow[],
  classNames: string[],
  labelMap: Record<string, string> | undefined,
): { rows: LabeledRow[]; y: number[] } {
  const out: LabeledRow[] = [];
  const y: number[] = [];
  const unknown = new Map<string, number>();
  for (const r of rows) {
    const name = labelMap ? (ownValue(labelMap, r.label) ?? (classNames.includes(r.label) ? r.label : undefined)) : r.label;
    const k = name === undefined ? -1 : classNames.indexOf(name);
    if (k < 0) {
      unknown.set(r.label, (unknown.get(r.label) ?? 0) + 1);
      continue;
    }
    out.push(r);
    y.push(k);
  }
  if (unknown.size)
    warn(
      `skipped ${[...unknown.values()].reduce((a, b) => a + b, 0)} row(s) with labels not in the class list (${[...unknown.keys()]
        .slice(0, 5)
        .map((l) => JSON.stringify(l))
        .join(', ')}); classes: ${classNames.join(', ')}`,
    );
  return { rows: out, y };
}

/** Trains a head from a data file; see the module comment. */
export async function trainFromFile(o: TrainFileOptions, loadEngine: () => Promise<Engine>, hooks: TrainHooks = {}) {
  const warn = hooks.warn ?? (() => undefined);
  const { data, textCol, labelCol } = o;
  const outPath = o.out;
  const metricsPath = o.metricsPath;
  const cardPath = o.cardPath;
  const labelMap = o.labelMap;
  const seed = o.seed ?? 0;
  const maxTokens = o.maxTokens ?? 64;
  const subsample = o.subsample ?? 1;
  if (!Number.isInteger(subsample) || subsample < 1) throw new InputError('subsample must be a positive integer', 'USAGE');
  const t0 = Date.now();

  // 1. Read and validate everything before loading the model.
  const read = await readLabeledFile(data, { textCol, labelCol, maxRowBytes: o.maxRowBytes, warn });
  let rows = read.rows;
  if (subsample > 1) rows = rows.filter((r) => Math.floor(r.index / 10) % subsample === 0);
  const classNames = [...new Set(labelMap ? Object.values(labelMap) : rows.map((r) => r.label))].sort();
  if (classNames.length < 2)
    throw new InputError(
      `${data}: only one class (${JSON.stringify(classNames[0] ?? '')}) in column "${labelCol}"; a discriminator needs at least two`,
      'SINGLE_CLASS',
    );
  const mapped = mapLabels(warn, rows, classNames, labelMap);
  rows = mapped.rows;
  const present = new Set(mapped.y);
  if (present.size < 2)
    throw new InputError(
      `${data}: after mapping labels only the class "${classNames[[...present][0] ?? 0]}" occurs; a discriminator needs at least two`,
      'SINGLE_CLASS',
    );
  const parts = { train: [] as number[], tune: [] as number[], test: [] as number[] };
  rows.forEach((r, i) => parts[splitOf(r.index)].push(i));
  if (parts.test.length === 0 || parts.train.length === 0)
    throw new InputError(
      `${data}: too few rows for the deterministic split (row index mod 10: 0-7 train, 8 tune, 9 held-out test); ` +
        `got ${parts.train.length} train and ${parts.test.length} test rows`,
      'TOO_FEW_ROWS',
    );
  const maxTrain = o.maxTrainRows ?? 0;
  if (maxTrain > 0 && parts.train.length > maxTrain) {
    // Deterministic, evenly spread subset of the training split (tune and test stay whole).
    const all = parts.train;
    parts.train = Array.from({ length: maxTrain }, (_, k) => all[Math.floor((k * all.length) / maxTrain)]);
    // Embed only the rows in use: renumber everything onto the kept rows.
    const keep = [...parts.train, ...parts.tune, ...parts.test].sort((a, b) => a - b);
    const at = new Map(keep.map((old, k) => [old, k]));
    mapped.rows = keep.map((i) => mapped.rows[i]);
    mapped.y = keep.map((i) => mapped.y[i]);
    rows = mapped.rows;
    parts.train = parts.train.map((i) => at.get(i)!);
    parts.tune = parts.tune.map((i) => at.get(i)!);
    parts.test = parts.test.map((i) => at.get(i)!);
  }
  const trainClasses = new Set(parts.train.map((i) => mapped.y[i]));
  if (trainClasses.size < 2) throw new InputError(`${data}: the training split holds a single class`, 'SINGLE_CLASS');
  let unwanted = o.unwanted;
  if (unwanted !== undefined && !classNames.includes(unwanted))
    throw new InputError(`--unwanted ${unwanted} is not a class (classes: ${classNames.join(', ')})`, 'USAGE');
  if (unwanted === undefined && classNames.includes('toxic')) unwanted = 'toxic';

  // 2. Embed every text once with the frozen model.
  hooks.checkCancelled?.();
  const engine = await loadEngine();
  requireHidden(engine);
  const D = engine.config.hiddenSize;
  const fp = engineFingerprint(engine);
  const X = await embedTexts(
    engine,
    rows.map((r) => r.text),
    { maxTokens, batchTokens: o.batchTokens, onProgress: hooks.progress, checkCancelled: hooks.checkCancelled },
  );
  const tEmbed = Date.now();
  const take = (idx: number[]) => {
    const m = new Float32Array(idx.length * D);
    idx.forEach((i, k) => m.set(X.subarray(i * D, (i + 1) * D), k * D));
    return { X: m, y: idx.map((i) => mapped.y[i]) };
  };
  const tr = take(parts.train);
  const tu = take(parts.tune);
  const te = take(parts.test);

  // 3. Fit on train, choose on tune, report on test.
  const fit = trainHead(tr.X, tr.y, tu.X, tu.y, D, classNames.length, {
    seed,
    epochs: o.epochs,
    log: hooks.log,
  });
  const positive = unwanted !== undefined ? classNames.indexOf(unwanted) : 1;
  const name = o.name ?? basename(outPath).replace(/\.json$/i, '').replace(/^head$/, 'custom');
  const head0 = new ClassifierHead(D, classNames, fit.weights, fit.bias, fp, { name, maxTokens });
  const testMetrics = classificationMetrics(head0.probsMany(te.X), te.y, classNames, positive);
  const trainMetrics = classificationMetrics(head0.probsMany(tr.X), tr.y, classNames, positive);
  const training = {
    data: basename(data),
    text_col: textCol,
    label_col: labelCol,
    split: 'data row index mod 10: 0-7 train, 8 tune (model selection), 9 held-out test (reported)',
    subsample,
    rows: { train: parts.train.length, tune: parts.tune.length, test: parts.test.length },
    seed,
    max_tokens: maxTokens,
    chosen: fit.chosen,
    embed_seconds: (tEmbed - t0) / 1000,
    seconds: (Date.now() - t0) / 1000,
  };
  const metrics = {
    held_out_test: testMetrics,
    train: { n: trainMetrics.n, accuracy: trainMetrics.accuracy, macro_f1: trainMetrics.macro_f1, auroc: trainMetrics.auroc },
    positive_class: classNames[positive],
  };
  const head = new ClassifierHead(D, classNames, fit.weights, fit.bias, fp, {
    name,
    maxTokens,
    labelMap,
    unwantedClass: unwanted,
    training,
    metrics: { held_out_test: { n: testMetrics.n, accuracy: testMetrics.accuracy, macro_f1: testMetrics.macro_f1, auroc: testMetrics.auroc } },
  });
  const beatsBaseline = testMetrics.macro_f1 > testMetrics.majority_baseline.macro_f1;

  // 4. Write (atomically) only once everything succeeded.
  head.save(outPath);
  const report = { head: outPath, model: engine.info.modelDir, fingerprint: fp.fingerprint, classes: classNames, ...metrics, training };
  if (metricsPath) writeFileAtomic(metricsPath, JSON.stringify(report, null, 2) + '\n');
  const cardUpdated = cardPath ? updateModelCard(cardPath, name, report.held_out_test, training.rows) : false;

  return { report, head, testMetrics, beatsBaseline, cardUpdated, training, name };
}

const CARD_START = (name: string) => `<!-- discriminator:${name}:start -->`;
const CARD_END = (name: string) => `<!-- discriminator:${name}:end -->`;

/** Writes (or replaces) the head's section in the model card, between markers. */
export function updateModelCard(path: string, name: string, m: ClassMetrics, rows: Record<string, number>): boolean {
  if (!existsSync(path)) return false;
  const old = readFileSync(path, 'utf8');
  const section =
    `${CARD_START(name)}\n## Discriminator head: ${name}\n\n` +
    `Linear head over the mean final hidden state (discriminators/${name}/head.json). Held-out test split ` +
    `(row index mod 10 = 9, ${m.n} rows; trained on ${rows.train}, tuned on ${rows.tune}):\n\n` +
    `| metric | head | majority class ("${m.majority_baseline.class}") |\n|---|---|---|\n` +
    `| accuracy | ${fmt(m.accuracy)} | ${fmt(m.majority_baseline.accuracy)} |\n` +
    `| macro-F1 | ${fmt(m.macro_f1)} | ${fmt(m.majority_baseline.macro_f1)} |\n` +
    `| AUROC | ${fmt(m.auroc)} | 0.5 |\n${CARD_END(name)}\n`;
  const s = old.indexOf(CARD_START(name));
  const e = old.indexOf(CARD_END(name));
  const next =
    s >= 0 && e > s
      ? old.slice(0, s) + section + old.slice(e + CARD_END(name).length + 1)
      : old + (old && !old.endsWith('\n\n') ? (old.endsWith('\n') ? '\n' : '\n\n') : '') + section;
  writeFileAtomic(path, next);
  return true;
}

