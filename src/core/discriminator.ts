/**
 * Discriminator heads (PPLM's ClassifierHead): a linear layer embed_size -> class_size over the mean of a text's
 * final hidden states (`last_hidden_state`, the final-norm output that feeds the LM head), BOS excluded.
 *
 * A head is a small JSON file ({@link HeadFile}) holding the weights, the class names, the embedding size and a
 * fingerprint of the base model it was trained on; a head trained for another model is refused with
 * {@link HeadMismatchError}. Three ways to get one: {@link ClassifierHead.shipped} (a head bundled in the model
 * folder, e.g. `toxicity`), {@link ClassifierHead.load} (a custom head from a path) and
 * {@link ClassifierHead.random} (random initialisation, for experiments).
 *
 * Training ({@link trainHead}) embeds every text once with the frozen model ({@link embedTexts}) and fits the linear
 * layer with class-weighted cross-entropy; hyper-parameters are picked on the `tune` split only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Engine } from './engine';
import { FeatureUnavailableError, InputError, PlausibilityError } from './errors';
import { mulberry32 } from './math';

export const HEAD_FORMAT = 'plausibility.classifier-head';
export const HEAD_FILE = 'head.json';

/** The on-disk format of a head (JSON). */
export interface HeadFile {
  format: typeof HEAD_FORMAT;
  version: 1;
  name: string;
  embed_size: number;
  class_size: number;
  class_names: string[];
  /** How a text becomes a feature vector: the mean of its tokens' final hidden states (BOS excluded). */
  pooling: 'mean';
  /** Texts are truncated to this many tokens before embedding. */
  max_tokens: number;
  /** [class_size][embed_size]. */
  weights: number[][];
  /** [class_size]. */
  bias: number[];
  base_model: ModelFingerprint;
  /** Raw label (as in the training data) -> class name, when training mapped labels. */
  label_map?: Record<string, string>;
  /** The class that steering and diagnostics treat as unwanted (e.g. `toxic`), when there is one. */
  unwanted_class?: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

/** Identifies the base model a head belongs to. */
export interface ModelFingerprint {
  /** `sha256:` + the first 16 hex digits of the SHA-256 of `file`. */
  fingerprint: string;
  /** The hashed file, relative to the model folder (lm_head.bin for project models). */
  file: string;
  hidden_size: number;
  /** Informational: the model folder's name when the head was made. */
  name?: string;
}

/** A head was made for another model (or has another embedding size). */
export class HeadMismatchError extends PlausibilityError {
  constructor(message: string) {
    super(message, 'HEAD_MISMATCH');
    this.name = 'HeadMismatchError';
  }
}

const fpCache = new Map<string, string>();

/**
 * Fingerprint of a model folder: SHA-256 of lm_head.bin (the tied embedding/LM-head matrix, which every retraining
 * changes; 6 MB, so cheap, and shared by the fp32/fp16/quantized ONNX variants), or of the ONNX file for models
 * without one.
 */
export function modelFingerprint(modelDir: string, hiddenSize: number): ModelFingerprint {
  const dir = resolve(modelDir);
  const file = existsSync(join(dir, 'lm_head.bin')) ? 'lm_head.bin' : join('onnx', 'model.onnx');
  const p = join(dir, file);
  if (!existsSync(p)) throw new FeatureUnavailableError('fingerprint', `cannot fingerprint ${dir}: no ${file}`);
  const st = statSync(p);
  const key = `${p}|${st.size}|${st.mtimeMs}`;
  let fp = fpCache.get(key);
  if (!fp) {
    fp = 'sha256:' + createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
    fpCache.set(key, fp);
  }
  return { fingerprint: fp, file, hidden_size: hiddenSize, name: dir.split(/[\\/]/).pop() };
}

/** Fingerprint of the model an engine runs. */
export function engineFingerprint(engine: Engine): ModelFingerprint {
  return modelFingerprint(engine.info.modelDir, engine.config.hiddenSize);
}


/** A linear classifier over mean-pooled final hidden states. */
export class ClassifierHead {
  constructor(
    readonly embedSize: number,
    readonly classNames: string[],
    /** Row-major [classSize, embedSize]. */
    readonly weights: Float32Array,
    readonly bias: Float32Array,
    readonly baseModel: ModelFingerprint,
    readonly meta: {
      name: string;
      maxTokens: number;
      labelMap?: Record<string, string>;
      unwantedClass?: string;
      training?: Record<string, unknown>;
      metrics?: Record<string, unknown>;
      path?: string;
    },
  ) {
    if (weights.length !== classNames.length * embedSize || bias.length !== classNames.length)
      throw new InputError('classifier head weights do not match its class and embedding sizes', 'BAD_HEAD');
  }

  get classSize(): number {
    return this.classNames.length;
  }

  /** Index of a class by name (or by index as a string). Throws with the known names otherwise. */
  classIndex(name: string): number {
    let i = this.classNames.indexOf(name);
    if (i < 0 && /^\d+$/.test(name) && Number(name) < this.classSize) i = Number(name);
    if (i < 0)
      throw new InputError(`the head has no class "${name}" (classes: ${this.classNames.join(', ')})`, 'USAGE');
    return i;
  }

  /** The unwanted class (e.g. `toxic`) if the head names one, else undefined. */
  get unwantedIndex(): number | undefined {
    const u = this.meta.unwantedClass;
    return u !== undefined && this.classNames.includes(u) ? this.classNames.indexOf(u) : undefined;
  }

  /** Logits W·x + b of one feature vector. */
  logits(x: ArrayLike<number>, off = 0): Float64Array {
    const C = this.classSize;
    const D = this.embedSize;
    const z = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = this.bias[c];
      const w = c * D;
      for (let j = 0; j < D; j++) s += this.weights[w + j] * x[off + j];
      z[c] = s;
    }
    return z;
  }

  /** Class probabilities of one feature vector. */
  probs(x: ArrayLike<number>, off = 0): Float64Array {
    return softmax(this.logits(x, off));
  }

  /** Probabilities for every row of a flat [n, embedSize] feature matrix. */
  probsMany(X: Float32Array): Float64Array[] {
    const n = X.length / this.embedSize;
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) out.push(this.probs(X, i * this.embedSize));
    return out;
  }

  /** Refuses a head made for another model. */
  checkCompatible(fp: ModelFingerprint, modelDir?: string): void {
    const where = this.meta.path ? ` (${this.meta.path})` : '';
    if (fp.hidden_size !== this.embedSize)
      throw new HeadMismatchError(
        `discriminator head "${this.meta.name}"${where} expects hidden states of size ${this.embedSize}, but the model` +
          `${modelDir ? ` ${modelDir}` : ''} has size ${fp.hidden_size}; train a head for this model with \`plausibility discrim train\``,
      );
    if (fp.fingerprint !== this.baseModel.fingerprint)
      throw new HeadMismatchError(
        `discriminator head "${this.meta.name}"${where} was trained for another model (fingerprint ${this.baseModel.fingerprint}` +
          `${this.baseModel.name ? `, "${this.baseModel.name}"` : ''}), not for ${modelDir ?? 'this model'} (fingerprint ${fp.fingerprint}); ` +
          'its scores would be meaningless. Retrain it for this model with `plausibility discrim train`' +
          (this.meta.name === 'toxicity' ? ' or `npm run head:toxicity`' : ''),
      );
  }

  /** Serialises to the on-disk format. */
  toJSON(): HeadFile {
    const D = this.embedSize;
    const round = (x: number) => Number(x.toPrecision(8));
    return {
      format: HEAD_FORMAT,
      version: 1,
      name: this.meta.name,
      embed_size: D,
      class_size: this.classSize,
      class_names: [...this.classNames],
      pooling: 'mean',
      max_tokens: this.meta.maxTokens,
      weights: this.classNames.map((_, c) => Array.from(this.weights.subarray(c * D, (c + 1) * D), round)),
      bias: Array.from(this.bias, round),
      base_model: this.baseModel,
      ...(this.meta.labelMap ? { label_map: this.meta.labelMap } : {}),
      ...(this.meta.unwantedClass ? { unwanted_class: this.meta.unwantedClass } : {}),
      ...(this.meta.training ? { training: this.meta.training } : {}),
      ...(this.meta.metrics ? { metrics: this.meta.metrics } : {}),
    };
  }

  /** Writes the head atomically (temp file + rename), creating the folder. */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON(), null, 1) + '\n');
  }

  /** Parses a head file's JSON; throws InputError with a clear message if it is not one. */
  static fromJSON(j: unknown, path?: string): ClassifierHead {
    const where = path ?? 'classifier head';
    const bad = (why: string) => new InputError(`${where} is not a valid discriminator head: ${why}`, 'BAD_HEAD');
    if (!j || typeof j !== 'object') throw bad('not a JSON object');
    const h = j as Partial<HeadFile>;
    if (h.format !== HEAD_FORMAT) throw bad(`"format" must be "${HEAD_FORMAT}"`);
    if (h.version !== 1) throw bad(`unsupported version ${String(h.version)}`);
    const D = h.embed_size;
    const names = h.class_names;
    if (!Number.isInteger(D) || (D as number) <= 0) throw bad('"embed_size" must be a positive integer');
    if (!Array.isArray(names) || names.length < 2 || !names.every((n) => typeof n === 'string'))
      throw bad('"class_names" must list at least two names');
    if (h.class_size !== names.length) throw bad('"class_size" differs from the number of class names');
    if (!Array.isArray(h.weights) || h.weights.length !== names.length) throw bad('"weights" must have one row per class');
    const W = new Float32Array(names.length * (D as number));
    h.weights.forEach((row, c) => {
      if (!Array.isArray(row) || row.length !== D) throw bad(`weights row ${c} must have ${D} numbers`);
      row.forEach((v, k) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`weights[${c}][${k}] is not a finite number`);
        W[c * (D as number) + k] = v;
      });
    });
    if (!Array.isArray(h.bias) || h.bias.length !== names.length || !h.bias.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw bad('"bias" must have one finite number per class');
    const bm = h.base_model;
    if (!bm || typeof bm.fingerprint !== 'string') throw bad('"base_model.fingerprint" is missing');
    return new ClassifierHead(D as number, names, W, Float32Array.from(h.bias), bm, {
      name: typeof h.name === 'string' ? h.name : 'custom',
      maxTokens: Number.isInteger(h.max_tokens) && (h.max_tokens as number) > 0 ? (h.max_tokens as number) : 64,
      labelMap: h.label_map,
      unwantedClass: h.unwanted_class,
      training: h.training,
      metrics: h.metrics,
      path,
    });
  }

  /** Loads a custom head from a file (or a folder holding head.json), without checking the model. */
  static load(path: string): ClassifierHead {
    let p = path;
    if (existsSync(p) && statSync(p).isDirectory()) p = join(p, HEAD_FILE);
    if (!existsSync(p)) throw new InputError(`no discriminator head at ${path}`, 'ENOENT');
    let j: unknown;
    try {
      j = JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new InputError(`${p} is not valid JSON: ${(e as Error).message}`, 'BAD_HEAD');
    }
    return ClassifierHead.fromJSON(j, p);
  }

  /** Path of a head shipped in a model folder: `<modelDir>/discriminators/<name>/head.json`. */
  static shippedPath(modelDir: string, name = 'toxicity'): string {
    return join(modelDir, 'discriminators', name, HEAD_FILE);
  }

  /** Loads a head shipped with a model folder (e.g. `toxicity`). */
  static shipped(modelDir: string, name = 'toxicity'): ClassifierHead {
    const p = ClassifierHead.shippedPath(modelDir, name);
    if (!existsSync(p))
      throw new FeatureUnavailableError(
        'discriminator',
        `the model ${modelDir} ships no "${name}" discriminator (expected ${p}); train one with \`plausibility discrim train\`` +
          (name === 'toxicity' ? ' or `npm run head:toxicity`' : ''),
      );
    return ClassifierHead.load(p);
  }

  /**
   * Resolves `spec` for an engine: a path to a head file/folder, or the name of a shipped head (`toxicity`); checks
   * that it belongs to the engine's model and that the model exports hidden states.
   */
  static forEngine(engine: Engine, spec = 'toxicity'): ClassifierHead {
    const looksLikePath = /[\\/]|\.json$/i.test(spec) || existsSync(spec);
    const head = looksLikePath ? ClassifierHead.load(spec) : ClassifierHead.shipped(engine.info.modelDir, spec);
    requireHidden(engine);
    head.checkCompatible(engineFingerprint(engine), engine.info.modelDir);
    return head;
  }

  /** A randomly initialised head (Xavier-uniform weights, zero bias), for experiments. */
  static random(embedSize: number, classNames: string[], baseModel: ModelFingerprint, seed = 0): ClassifierHead {
    const r = mulberry32(seed);
    const C = classNames.length;
    const lim = Math.sqrt(6 / (embedSize + C));
    const W = new Float32Array(C * embedSize);
    for (let i = 0; i < W.length; i++) W[i] = (2 * r() - 1) * lim;
    return new ClassifierHead(embedSize, classNames, W, new Float32Array(C), baseModel, { name: 'random', maxTokens: 64 });
  }
}

export function requireHidden(engine: Engine): void {
  if (!engine.info.hasHiddenState)
    throw new FeatureUnavailableError(
      'last_hidden_state',
      `this model (${engine.info.modelDir}) does not export last_hidden_state, so discriminator heads cannot run on it ` +
        '(only project models exported by training/ have it); scoring, ranking and linting still work',
    );
}

export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function softmax(z: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i] > m) m = z[i];
  const p = new Float64Array(z.length);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += p[i] = Math.exp(z[i] - m);
  for (let i = 0; i < z.length; i++) p[i] /= s;
  return p;
}

// -----------------------------------------------------------------------------------------------------------------
// Embedding

export interface EmbedOptions {
  /** Truncate each text to this many tokens (default 64). */
  maxTokens?: number;
  /** Token budget per forward pass (rows x padded length, default 2048). */
  batchTokens?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches; throwing from it cancels. */
  checkCancelled?: () => void;
}

/**
 * Mean of the final hidden states of each text's tokens (BOS excluded; an empty text gets BOS's state), as a flat
 * [texts, hiddenSize] matrix. Each text is embedded once, truncated to `maxTokens`, in right-padded batches sorted
 * by length (causal attention: padding never changes the real positions).
 */
export async function embedTexts(engine: Engine, texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
  requireHidden(engine);
  const maxTokens = Math.max(1, Math.min(opts.maxTokens ?? 64, engine.config.maxPositions - 1));
  const budget = Math.max(maxTokens + 1, opts.batchTokens ?? 2048);
  const D = engine.config.hiddenSize;
  const seqs = texts.map((t) => engine.encode(t).slice(0, maxTokens));
  return embedIds(engine, seqs, { ...opts, batchTokens: budget, D });
}

/** {@link embedTexts} for already-tokenised texts (ids without BOS). */
export async function embedIds(
  engine: Engine,
  seqs: number[][],
  opts: EmbedOptions & { D?: number } = {},
): Promise<Float32Array> {
  requireHidden(engine);
  const D = engine.config.hiddenSize;
  const budget = opts.batchTokens ?? 2048;
  const out = new Float32Array(seqs.length * D);
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[b].length - seqs[a].length || a - b);
  const pad = engine.config.eosTokenId ?? engine.bosId;
  let i = 0;
  while (i < order.length) {
    opts.checkCancelled?.();
    const L = seqs[order[i]].length + 1;
    const n = Math.max(1, Math.floor(budget / L));
    const group = order.slice(i, i + n);
    i += group.length;
    const ids = group.map((k) => {
      const s = [engine.bosId, ...seqs[k]];
      while (s.length < L) s.push(pad);
      return s;
    });
    const ragged = group.some((k) => seqs[k].length + 1 !== L);
    const attentionMask = ragged ? group.map((k) => Array.from({ length: L }, (_, j) => (j <= seqs[k].length ? 1 : 0))) : undefined;
    const positionIds = ragged
      ? group.map((k) => Array.from({ length: L }, (_, j) => Math.min(j, seqs[k].length)))
      : undefined;
    const res = await engine.forward(ids, { hidden: true, logits: false, attentionMask, positionIds });
    const h = res.hidden!;
    group.forEach((k, r) => {
      const len = seqs[k].length;
      const dst = k * D;
      const from = len === 0 ? 0 : 1;
      const to = len === 0 ? 0 : len;
      const cnt = to - from + 1;
      for (let p = from; p <= to; p++) {
        const base = (r * L + p) * D;
        for (let j = 0; j < D; j++) out[dst + j] += h[base + j];
      }
      for (let j = 0; j < D; j++) out[dst + j] /= cnt;
    });
    opts.onProgress?.(i, order.length);
  }
  return out;
}

// -----------------------------------------------------------------------------------------------------------------
// Metrics

export interface ClassMetrics {
  n: number;
  accuracy: number;
  macro_f1: number;
  /** Binary: AUROC of p(positive class); more classes: macro one-vs-rest AUROC. */
  auroc: number;
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** [true][predicted] counts. */
  confusion: number[][];
  majority_baseline: { class: string; accuracy: number; macro_f1: number };
}

/** AUROC of scores for positives vs negatives (Mann-Whitney U, ties count one half). NaN if a side is empty. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[idx[k]]) {
      rankSumPos += avgRank;
      nPos++;
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function macroF1Of(confusion: number[][]): { macro: number; per: { precision: number; recall: number; f1: number; support: number }[] } {
  const C = confusion.length;
  const per = [];
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c];
    let predC = 0;
    let trueC = 0;
    for (let k = 0; k < C; k++) {
      predC += confusion[k][c];
      trueC += confusion[c][k];
    }
    const precision = predC ? tp / predC : 0;
    const recall = trueC ? tp / trueC : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per.push({ precision, recall, f1, support: trueC });
  }
  const present = per.filter((p) => p.support > 0);
  return { macro: present.reduce((a, p) => a + p.f1, 0) / Math.max(1, present.length), per };
}

/** Accuracy, macro-F1, AUROC, per-class scores and the majority-class baseline. */
export function classificationMetrics(probs: ArrayLike<number>[], labels: number[], classNames: string[], positive?: number): ClassMetrics {
  const C = classNames.length;
  const n = labels.length;
  const confusion = classNames.map(() => new Array<number>(C).fill(0));
  let correct = 0;
  probs.forEach((p, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c;
    confusion[labels[i]][best]++;
    if (best === labels[i]) correct++;
  });
  const { macro, per } = macroF1Of(confusion);
  let au: number;
  if (C === 2) {
    const pos = positive ?? 1;
    au = auroc(probs.map((p) => p[pos]), labels.map((l) => l === pos));
  } else {
    const aus = classNames.map((_, c) => auroc(probs.map((p) => p[c]), labels.map((l) => l === c))).filter((x) => !Number.isNaN(x));
    au = aus.reduce((a, b) => a + b, 0) / Math.max(1, aus.length);
  }
  const counts = classNames.map((_, c) => labels.filter((l) => l === c).length);
  const maj = counts.indexOf(Math.max(...counts));
  const majConf = classNames.map((_, t) => classNames.map((__, p) => (p === maj ? counts[t] : 0)));
  const perClass: ClassMetrics['per_class'] = {};
  classNames.forEach((name, c) => (perClass[name] = per[c]));
  return {
    n,
    accuracy: n ? correct / n : NaN,
    macro_f1: macro,
    auroc: au,
    per_class: perClass,
    confusion,
    majority_baseline: { class: classNames[maj], accuracy: n ? counts[maj] / n : NaN, macro_f1: macroF1Of(majConf).macro },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Training

export interface TrainOptions {
  seed?: number;
  /** L2 penalties tried (picked by tune macro-F1). Default [1e-4, 1e-3, 1e-2]. */
  l2?: number[];
  epochs?: number;
  /** Learning rate of Adam on standardised features (default 0.01). */
  lr?: number;
  batchSize?: number;
  /** Weight classes by inverse frequency (default true; helps macro-F1 on imbalanced data). */
  balanced?: boolean;
  /** Binary heads: move the decision threshold to the one maximising tune macro-F1 (folded into the bias). */
  tuneThreshold?: boolean;
  log?: (message: string) => void;
}

export interface TrainResult {
  weights: Float32Array;
  bias: Float32Array;
  chosen: { l2: number; threshold?: number; tune_macro_f1: number; epochs: number };
}

/**
 * Fits a softmax-regression head on features X [n, D] (train split) with labels y, picking the L2 penalty (and, for
 * two classes, the decision threshold) on the tune split. Features are standardised during training and the scaling
 * is folded back into the weights, so the result applies to raw mean hidden states.
 */
export function trainHead(
  X: Float32Array,
  y: number[],
  Xtune: Float32Array,
  ytune: number[],
  D: number,
  C: number,
  opts: TrainOptions = {},
): TrainResult {
  const n = y.length;
  if (n === 0) throw new InputError('no training rows', 'EMPTY_INPUT');
  const mu = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mu[j] += X[i * D + j];
  for (let j = 0; j < D; j++) mu[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sd[j] += (X[i * D + j] - mu[j]) ** 2;
  for (let j = 0; j < D; j++) sd[j] = Math.sqrt(sd[j] / n) || 1;
  const Z = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) Z[i * D + j] = (X[i * D + j] - mu[j]) / sd[j];
  const counts = new Array<number>(C).fill(0);
  for (const l of y) counts[l]++;
  const balanced = opts.balanced !== false;
  const cw = counts.map((k) => (balanced ? (k ? n / (C * k) : 0) : 1));
  const epochs = opts.epochs ?? 40;
  const bs = opts.batchSize ?? 256;
  const lr = opts.lr ?? 0.01;
  const seed = opts.seed ?? 0;

  const fit = (l2: number): { W: Float64Array; b: Float64Array } => {
    const r = mulberry32(seed);
    const W = new Float64Array(C * D);
    const b = new Float64Array(C);
    const mW = new Float64Array(C * D);
    const vW = new Float64Array(C * D);
    const mb = new Float64Array(C);
    const vb = new Float64Array(C);
    const gW = new Float64Array(C * D);
    const gb = new Float64Array(C);
    const order = Array.from({ length: n }, (_, i) => i);
    const z = new Float64Array(C);
    let t = 0;
    const b1 = 0.9;
    const b2 = 0.999;
    for (let ep = 0; ep < epochs; ep++) {
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(r() * (i + 1));
        [order[i], order[k]] = [order[k], order[i]];
      }
      for (let s = 0; s < n; s += bs) {
        const batch = order.slice(s, s + bs);
        gW.fill(0);
        gb.fill(0);
        let wsum = 0;
        for (const i of batch) {
          const off = i * D;
          let m = -Infinity;
          for (let c = 0; c < C; c++) {
            let v = b[c];
            for (let j = 0; j < D; j++) v += W[c * D + j] * Z[off + j];
            z[c] = v;
            if (v > m) m = v;
          }
          let sum = 0;
          for (let c = 0; c < C; c++) sum += z[c] = Math.exp(z[c] - m);
          const w = cw[y[i]];
          wsum += w;
          for (let c = 0; c < C; c++) {
            const g = w * (z[c] / sum - (c === y[i] ? 1 : 0));
            gb[c] += g;
            for (let j = 0; j < D; j++) gW[c * D + j] += g * Z[off + j];
          }
        }
        t++;
        const inv = 1 / Math.max(wsum, 1e-12);
        const c1 = 1 - b1 ** t;
        const c2 = 1 - b2 ** t;
        for (let k = 0; k < C * D; k++) {
          const g = gW[k] * inv + l2 * W[k];
          mW[k] = b1 * mW[k] + (1 - b1) * g;
          vW[k] = b2 * vW[k] + (1 - b2) * g * g;
          W[k] -= (lr * (mW[k] / c1)) / (Math.sqrt(vW[k] / c2) + 1e-8);
        }
        for (let c = 0; c < C; c++) {
          const g = gb[c] * inv;
          mb[c] = b1 * mb[c] + (1 - b1) * g;
          vb[c] = b2 * vb[c] + (1 - b2) * g * g;
          b[c] -= (lr * (mb[c] / c1)) / (Math.sqrt(vb[c] / c2) + 1e-8);
        }
      }
    }
    // Fold the standardisation: W' = W / sd, b' = b - W'·mu.
    const Wr = new Float64Array(C * D);
    const br = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      br[c] = b[c];
      for (let j = 0; j < D; j++) {
        Wr[c * D + j] = W[c * D + j] / sd[j];
        br[c] -= Wr[c * D + j] * mu[j];
      }
    }
    return { W: Wr, b: br };
  };

  const evalTune = (W: Float64Array, b: Float64Array) => {
    const probs: Float64Array[] = [];
    const nt = ytune.length;
    for (let i = 0; i < nt; i++) {
      const z = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let v = b[c];
        for (let j = 0; j < D; j++) v += W[c * D + j] * Xtune[i * D + j];
        z[c] = v;
      }
      probs.push(softmax(z));
    }
    return probs;
  };
  const names = Array.from({ length: C }, (_, c) => String(c));
  const grid = opts.l2 ?? [1e-4, 1e-3, 1e-2];
  let best: { W: Float64Array; b: Float64Array; l2: number; f1: number; threshold?: number } | undefined;
  for (const l2 of grid) {
    const { W, b } = fit(l2);
    let f1: number;
    let threshold: number | undefined;
    if (ytune.length === 0) f1 = NaN;
    else {
      const probs = evalTune(W, b);
      f1 = classificationMetrics(probs, ytune, names).macro_f1;
      if (C === 2 && opts.tuneThreshold !== false) {
        // Search the decision threshold on p(class 1) that maximises tune macro-F1.
        const cands = Array.from({ length: 49 }, (_, k) => 0.02 * (k + 1));
        let bestT = 0.5;
        let bestF = f1;
        for (const th of cands) {
          const shifted = probs.map((p) => Float64Array.of(p[0], p[1] >= th ? 2 : 0));
          const f = classificationMetrics(shifted, ytune, names).macro_f1;
          if (f > bestF + 1e-12) {
            bestF = f;
            bestT = th;
          }
        }
        threshold = bestT;
        f1 = bestF;
      }
    }
    opts.log?.(`l2=${l2}: tune macro-F1 ${Number.isNaN(f1) ? 'n/a' : f1.toFixed(4)}${threshold !== undefined ? ` (threshold ${threshold.toFixed(2)})` : ''}`);
    if (!best || f1 > best.f1 || Number.isNaN(best.f1)) best = { W, b, l2, f1, threshold };
  }
  const { W, b, l2, f1, threshold } = best!;
  if (threshold !== undefined && threshold !== 0.5) {
    // p1 >= t  <=>  z1 - z0 >= logit(t): subtract logit(t) from the class-1 bias.
    b[1] -= Math.log(threshold / (1 - threshold));
  }
  return {
    weights: Float32Array.from(W),
    bias: Float32Array.from(b),
    chosen: { l2, threshold, tune_macro_f1: f1, epochs },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Sentences

/** A sentence of a document: [start, end) UTF-16 offsets, trimmed of surrounding whitespace. */
export interface SentenceRange {
  start: number;
  end: number;
  text: string;
}

/**
 * Splits text into sentences: after `.`, `!`, `?` or `…` (with closing quotes/brackets) followed by whitespace, at
 * blank lines, and at line breaks before Markdown list items or headings. Offsets are exact.
 */
export function splitSentences(text: string): SentenceRange[] {
  const out: SentenceRange[] = [];
  const re = /[.!?…]+["'”’)\]]*(?=\s)|\n[ \t]*\n|\n(?=[ \t]*(?:[-*+]|\d+[.)]|#{1,6})\s)/g;
  let start = 0;
  const push = (s: number, e: number) => {
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    if (e > s) out.push({ start: s, end: e, text: text.slice(s, e) });
  };
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const end = m[0].startsWith('\n') ? m.index : m.index + m[0].length;
    push(start, end);
    start = m.index + m[0].length;
  }
  push(start, text.length);
  return out;
}
