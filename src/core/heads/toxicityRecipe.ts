/**
 * The shipped toxicity head's recipe (`npm run head:toxicity`): collect the data of {@link ./toxicityData}, embed it
 * once with the frozen model, fit the linear head on the train split (class-balanced, sources weighted), pick the L2
 * penalty on dev, calibrate it with Platt scaling on dev, choose the decision threshold on dev so that at most
 * {@link CLEAN_FLAG_BUDGET} of clean prose sentences are flagged, and report every figure per source on test,
 * which nothing before the report sees.
 */
import type { Engine } from '../engine';
import { ownValue } from '../ownKey';
import { availableLayers, embedTexts, layerFeatureSize, LayerSpec, Pooling } from './embedding';
import { fitPlatt, trainHead } from './fit';
import { auroc, binaryMacroF1, expectedCalibrationError, flaggedShare } from './metrics';
import {
  CLEAN_PROSE,
  corpusShards,
  GENERAL_SOURCES,
  HashSplit,
  hashUnit,
  readContrast,
  readDavidson,
  readToxicityExtra,
  sampleCleanSentences,
  ToxicityRow,
} from './toxicityData';

/** Share of clean dev sentences the threshold may flag (the 1%). */
export const CLEAN_FLAG_BUDGET = 0.01;

export interface RecipeOptions {
  /** Folder holding toxicity-extra/, toxicity/ and corpus/ (the repository's ../shared/data). */
  dataDir: string;
  pooling?: Pooling;
  /**
   * Which layer(s) the head reads: -1 (the last), 0 (token embeddings), N (after block N), a list such as [0, -1], or
   * `all`: every layer the model offers.
   */
  layer?: LayerSpec | 'all';
  maxTokens?: number;
  /** Clean sentences taken from each corpus train-* shard. */
  cleanPerShard?: number;
  /** The contrast sentences (training/toxicity/contrast.csv), added to the training rows when given. */
  contrastPath?: string;
  /** Share of the Davidson tweets used (by hash; they are many and all tweets). */
  davidsonShare?: number;
  seed?: number;
  epochs?: number;
  l2?: number[];
  log?: (message: string) => void;
  progress?: (done: number, total: number) => void;
}

export const RECIPE_DEFAULTS = {
  pooling: 'mean' as Pooling,
  // Every layer's mean state (token embeddings, inner layers, last): on v9's dev split the general sources' AUROC
  // was 0.837 with [0, -1] and 0.870 with all nine layers; this recipe's fit then reaches held-out macro-F1 0.753
  // and 0.774.
  layer: 'all' as LayerSpec | 'all',
  maxTokens: 64,
  cleanPerShard: 1500,
  davidsonShare: 0.3,
  seed: 0,
  epochs: 30,
  l2: [1e-4, 1e-3, 1e-2],
};

/**
 * Training weight of a source's rows relative to the rest (1 when absent).
 * - The hate-speech-only sources count half: their non-toxic class holds rude text that attacks no group (dev AUROC of
 *   the general sources 0.787 with them at full weight, 0.791 without them, 0.793 at half weight, which keeps what
 *   they teach about attacks on groups).
 * - Wikipedia talk comments (Jigsaw) and what users typed to chat agents (ConvAbuse) count double: they are sentences
 *   addressed to a person, as in a document, where the tweets and Gab posts attack groups with slurs. With the
 *   contrast sentences, the general sources' dev AUROC is 0.866 at single weight and 0.868 at double (dev macro-F1
 *   0.773 both; the dev lists of training/toxicity/ flag the same shares): a small edge, kept.
 */
export const SOURCE_WEIGHTS: Record<string, number> = {
  stormfront_hate: 0.5,
  fox_news_comments: 0.5,
  toxigen_demonstrations: 0.5,
  wikipedia_jigsaw: 2,
  convabuse: 2,
};

/** Every row of the recipe, in a fixed order. */
export async function collectToxicityRows(o: RecipeOptions): Promise<ToxicityRow[]> {
  const share = o.davidsonShare ?? RECIPE_DEFAULTS.davidsonShare;
  const extra = await readToxicityExtra(o.dataDir);
  // Sampled by a hash of the text (as the split is), the subset the pooling and weights were measured on.
  const davidson = (await readDavidson(o.dataDir)).filter((r) => hashUnit('dav', r.text) < share);
  const clean = await sampleCleanSentences({
    shards: corpusShards(o.dataDir, 'train-'),
    perShard: o.cleanPerShard ?? RECIPE_DEFAULTS.cleanPerShard,
    perDocument: 30,
    rate: 0.1,
  });
  const contrast = o.contrastPath ? await readContrast(o.contrastPath) : [];
  return [...extra, ...davidson, ...clean, ...contrast];
}

export interface FittedToxicityHead {
  /** Row-major [2, F]: class 0 non-toxic, class 1 toxic; calibrated. */
  weights: Float32Array;
  bias: Float32Array;
  threshold: number;
  platt: { a: number; b: number };
  chosen: { l2: number; dev_auroc: number; epochs: number };
}

function take(X: Float32Array, F: number, idx: number[]): Float32Array {
  const m = new Float32Array(idx.length * F);
  idx.forEach((i, k) => m.set(X.subarray(i * F, (i + 1) * F), k * F));
  return m;
}

/** The margin z(toxic) - z(non-toxic) of each row of X under a two-class head. */
export function margins(W: ArrayLike<number>, b: ArrayLike<number>, X: Float32Array, F: number): Float64Array {
  const n = X.length / F;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = b[1] - b[0];
    for (let j = 0; j < F; j++) v += (W[F + j] - W[j]) * X[i * F + j];
    s[i] = v;
  }
  return s;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Fits, calibrates and thresholds the head on features X [rows, F] (see the module comment). */
export function fitToxicityHead(rows: ToxicityRow[], X: Float32Array, F: number, o: RecipeOptions): FittedToxicityHead {
  const bySplit = (s: HashSplit) => rows.flatMap((r, i) => (r.split === s ? [i] : []));
  const tr = bySplit('train');
  const dev = bySplit('dev');
  const weights = tr.map((i) => ownValue(SOURCE_WEIGHTS, rows[i].source) ?? 1);
  const ydev = dev.map((i) => rows[i].label);
  const fit = trainHead(take(X, F, tr), tr.map((i) => rows[i].label), take(X, F, dev), ydev, F, 2, {
    seed: o.seed ?? RECIPE_DEFAULTS.seed,
    epochs: o.epochs ?? RECIPE_DEFAULTS.epochs,
    l2: o.l2 ?? RECIPE_DEFAULTS.l2,
    sampleWeights: weights,
    select: (p) => auroc(p.map((q) => q[1]), ydev.map((l) => l === 1)),
    log: o.log,
  });
  // Platt scaling of the margin on dev, folded into the weights: a * (z1 - z0) + b.
  const Xdev = take(X, F, dev);
  const sDev = margins(fit.weights, fit.bias, Xdev, F);
  const platt = fitPlatt(sDev, ydev);
  const W = Float32Array.from(fit.weights, (v) => v * platt.a);
  const b = Float32Array.of(fit.bias[0] * platt.a, fit.bias[1] * platt.a + platt.b);
  const pDev = Array.from(sDev, (s) => sigmoid(platt.a * s + platt.b));
  const threshold = chooseThreshold(
    dev.map((i, k) => ({ p: pDev[k], row: rows[i] })),
    o.log,
  );
  return { weights: W, bias: b, threshold, platt, chosen: { l2: fit.chosen.l2, dev_auroc: fit.chosen.tune_macro_f1, epochs: fit.chosen.epochs } };
}

/**
 * The decision threshold: the one maximising dev macro-F1 of the general-toxicity sources, raised if needed so that
 * at most {@link CLEAN_FLAG_BUDGET} of the clean dev sentences reach it.
 */
export function chooseThreshold(dev: { p: number; row: ToxicityRow }[], log?: (m: string) => void): number {
  const clean = dev.filter((d) => d.row.source === CLEAN_PROSE).map((d) => d.p).sort((a, b) => b - a);
  const allowed = Math.floor(clean.length * CLEAN_FLAG_BUDGET);
  // Flag p >= t: t just above the (allowed+1)-th highest clean probability.
  const tClean = clean.length > allowed ? clean[allowed] + 1e-6 : 0;
  const general = dev.filter((d) => GENERAL_SOURCES.includes(d.row.source));
  let tF1 = 0.5;
  let best = -1;
  for (let t = 0.05; t < 0.96; t += 0.01) {
    const f = binaryMacroF1(general.map((d) => d.p), general.map((d) => d.row.label), t);
    if (f > best) [best, tF1] = [f, t];
  }
  const t = Math.min(0.99, Math.max(tClean, tF1));
  log?.(`threshold: dev macro-F1 best at ${tF1.toFixed(3)} (${best.toFixed(4)}), clean budget needs ${tClean.toFixed(3)}: ${t.toFixed(3)}`);
  return Math.ceil(t * 1e4) / 1e4; // rounded up, so that the clean budget still holds
}

export interface SourceFigures {
  n: number;
  toxic: number;
  macro_f1: number;
  auroc: number;
  ece: number;
  /** Share flagged (for one-class sources such as clean prose). */
  flagged: number;
}

/** Per-source figures of p(toxic) at a threshold, plus the general-toxicity sources pooled. */
export function figuresBySource(p: ArrayLike<number>, rows: ToxicityRow[], threshold: number): Record<string, SourceFigures> {
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    groups.set(r.source, [...(groups.get(r.source) ?? []), i]);
    if (GENERAL_SOURCES.includes(r.source)) groups.set('general', [...(groups.get('general') ?? []), i]);
  });
  const out: Record<string, SourceFigures> = {};
  for (const [src, idx] of [...groups].sort()) {
    const ps = idx.map((i) => p[i]);
    const ys = idx.map((i) => rows[i].label);
    const toxic = ys.filter((y) => y === 1).length;
    out[src] = {
      n: idx.length,
      toxic,
      macro_f1: toxic > 0 && toxic < idx.length ? binaryMacroF1(ps, ys, threshold) : NaN,
      auroc: auroc(ps, ys.map((y) => y === 1)),
      ece: expectedCalibrationError(ps, ys),
      flagged: flaggedShare(ps, threshold),
    };
  }
  return out;
}

/** The layers a recipe reads on this engine's model (`all`: every one it offers, in order). */
export function recipeLayers(engine: Engine, spec: LayerSpec | 'all' | undefined = RECIPE_DEFAULTS.layer): LayerSpec {
  return spec === 'all' ? availableLayers(engine) : spec;
}

/** Embeds the rows with the recipe's layer(s), pooling and token limit. */
export async function embedRows(engine: Engine, rows: ToxicityRow[], o: RecipeOptions): Promise<{ X: Float32Array; F: number }> {
  const pooling = o.pooling ?? RECIPE_DEFAULTS.pooling;
  const layer = recipeLayers(engine, o.layer);
  const X = await embedTexts(
    engine,
    rows.map((r) => r.text),
    { pooling, layer, maxTokens: o.maxTokens ?? RECIPE_DEFAULTS.maxTokens, onProgress: o.progress },
  );
  return { X, F: layerFeatureSize(pooling, engine.config.hiddenSize, layer) };
}
