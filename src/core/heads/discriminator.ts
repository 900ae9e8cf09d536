/**
 * Discriminator heads (PPLM's ClassifierHead): a linear layer embed_size -> class_size over the mean of a text's
 * final hidden states (`last_hidden_state`, the final-norm output that feeds the LM head), BOS excluded. A head may
 * instead pool with max or mean+max, and read layer 0 (the token embeddings) or several layers ({@link ./embedding}).
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
import type { Engine } from '../engine';
import { FeatureUnavailableError, InputError, PlausibilityError } from '../errors';
import { EmbedOptions, embedTexts, LayerSpec, layerFeatureSize, layerList, layerProblem, Pooling, POOLINGS, requireLayers } from './embedding';
import { softmax } from './fit';
import { mulberry32 } from '../scoring/math';

// The pieces of a head, by concern; re-exported so that callers keep one import.
export { availableLayers, embedIds, embedTexts, featureSize, layerFeatureSize, requireHidden, requireLayers, type EmbedOptions, type Layer, type LayerSpec, type Pooling } from './embedding';
export { fitPlatt, softmax, trainHead, type TrainOptions, type TrainResult } from './fit';
export { auroc, binaryMacroF1, classificationMetrics, expectedCalibrationError, type ClassMetrics } from './metrics';
export { hasContentWord, proseSentences, splitSentences, type SentenceRange } from '../text/proseSentences';

export const HEAD_FORMAT = 'plausibility.classifier-head';
export const HEAD_FILE = 'head.json';
/** The most tokens a head may ask for (more than any model's context; a larger value is a broken file). */
export const MAX_HEAD_TOKENS = 8192;
/** The last layer (the default), whose hidden states the exported models output. */
export const LAST_LAYER = -1;

/** The on-disk format of a head (JSON). */
export interface HeadFile {
  format: typeof HEAD_FORMAT;
  version: 1;
  name: string;
  embed_size: number;
  class_size: number;
  class_names: string[];
  /** How a text becomes a feature vector from its tokens' states at each layer (BOS excluded); default `mean`. */
  pooling?: Pooling;
  /**
   * Which layer's states: -1, the last (the default); 0, the token embeddings (lm_head.bin rows); N >= 1, the
   * residual stream after block N (`hidden_states.N`); or a list such as [0, -1], whose pooled features are
   * concatenated in that order.
   */
  layer?: LayerSpec;
  /** Texts are truncated to this many tokens before embedding (1 to {@link MAX_HEAD_TOKENS}). */
  max_tokens: number;
  /** Calibrated decision threshold on p(unwanted class): a text at or above it is flagged. */
  threshold?: number;
  /** [class_size][feature size: embed_size x layers, twice that for `mean+max`]. */
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


/** A linear classifier over pooled final hidden states. */
export class ClassifierHead {
  constructor(
    readonly embedSize: number,
    readonly classNames: string[],
    /** Row-major [classSize, featureSize]. */
    readonly weights: Float32Array,
    readonly bias: Float32Array,
    readonly baseModel: ModelFingerprint,
    readonly meta: {
      name: string;
      maxTokens: number;
      /** Default `mean`. */
      pooling?: Pooling;
      /** Default -1, the last layer. */
      layer?: LayerSpec;
      /** Calibrated decision threshold on p(unwanted). */
      threshold?: number;
      labelMap?: Record<string, string>;
      unwantedClass?: string;
      training?: Record<string, unknown>;
      metrics?: Record<string, unknown>;
      path?: string;
    },
  ) {
    const bad = meta.layer === undefined ? undefined : layerProblem(meta.layer);
    if (bad) throw new InputError(`classifier head layer ${bad}`, 'BAD_HEAD');
    if (weights.length !== classNames.length * layerFeatureSize(meta.pooling ?? 'mean', embedSize, meta.layer) || bias.length !== classNames.length)
      throw new InputError('classifier head weights do not match its class and embedding sizes', 'BAD_HEAD');
  }

  get pooling(): Pooling {
    return this.meta.pooling ?? 'mean';
  }

  /** The layer(s) the head reads: -1 (the last, the default), 0 (token embeddings), N (after block N) or a list. */
  get layer(): LayerSpec {
    return this.meta.layer ?? LAST_LAYER;
  }

  /**
   * True when hidden-state steering can drive the head: mean pooling of the last layer, alone or with the token
   * embeddings and inner layers (whose parts do not depend on the perturbation of the last state).
   */
  get steerable(): boolean {
    return this.pooling === 'mean' && layerList(this.meta.layer).includes(LAST_LAYER);
  }

  /** Length of the feature vector the head reads (embedSize per layer, twice that for `mean+max`). */
  get featureSize(): number {
    return layerFeatureSize(this.pooling, this.embedSize, this.meta.layer);
  }

  /**
   * Embeds texts the way this head was trained (its layer, pooling and token limit; `maxTokens` overrides the
   * limit, e.g. for longer rewrites).
   */
  embed(engine: Engine, texts: string[], opts: Omit<EmbedOptions, 'pooling' | 'layer'> = {}): Promise<Float32Array> {
    return embedTexts(engine, texts, { ...opts, pooling: this.pooling, layer: this.meta.layer, maxTokens: opts.maxTokens ?? this.meta.maxTokens });
  }

  /** p(class) of each text, [texts][classes]. */
  async classify(engine: Engine, texts: string[], opts: Omit<EmbedOptions, 'pooling' | 'layer'> = {}): Promise<Float64Array[]> {
    return this.probsMany(await this.embed(engine, texts, opts));
  }

  /** The threshold on p(unwanted) at which a text is flagged: the head's calibrated one, else 0.5. */
  get decisionThreshold(): number {
    return this.meta.threshold ?? 0.5;
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
    const D = this.featureSize;
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

  /** Probabilities for every row of a flat [n, featureSize] feature matrix. */
  probsMany(X: Float32Array): Float64Array[] {
    const n = X.length / this.featureSize;
    const out: Float64Array[] = [];
    for (let i = 0; i < n; i++) out.push(this.probs(X, i * this.featureSize));
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
    const D = this.featureSize;
    const round = (x: number) => Number(x.toPrecision(8));
    return {
      format: HEAD_FORMAT,
      version: 1,
      name: this.meta.name,
      embed_size: this.embedSize,
      class_size: this.classSize,
      class_names: [...this.classNames],
      pooling: this.pooling,
      layer: this.layer,
      max_tokens: this.meta.maxTokens,
      ...(this.meta.threshold !== undefined ? { threshold: this.meta.threshold } : {}),
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
    const pooling = h.pooling ?? 'mean';
    if (!POOLINGS.includes(pooling)) throw bad(`"pooling" must be one of ${POOLINGS.join(', ')} (got ${JSON.stringify(pooling)})`);
    const layerBad = h.layer === undefined ? undefined : layerProblem(h.layer);
    if (layerBad) throw bad(`"layer" ${layerBad}`);
    const layer: LayerSpec | undefined = Array.isArray(h.layer) ? [...h.layer] : h.layer;
    if (h.max_tokens !== undefined && !(Number.isInteger(h.max_tokens) && h.max_tokens >= 1 && h.max_tokens <= MAX_HEAD_TOKENS))
      throw bad(`"max_tokens" must be an integer from 1 to ${MAX_HEAD_TOKENS} (got ${JSON.stringify(h.max_tokens)})`);
    if (h.threshold !== undefined && !(typeof h.threshold === 'number' && h.threshold > 0 && h.threshold < 1))
      throw bad(`"threshold" must be a probability between 0 and 1 (got ${JSON.stringify(h.threshold)})`);
    const F = layerFeatureSize(pooling, D as number, layer);
    const what = `${pooling} pooling of ${D}${layerList(layer).length > 1 ? ` at ${layerList(layer).length} layers` : ''}`;
    if (!Array.isArray(h.weights) || h.weights.length !== names.length) throw bad('"weights" must have one row per class');
    const W = new Float32Array(names.length * F);
    h.weights.forEach((row, c) => {
      if (!Array.isArray(row) || row.length !== F) throw bad(`weights row ${c} must have ${F} numbers (${what})`);
      row.forEach((v, k) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`weights[${c}][${k}] is not a finite number`);
        W[c * F + k] = v;
      });
    });
    if (!Array.isArray(h.bias) || h.bias.length !== names.length || !h.bias.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw bad('"bias" must have one finite number per class');
    const bm = h.base_model;
    if (!bm || typeof bm.fingerprint !== 'string') throw bad('"base_model.fingerprint" is missing');
    return new ClassifierHead(D as number, names, W, Float32Array.from(h.bias), bm, {
      name: typeof h.name === 'string' ? h.name : 'custom',
      maxTokens: h.max_tokens ?? 64,
      pooling,
      layer,
      threshold: h.threshold,
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
    requireLayers(engine, head.meta.layer, `discriminator head "${head.meta.name}"`);
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

export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}


