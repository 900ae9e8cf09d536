/**
 * `plausibility discrim train|score|eval`: discriminator heads (ClassifierHead) over the model's hidden states.
 *
 *   discrim train DATA --text-col C --label-col L --out FILE [--label-map 0=toxic,1=toxic,2=non-toxic]
 *   discrim score FILE|- [--head PATH|NAME]             per-sentence class probabilities
 *   discrim eval DATA --head PATH --text-col C --label-col L [--split all|train|tune|test]
 *
 * Data rows are split deterministically by row index mod 10 (0-7 train, 8 tune, 9 held-out test); training picks
 * its hyper-parameters on tune and reports on test only. Nothing is written when anything fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  ClassifierHead,
  classificationMetrics,
  ClassMetrics,
  embedTexts,
  engineFingerprint,
  requireHidden,
  splitSentences,
  trainHead,
  writeFileAtomic,
} from '../core/discriminator';
import { LabeledRow, parseLabelMap, readLabeledFile, splitOf } from '../core/dataset';
import { InputError, PlausibilityError } from '../core/errors';
import { LineIndex } from '../core/text';
import type { Common } from './main';
import { readInput } from './score';

/** Value flags the discrim commands add to the CLI parser. */
export const DISCRIM_VALUE_FLAGS = [
  'text-col',
  'label-col',
  'out',
  'head',
  'label-map',
  'unwanted',
  'name',
  'seed',
  'max-tokens',
  'epochs',
  'metrics',
  'model-card',
  'subsample',
  'split',
  'batch-tokens',
  'max-row-bytes',
  'max-train-rows',
];

export const DISCRIM_USAGE = `  discrim train DATA --text-col C --label-col L --out FILE
                               Train a discriminator head (CSV or JSONL) on the frozen model's hidden states;
                               prints held-out accuracy, macro-F1 and AUROC. Options: --label-map RAW=CLASS,...,
                               --unwanted CLASS, --seed N, --max-tokens N (default 64), --metrics FILE, --model-card FILE,
                               --subsample K, --max-train-rows N
  discrim score FILE|- [--head PATH|NAME]   Per-sentence class probabilities (default head: the shipped toxicity head)
  discrim eval DATA --head PATH --text-col C --label-col L [--split all|train|tune|test]
                               Accuracy, macro-F1 and AUROC of a head on labelled data
`;

function str(c: Common, name: string): string | undefined {
  const v = c.args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

function need(c: Common, name: string, cmd: string): string {
  const v = str(c, name);
  if (!v) throw new PlausibilityError(`discrim ${cmd} needs --${name}`, 'USAGE');
  return v;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

function progress(c: Common, what: string): (done: number, total: number) => void {
  let last = -1;
  const t0 = Date.now();
  return (done, total) => {
    const pct = Math.floor((done / total) * 10);
    if (pct !== last && (c.verbose || c.format === 'text')) {
      last = pct;
      c.out.info(`${what}: ${done}/${total} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  };
}

/** Maps raw labels to class indices; rows whose label is unknown are dropped with a warning. */
function mapLabels(
  c: Common,
  rows: LabeledRow[],
  classNames: string[],
  labelMap: Record<string, string> | undefined,
): { rows: LabeledRow[]; y: number[] } {
  const out: LabeledRow[] = [];
  const y: number[] = [];
  const unknown = new Map<string, number>();
  for (const r of rows) {
    const name = labelMap ? (labelMap[r.label] ?? (classNames.includes(r.label) ? r.label : undefined)) : r.label;
    const k = name === undefined ? -1 : classNames.indexOf(name);
    if (k < 0) {
      unknown.set(r.label, (unknown.get(r.label) ?? 0) + 1);
      continue;
    }
    out.push(r);
    y.push(k);
  }
  if (unknown.size)
    c.out.warn(
      `skipped ${[...unknown.values()].reduce((a, b) => a + b, 0)} row(s) with labels not in the class list (${[...unknown.keys()]
        .slice(0, 5)
        .map((l) => JSON.stringify(l))
        .join(', ')}); classes: ${classNames.join(', ')}`,
    );
  return { rows: out, y };
}

function metricsText(c: Common, title: string, m: ClassMetrics): void {
  c.out.line(`${title} (n=${m.n}): accuracy ${fmt(m.accuracy)}  macro-F1 ${fmt(m.macro_f1)}  AUROC ${fmt(m.auroc)}`);
  c.out.line(
    `majority-class baseline ("${m.majority_baseline.class}"): accuracy ${fmt(m.majority_baseline.accuracy)}  macro-F1 ${fmt(m.majority_baseline.macro_f1)}`,
  );
  for (const [k, v] of Object.entries(m.per_class))
    c.out.line(`  ${k}: precision ${fmt(v.precision)} recall ${fmt(v.recall)} F1 ${fmt(v.f1)} support ${v.support}`);
}

async function cmdTrain(c: Common): Promise<number> {
  const [data] = c.args.positionals;
  if (!data) throw new PlausibilityError('usage: plausibility discrim train DATA --text-col C --label-col L --out FILE', 'USAGE');
  const textCol = need(c, 'text-col', 'train');
  const labelCol = need(c, 'label-col', 'train');
  const outPath = need(c, 'out', 'train');
  const metricsPath = str(c, 'metrics');
  const cardPath = str(c, 'model-card');
  const labelMapSpec = str(c, 'label-map');
  const labelMap = labelMapSpec ? parseLabelMap(labelMapSpec) : undefined;
  const seed = c.num('seed', 0)!;
  const maxTokens = c.num('max-tokens', 64)!;
  const subsample = c.num('subsample', 1)!;
  if (!Number.isInteger(subsample) || subsample < 1) throw new PlausibilityError('--subsample must be a positive integer', 'USAGE');
  const t0 = Date.now();

  // 1. Read and validate everything before loading the model.
  const read = readLabeledFile(data, { textCol, labelCol, maxRowBytes: c.num('max-row-bytes'), warn: (m) => c.out.warn(m) });
  let rows = read.rows;
  if (subsample > 1) rows = rows.filter((r) => Math.floor(r.index / 10) % subsample === 0);
  const classNames = [...new Set(labelMap ? Object.values(labelMap) : rows.map((r) => r.label))].sort();
  if (classNames.length < 2)
    throw new InputError(
      `${data}: only one class (${JSON.stringify(classNames[0] ?? '')}) in column "${labelCol}"; a discriminator needs at least two`,
      'SINGLE_CLASS',
    );
  const mapped = mapLabels(c, rows, classNames, labelMap);
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
  const maxTrain = c.num('max-train-rows', 0)!;
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
  let unwanted = str(c, 'unwanted');
  if (unwanted !== undefined && !classNames.includes(unwanted))
    throw new PlausibilityError(`--unwanted ${unwanted} is not a class (classes: ${classNames.join(', ')})`, 'USAGE');
  if (unwanted === undefined && classNames.includes('toxic')) unwanted = 'toxic';

  // 2. Embed every text once with the frozen model.
  const engine = await c.loadEngine();
  requireHidden(engine);
  const D = engine.config.hiddenSize;
  const fp = engineFingerprint(engine);
  const X = await embedTexts(
    engine,
    rows.map((r) => r.text),
    { maxTokens, batchTokens: c.num('batch-tokens'), onProgress: progress(c, 'embedding') },
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
    epochs: c.num('epochs'),
    log: c.verbose ? (m) => c.out.info(m) : undefined,
  });
  const positive = unwanted !== undefined ? classNames.indexOf(unwanted) : 1;
  const name = str(c, 'name') ?? basename(outPath).replace(/\.json$/i, '').replace(/^head$/, 'custom');
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
  if (cardPath && !updateModelCard(cardPath, name, report.held_out_test, training.rows))
    c.out.info(`no model card at ${cardPath}; metrics not added to it`);

  if (c.format === 'json') c.out.json({ ...report, beats_majority_baseline: beatsBaseline });
  else {
    c.out.line(
      `trained "${name}" on ${parts.train.length} rows (tune ${parts.tune.length}, held-out test ${parts.test.length}) in ${training.seconds.toFixed(1)} s; wrote ${outPath}`,
    );
    metricsText(c, 'held-out test', testMetrics);
    if (!beatsBaseline) c.out.warn('the head does not beat the majority-class baseline in macro-F1 on the held-out split');
  }
  return 0;
}

const CARD_START = (name: string) => `<!-- discriminator:${name}:start -->`;
const CARD_END = (name: string) => `<!-- discriminator:${name}:end -->`;

/** Writes (or replaces) the head's section in the model card, between markers. */
function updateModelCard(path: string, name: string, m: ClassMetrics, rows: Record<string, number>): boolean {
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

async function cmdScoreSentences(c: Common): Promise<number> {
  const [file] = c.args.positionals;
  if (!file) throw new PlausibilityError('usage: plausibility discrim score FILE|- [--head PATH]', 'USAGE');
  const input = readInput(file, c);
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    if (c.format === 'json') c.out.json({ file, head: null, classes: [], sentences: [] });
    return 0;
  }
  const engine = await c.loadEngine();
  const head = ClassifierHead.forEngine(engine, str(c, 'head') ?? 'toxicity');
  const sentences = splitSentences(input.text);
  const X = await embedTexts(
    engine,
    sentences.map((s) => s.text),
    { maxTokens: Math.min(head.meta.maxTokens * 4, engine.config.maxPositions - 1) },
  );
  const lines = new LineIndex(input.text);
  const rows = sentences.map((s, i) => {
    const p = head.probs(X, i * head.embedSize);
    const pos = lines.position(s.start);
    const probs: Record<string, number> = {};
    head.classNames.forEach((n, k) => (probs[n] = p[k]));
    return { text: s.text, start: s.start, end: s.end, line: pos.line + 1, col: pos.column + 1, probs };
  });
  if (c.format === 'json') c.out.json({ file, head: head.meta.path ?? head.meta.name, classes: head.classNames, sentences: rows });
  else {
    const shown = head.unwantedIndex !== undefined ? head.classNames[head.unwantedIndex] : head.classNames[head.classSize - 1];
    for (const r of rows) {
      const t = r.text.length > 80 ? r.text.slice(0, 77) + '...' : r.text;
      c.out.line(`${r.line}:${r.col}\tp(${shown})=${r.probs[shown].toFixed(3)}\t${JSON.stringify(t)}`);
    }
  }
  return 0;
}

async function cmdEvalHead(c: Common): Promise<number> {
  const [data] = c.args.positionals;
  if (!data) throw new PlausibilityError('usage: plausibility discrim eval DATA --head PATH --text-col C --label-col L', 'USAGE');
  const textCol = need(c, 'text-col', 'eval');
  const labelCol = need(c, 'label-col', 'eval');
  const split = str(c, 'split') ?? 'all';
  if (!['all', 'train', 'tune', 'test'].includes(split))
    throw new PlausibilityError(`--split must be all, train, tune or test (got "${split}")`, 'USAGE');
  const read = readLabeledFile(data, { textCol, labelCol, maxRowBytes: c.num('max-row-bytes'), warn: (m) => c.out.warn(m) });
  const engine = await c.loadEngine();
  const head = ClassifierHead.forEngine(engine, str(c, 'head') ?? 'toxicity');
  let rows = read.rows;
  const subsample = c.num('subsample', 1)!;
  if (!Number.isInteger(subsample) || subsample < 1) throw new PlausibilityError('--subsample must be a positive integer', 'USAGE');
  if (subsample > 1) rows = rows.filter((r) => Math.floor(r.index / 10) % subsample === 0);
  if (split !== 'all') rows = rows.filter((r) => splitOf(r.index) === split);
  const labelMap = str(c, 'label-map') ? parseLabelMap(str(c, 'label-map')!) : head.meta.labelMap;
  const mapped = mapLabels(c, rows, head.classNames, labelMap);
  if (mapped.rows.length === 0) throw new InputError(`${data}: no rows with a label the head knows (${head.classNames.join(', ')})`, 'EMPTY_INPUT');
  const X = await embedTexts(
    engine,
    mapped.rows.map((r) => r.text),
    { maxTokens: head.meta.maxTokens, batchTokens: c.num('batch-tokens'), onProgress: c.verbose ? progress(c, 'embedding') : undefined },
  );
  const positive = head.unwantedIndex ?? 1;
  const m = classificationMetrics(head.probsMany(X), mapped.y, head.classNames, positive);
  if (c.format === 'json')
    c.out.json({
      accuracy: m.accuracy,
      macro_f1: m.macro_f1,
      auroc: m.auroc,
      n: m.n,
      split,
      head: head.meta.path ?? head.meta.name,
      positive_class: head.classNames[positive],
      per_class: m.per_class,
      confusion: m.confusion,
      majority_baseline: m.majority_baseline,
    });
  else metricsText(c, `${split === 'all' ? 'all rows' : `${split} split`}`, m);
  return 0;
}

/** Entry point of `plausibility discrim ...`. */
export async function cmdDiscrim(c: Common): Promise<number> {
  const sub = c.args.positionals.shift();
  switch (sub) {
    case 'train':
      return cmdTrain(c);
    case 'score':
      return cmdScoreSentences(c);
    case 'eval':
      return cmdEvalHead(c);
    default:
      throw new PlausibilityError(`usage: plausibility discrim train|score|eval ... (got ${sub ? `"${sub}"` : 'nothing'})\n${DISCRIM_USAGE}`, 'USAGE');
  }
}
