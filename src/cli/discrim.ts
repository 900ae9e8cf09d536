/**
 * `plausibility discrim train|score|eval`: discriminator heads (ClassifierHead) over the model's hidden states.
 *
 *   discrim train DATA --text-col C --label-col L --out FILE [--label-map 0=toxic,1=toxic,2=non-toxic]
 *   discrim score FILE|- [--head PATH|NAME]             per-sentence class probabilities
 *   generate ... --steer-head PATH|NAME --toward CLASS [--stepsize S --iterations N --kl-scale K --gm-scale G]
                               Steer generation with a discriminator head (hidden-state perturbation), or with
                               --rerank N pick the best of N samples by the head
  discrim eval DATA --head PATH --text-col C --label-col L [--split all|train|tune|test]
 *
 * Data rows are split deterministically by row index mod 10 (0-7 train, 8 tune, 9 held-out test); training picks
 * its hyper-parameters on tune and reports on test only. Nothing is written when anything fails.
 */
import { join } from 'node:path';
import { binaryMacroF1, ClassifierHead, classificationMetrics, ClassMetrics, MAX_HEAD_TOKENS, proseSentences } from '../core/heads/discriminator';
import { LayerSpec, layerProblem, POOLINGS, Pooling } from '../core/heads/embedding';
import { benchLines } from '../core/heads/toxicityEval';
import { DEV_LISTS, dumpToxicityRows, trainToxicityRecipe } from '../core/heads/toxicityTrain';
import { parseLabelMap, readLabeledFile, splitOf } from '../core/heads/dataset';
import { mapLabels, trainFromFile } from '../core/heads/training';
import { InputError, PlausibilityError } from '../core/errors';
import { LineIndex } from '../core/text/document';
import type { Common } from './common';
import { readInput } from './input';

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
  'recipe',
  'data-dir',
  'pooling',
  'layer',
  'insults',
  'contrast',
  ...DEV_LISTS.map((d) => d.option),
  'dump-rows',
  // generate --steer-head (src/cli/steer.ts)
  'steer-head',
  'toward',
  'stepsize',
  'iterations',
  'kl-scale',
  'gm-scale',
  'rerank',
];

export const DISCRIM_USAGE = `  discrim train DATA --text-col C --label-col L --out FILE
                               Train a discriminator head (CSV or JSONL) on the frozen model's hidden states;
                               prints held-out accuracy, macro-F1 and AUROC. Options: --label-map RAW=CLASS,...,
                               --unwanted CLASS, --seed N, --max-tokens N (default 64), --metrics FILE, --model-card FILE,
                               --subsample K, --max-train-rows N
  discrim train --recipe toxicity --out FILE [--data-dir DIR --metrics FILE --insults FILE --contrast FILE
                               --dev-insults FILE --dev-polite FILE --dev-hate FILE --dev-group-benign FILE
                               --pooling mean|max|mean+max
                               --layer all|-1|0|N|0,-1 (every layer the model offers, the last, token embeddings,
                               after block N, or a list concatenated; default all)]
                               The shipped toxicity head end to end (npm run head:toxicity): toxicity-extra, the tweets,
                               clean corpus prose and (--contrast) templated threats, insults and hateful statements
                               about groups beside harmless sentences, calibrated, with a threshold that flags at most
                               1% of clean prose; the dev lists (--dev-insults, --dev-polite, --dev-hate,
                               --dev-group-benign) are reported, never fitted
  discrim train --recipe toxicity --dump-rows FILE [--data-dir DIR --contrast FILE]
                               Write the recipe's rows (token ids, label, source, split) as JSON Lines for the training
                               pipeline's multi-task tuning (training/README.md), and train nothing
  discrim score FILE|- [--head PATH|NAME]   Per-sentence class probabilities of the prose sentences (headings, code,
                               front matter and sentences without a content word are skipped); default head: toxicity
  generate ... --steer-head PATH|NAME --toward CLASS [--stepsize S --iterations N --kl-scale K --gm-scale G]
                               Steer generation with a discriminator head (hidden-state perturbation), or with
                               --rerank N pick the best of N samples by the head
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

function metricsText(c: Common, title: string, m: ClassMetrics): void {
  c.out.line(`${title} (n=${m.n}): accuracy ${fmt(m.accuracy)}  macro-F1 ${fmt(m.macro_f1)}  AUROC ${fmt(m.auroc)}`);
  c.out.line(
    `majority-class baseline ("${m.majority_baseline.class}"): accuracy ${fmt(m.majority_baseline.accuracy)}  macro-F1 ${fmt(m.majority_baseline.macro_f1)}`,
  );
  for (const [k, v] of Object.entries(m.per_class))
    c.out.line(`  ${k}: precision ${fmt(v.precision)} recall ${fmt(v.recall)} F1 ${fmt(v.f1)} support ${v.support}`);
}

function maxTokensOption(c: Common): number | undefined {
  const v = c.num('max-tokens');
  if (v !== undefined && v > MAX_HEAD_TOKENS)
    throw new PlausibilityError(`--max-tokens must be an integer from 1 to ${MAX_HEAD_TOKENS} (got "${v}")`, 'USAGE');
  return v;
}

/** `--layer`: -1 (or `last`), 0, N, a comma-separated list such as `0,-1`, or `all`. */
export function layerOption(v: string | undefined): LayerSpec | 'all' | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === 'all') return 'all';
  const parts = v.split(',').map((x) => x.trim()).map((x) => (x === 'last' ? -1 : /^-?\d+$/.test(x) ? Number(x) : NaN));
  if (parts.some((x) => Number.isNaN(x)))
    throw new PlausibilityError(`--layer must be -1 (or last), 0, N (after block N), a comma-separated list such as 0,-1, or all (got "${v}")`, 'USAGE');
  const spec = parts.length === 1 ? parts[0] : parts;
  const bad = layerProblem(spec);
  if (bad) throw new PlausibilityError(`--layer "${v}": ${bad}`, 'USAGE');
  return spec as LayerSpec;
}

async function cmdTrainRecipe(c: Common): Promise<number> {
  const recipe = str(c, 'recipe');
  if (recipe !== 'toxicity') throw new PlausibilityError(`--recipe must be toxicity (got "${recipe ?? ''}")`, 'USAGE');
  const pooling = str(c, 'pooling');
  if (pooling !== undefined && !POOLINGS.includes(pooling as Pooling))
    throw new PlausibilityError(`--pooling must be ${POOLINGS.join(', ')} (got "${pooling}")`, 'USAGE');
  const layer = layerOption(str(c, 'layer'));
  const dataDir = str(c, 'data-dir') ?? join('..', 'shared', 'data');
  const dump = str(c, 'dump-rows');
  if (c.args.options.has('dump-rows') && !dump) throw new PlausibilityError('--dump-rows needs a file name', 'USAGE');
  if (dump) {
    const n = await dumpToxicityRows(await c.loadEngine(), { dataDir, contrastPath: str(c, 'contrast'), maxTokens: maxTokensOption(c) }, dump);
    c.out.line(`wrote ${n} rows to ${dump}`);
    return 0;
  }
  const out = need(c, 'out', 'train');
  const engine = await c.loadEngine();
  const r = await trainToxicityRecipe(engine, {
    dataDir,
    out,
    metricsPath: str(c, 'metrics'),
    insultsPath: str(c, 'insults'),
    contrastPath: str(c, 'contrast'),
    devLists: Object.fromEntries(DEV_LISTS.map((d) => [d.option, str(c, d.option)])),
    pooling: pooling as Pooling | undefined,
    layer,
    maxTokens: maxTokensOption(c),
    seed: c.num('seed'),
    epochs: c.num('epochs'),
    log: (m) => c.out.info(m),
    progress: progress(c, 'embedding'),
  });
  if (c.format === 'json') c.out.json(r.report);
  else {
    c.out.line(`trained "toxicity" (threshold ${r.head.meta.threshold}); wrote ${out}`);
    for (const d of DEV_LISTS) {
      const share = r.report.dev_lists?.[d.share];
      if (share !== undefined) c.out.line(`dev_${d.share}=${share.toFixed(4)}`);
    }
    if (r.bench) for (const l of benchLines(r.bench)) c.out.line(l);
  }
  return 0;
}

async function cmdTrain(c: Common): Promise<number> {
  if (c.args.options.has('recipe')) return cmdTrainRecipe(c);
  const [data] = c.args.positionals;
  if (!data) throw new PlausibilityError('usage: plausibility discrim train DATA --text-col C --label-col L --out FILE', 'USAGE');
  const labelMapSpec = str(c, 'label-map');
  const subsample = c.num('subsample', 1)!;
  if (!Number.isInteger(subsample) || subsample < 1) throw new PlausibilityError('--subsample must be a positive integer', 'USAGE');
  const cardPath = str(c, 'model-card');
  const r = await trainFromFile(
    {
      data,
      textCol: need(c, 'text-col', 'train'),
      labelCol: need(c, 'label-col', 'train'),
      out: need(c, 'out', 'train'),
      metricsPath: str(c, 'metrics'),
      cardPath,
      labelMap: labelMapSpec ? parseLabelMap(labelMapSpec) : undefined,
      unwanted: str(c, 'unwanted'),
      name: str(c, 'name'),
      seed: c.num('seed', 0),
      maxTokens: maxTokensOption(c) ?? 64,
      subsample,
      maxTrainRows: c.num('max-train-rows', 0),
      epochs: c.num('epochs'),
      batchTokens: c.num('batch-tokens'),
      maxRowBytes: c.num('max-row-bytes'),
    },
    () => c.loadEngine(),
    { warn: (m) => c.out.warn(m), log: c.verbose ? (m) => c.out.info(m) : undefined, progress: progress(c, 'embedding') },
  );
  if (cardPath && !r.cardUpdated) c.out.info(`no model card at ${cardPath}; metrics not added to it`);
  const rows = r.training.rows;
  if (c.format === 'json') c.out.json({ ...r.report, beats_majority_baseline: r.beatsBaseline });
  else {
    c.out.line(
      `trained "${r.name}" on ${rows.train} rows (tune ${rows.tune}, held-out test ${rows.test}) in ${r.training.seconds.toFixed(1)} s; wrote ${r.report.head}`,
    );
    metricsText(c, 'held-out test', r.testMetrics);
    if (!r.beatsBaseline) c.out.warn('the head does not beat the majority-class baseline in macro-F1 on the held-out split');
  }
  return 0;
}

async function cmdScoreSentences(c: Common): Promise<number> {
  const [file] = c.args.positionals;
  if (!file) throw new PlausibilityError('usage: plausibility discrim score FILE|- [--head PATH]', 'USAGE');
  const input = readInput(file, c);
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    if (c.format === 'json') c.out.json({ file, head: null, classes: [], threshold: null, sentences: [] });
    return 0;
  }
  const engine = await c.loadEngine();
  const head = ClassifierHead.forEngine(engine, str(c, 'head') ?? 'toxicity');
  // Only prose: plain-text files keep their text whole; everything else is read as Markdown.
  const sentences = proseSentences(input.text, { markdown: !/\.(txt|text)$/i.test(file) });
  const P = await head.classify(engine, sentences.map((s) => s.text));
  const lines = new LineIndex(input.text);
  const rows = sentences.map((s, i) => {
    const pos = lines.position(s.start);
    const probs: Record<string, number> = {};
    head.classNames.forEach((n, k) => (probs[n] = P[i][k]));
    return { text: s.text, start: s.start, end: s.end, line: pos.line + 1, col: pos.column + 1, probs };
  });
  const threshold = head.decisionThreshold;
  if (c.format === 'json')
    c.out.json({ file, head: head.meta.path ?? head.meta.name, classes: head.classNames, threshold, sentences: rows });
  else {
    const shown = head.unwantedIndex !== undefined ? head.classNames[head.unwantedIndex] : head.classNames[head.classSize - 1];
    for (const r of rows) {
      const t = r.text.length > 80 ? r.text.slice(0, 77) + '...' : r.text;
      const flag = r.probs[shown] >= threshold ? '\tflagged' : '';
      c.out.line(`${r.line}:${r.col}\tp(${shown})=${r.probs[shown].toFixed(3)}${flag}\t${JSON.stringify(t)}`);
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
  const read = await readLabeledFile(data, { textCol, labelCol, maxRowBytes: c.num('max-row-bytes'), warn: (m) => c.out.warn(m) });
  const engine = await c.loadEngine();
  const head = ClassifierHead.forEngine(engine, str(c, 'head') ?? 'toxicity');
  let rows = read.rows;
  const subsample = c.num('subsample', 1)!;
  if (!Number.isInteger(subsample) || subsample < 1) throw new PlausibilityError('--subsample must be a positive integer', 'USAGE');
  if (subsample > 1) rows = rows.filter((r) => Math.floor(r.index / 10) % subsample === 0);
  if (split !== 'all') rows = rows.filter((r) => splitOf(r.index) === split);
  const labelMap = str(c, 'label-map') ? parseLabelMap(str(c, 'label-map')!) : head.meta.labelMap;
  const mapped = mapLabels((m) => c.out.warn(m), rows, head.classNames, labelMap);
  if (mapped.rows.length === 0) throw new InputError(`${data}: no rows with a label the head knows (${head.classNames.join(', ')})`, 'EMPTY_INPUT');
  const P = await head.classify(
    engine,
    mapped.rows.map((r) => r.text),
    { batchTokens: c.num('batch-tokens'), onProgress: c.verbose ? progress(c, 'embedding') : undefined },
  );
  const positive = head.unwantedIndex ?? 1;
  const m = classificationMetrics(P, mapped.y, head.classNames, positive);
  // Binary heads decide at their stored threshold; argmax is the 0.5 one.
  const atThreshold =
    head.classSize === 2 && head.meta.threshold !== undefined
      ? binaryMacroF1(P.map((p) => p[positive]), mapped.y.map((y) => (y === positive ? 1 : 0)), head.meta.threshold)
      : undefined;
  if (c.format === 'json')
    c.out.json({
      accuracy: m.accuracy,
      macro_f1: m.macro_f1,
      auroc: m.auroc,
      n: m.n,
      split,
      head: head.meta.path ?? head.meta.name,
      positive_class: head.classNames[positive],
      threshold: head.decisionThreshold,
      ...(atThreshold !== undefined ? { macro_f1_at_threshold: atThreshold } : {}),
      per_class: m.per_class,
      confusion: m.confusion,
      majority_baseline: m.majority_baseline,
    });
  else {
    metricsText(c, `${split === 'all' ? 'all rows' : `${split} split`}`, m);
    if (atThreshold !== undefined) c.out.line(`macro-F1 at the head's threshold ${head.meta.threshold}: ${fmt(atThreshold)}`);
  }
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
