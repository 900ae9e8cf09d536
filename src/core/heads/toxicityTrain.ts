/**
 * `plausibility discrim train --recipe toxicity` (`npm run head:toxicity`): the whole recipe of
 * {@link ./toxicityRecipe} end to end on the engine's model, then the benchmark of {@link ./toxicityEval}; writes
 * the head and its metrics atomically, only when everything succeeded.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ClassifierHead, engineFingerprint, requireHidden, writeFileAtomic } from './discriminator';
import type { Engine } from '../engine';
import { InputError } from '../errors';
import { ownValue } from '../ownKey';
import { GENERAL_SOURCES } from './toxicityData';
import { flaggedShare } from './metrics';
import { benchToxicity, readInsults, ToxicityBench } from './toxicityEval';
import {
  collectToxicityRows,
  embedRows,
  figuresBySource,
  fitToxicityHead,
  RECIPE_DEFAULTS,
  RecipeOptions,
  recipeLayers,
  SOURCE_WEIGHTS,
} from './toxicityRecipe';

export interface ToxicityTrainOptions extends RecipeOptions {
  out: string;
  metricsPath?: string;
  /** The insult list of the benchmark (skipped when absent). */
  insultsPath?: string;
  /** Paths of the dev lists to report, by their option name (see {@link DEV_LISTS}). */
  devLists?: Partial<Record<DevListOption, string>>;
}

/**
 * The dev lists of training/toxicity/, reported and never fitted: insults and threats, and hateful statements about
 * groups, that should be flagged; polite sentences, and harmless sentences about groups, that should not. Each has
 * its CLI option (`--dev-insults FILE`) and the keys of its flagged share and its line count in metrics.json's
 * `dev_lists`.
 */
export const DEV_LISTS = [
  { option: 'dev-insults', share: 'insult_recall', count: 'insults' },
  { option: 'dev-polite', share: 'polite_flagged', count: 'polite' },
  { option: 'dev-hate', share: 'hate_recall', count: 'hate' },
  { option: 'dev-group-benign', share: 'group_benign_flagged', count: 'group_benign' },
] as const;
export type DevListOption = (typeof DEV_LISTS)[number]['option'];

/**
 * The recipe's rows as JSON Lines of `{ids, label, source, split, weight, general}`, ids as the head reads them (no
 * BOS, cut at maxTokens), `weight` the recipe's training weight of the source and `general` whether the source counts
 * in the headline figure: the input of the training pipeline's multi-task tuning (training/plausibility_train/toxicity_tune.py),
 * which must train on the same train split and never see a dev or test row. Returns the number of rows.
 */
export async function dumpToxicityRows(engine: Engine, o: RecipeOptions, path: string): Promise<number> {
  const rows = await collectToxicityRows(o);
  const maxTokens = o.maxTokens ?? RECIPE_DEFAULTS.maxTokens;
  const lines = rows.map((r) =>
    JSON.stringify({
      ids: engine.encode(r.text).slice(0, maxTokens),
      label: r.label,
      source: r.source,
      split: r.split,
      weight: ownValue(SOURCE_WEIGHTS, r.source) ?? 1,
      general: GENERAL_SOURCES.includes(r.source),
    }),
  );
  writeFileAtomic(path, lines.join('\n') + '\n');
  return rows.length;
}

export async function trainToxicityRecipe(engine: Engine, o: ToxicityTrainOptions) {
  const t0 = Date.now();
  requireHidden(engine);
  const log = o.log ?? (() => undefined);
  // The dev lists are read first, so that a wrong path stops the run before minutes of embedding.
  const devLists = DEV_LISTS.flatMap((d) => {
    const path = o.devLists?.[d.option];
    if (!path) return [];
    if (!existsSync(path)) throw new InputError(`no dev list at ${path}`, 'ENOENT');
    return [{ ...d, lines: readInsults(path) }];
  });
  if (o.insultsPath && !existsSync(o.insultsPath)) throw new InputError(`no insult list at ${o.insultsPath}`, 'ENOENT');
  const rows = await collectToxicityRows(o);
  log(`collected ${rows.length} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const { X, F } = await embedRows(engine, rows, o);
  const tEmbed = Date.now();
  log(`embedded in ${((tEmbed - t0) / 1000).toFixed(1)} s`);
  const fit = fitToxicityHead(rows, X, F, o);
  const pooling = o.pooling ?? RECIPE_DEFAULTS.pooling;
  const layer = recipeLayers(engine, o.layer);
  const maxTokens = o.maxTokens ?? RECIPE_DEFAULTS.maxTokens;
  const classes = ['non-toxic', 'toxic'];
  const fp = engineFingerprint(engine);
  const probe = new ClassifierHead(engine.config.hiddenSize, classes, fit.weights, fit.bias, fp, {
    name: 'toxicity',
    maxTokens,
    pooling,
    layer,
    threshold: fit.threshold,
  });
  // Per-source figures of every split (test: reported only; nothing above saw it).
  const p = probe.probsMany(X).map((q) => q[1]);
  const splitFigures = (s: string) => {
    const idx = rows.flatMap((r, i) => (r.split === s ? [i] : []));
    return figuresBySource(idx.map((i) => p[i]), idx.map((i) => rows[i]), fit.threshold);
  };
  const count: Record<string, Record<string, number>> = {};
  for (const r of rows) (count[r.source] ??= { train: 0, dev: 0, test: 0 })[r.split]++;
  const training = {
    recipe: 'toxicity',
    data: [
      'toxicity-extra/*.csv',
      'toxicity-extra/extra-negatives',
      'toxicity/davidson_labeled_data.csv',
      'corpus/train-*',
      ...(o.contrastPath ? [basename(o.contrastPath)] : []),
    ],
    split: 'sha256 of the NFKC case-folded text, first 8 hex digits mod 10: 0-7 train, 8 dev (L2, Platt, threshold), 9 test (reported)',
    rows: count,
    source_weights: SOURCE_WEIGHTS,
    pooling,
    layer,
    max_tokens: maxTokens,
    chosen: fit.chosen,
    platt: fit.platt,
    threshold: fit.threshold,
    embed_seconds: (tEmbed - t0) / 1000,
  };
  const head = new ClassifierHead(engine.config.hiddenSize, classes, fit.weights, fit.bias, fp, {
    name: 'toxicity',
    maxTokens,
    pooling,
    layer,
    threshold: fit.threshold,
    labelMap: { toxic: 'toxic', 'non-toxic': 'non-toxic' },
    unwantedClass: 'toxic',
    training,
  });
  // The dev lists: reported, for choosing the recipe's settings; nothing is fitted on them.
  const devFigures: Record<string, number> = {};
  for (const d of devLists) {
    const probs = await head.classify(engine, d.lines);
    devFigures[d.share] = flaggedShare(probs.map((q) => q[1]), fit.threshold);
    devFigures[d.count] = d.lines.length;
  }
  let bench: ToxicityBench | undefined;
  if (o.insultsPath) bench = await benchToxicity(engine, head, { dataDir: o.dataDir, insultsPath: o.insultsPath });
  const report = {
    head: o.out,
    model: engine.info.modelDir,
    fingerprint: fp.fingerprint,
    classes,
    positive_class: 'toxic',
    threshold: fit.threshold,
    ...(bench
      ? {
          bench: {
            heldout_macro_f1: bench.heldout_macro_f1,
            insult_recall: bench.insult_recall,
            clean_false_alarm_rate: bench.clean_false_alarm_rate,
            clean_sentences: bench.clean_sentences,
            insults: bench.insults,
          },
        }
      : {}),
    ...(devLists.length ? { dev_lists: devFigures } : {}),
    test_by_source: splitFigures('test'),
    dev_by_source: splitFigures('dev'),
    training: { ...training, seconds: (Date.now() - t0) / 1000 },
  };
  head.meta.metrics = { heldout_macro_f1: bench?.heldout_macro_f1 ?? report.test_by_source.general?.macro_f1 };
  head.save(o.out);
  if (o.metricsPath) writeFileAtomic(o.metricsPath, JSON.stringify(report, nanToNull, 2) + '\n');
  log(`wrote ${basename(o.out)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { head, report, bench };
}

function nanToNull(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
