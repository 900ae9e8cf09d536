/**
 * Validation of the CLI's numeric options, done once before any output: a bad value is a usage error that names the
 * option (exit 2) rather than a silently wrong result or a half-written document. Bounds that depend on the model
 * (the context length, the vocabulary size) are checked by `checkModelLimits` once the model's config is known.
 */
import { PlausibilityError } from '../core/errors';
import { ownValue } from '../core/ownKey';

/** What a numeric option accepts. */
export interface NumericSpec {
  integer: boolean;
  /** Lower bound; exclusive when `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  /** Upper bound; exclusive when `maxExclusive`. */
  max?: number;
  maxExclusive?: boolean;
}

const int = (min: number, max?: number): NumericSpec => ({ integer: true, min, max });
const real = (min: number, minExclusive: boolean, max?: number, maxExclusive = false): NumericSpec => ({
  integer: false,
  min,
  minExclusive,
  max,
  maxExclusive,
});

/** Every numeric option of every command. Model-dependent upper bounds come later (checkModelLimits). */
export const NUMERIC_OPTIONS: Readonly<Record<string, NumericSpec>> = {
  window: int(2),
  stride: int(1),
  'top-k': int(1),
  percentile: real(0, true, 100, true),
  threshold: real(0, true),
  threads: int(1, 1024),
  'max-bytes': int(0),
  'batch-rows': int(1),
  // generate, rewrite, tags, steering
  temperature: real(0, false),
  'top-p': real(0, true, 1),
  'max-tokens': int(1),
  seed: int(0),
  line: int(1),
  col: int(1),
  length: int(0),
  count: int(1),
  samples: int(1),
  cfg: real(0, false),
  rerank: int(0),
  stepsize: real(0, false),
  iterations: int(0),
  'kl-scale': real(0, false),
  'gm-scale': real(0, false),
  // discrim
  subsample: int(1),
  'max-train-rows': int(0),
  epochs: int(1),
  'batch-tokens': int(1),
  'max-row-bytes': int(1),
};

/** Per-command differences: for generate, `--top-k 0` means no top-k filtering. */
const COMMAND_OVERRIDES: Readonly<Record<string, Readonly<Record<string, NumericSpec>>>> = {
  generate: { 'top-k': int(0) },
};

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function usage(message: string): PlausibilityError {
  return new PlausibilityError(message, 'USAGE');
}

function describe(spec: NumericSpec): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '>='} ${spec.min}`;
  const hi = spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '<='} ${spec.max}`;
  return [kind, [lo, hi].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
}

/** Parses one value of `--name` against `spec`, or throws a usage error naming the option. */
export function parseNumericOption(name: string, raw: string | true, spec: NumericSpec): number {
  const bad = () => usage(`--${name} must be ${describe(spec)} (got "${raw === true ? '' : raw}")`);
  if (raw === true || !DECIMAL.test(raw.trim())) throw bad();
  const n = Number(raw);
  if (!Number.isFinite(n)) throw bad();
  if (spec.integer && !Number.isSafeInteger(n)) throw bad();
  if (spec.min !== undefined && (spec.minExclusive ? n <= spec.min : n < spec.min)) throw bad();
  if (spec.max !== undefined && (spec.maxExclusive ? n >= spec.max : n > spec.max)) throw bad();
  return n;
}

/** The spec of `name` for `command`, if it is a known numeric option. */
export function numericSpec(name: string, command?: string): NumericSpec | undefined {
  return (command && ownValue(ownValue(COMMAND_OVERRIDES, command) ?? {}, name)) || ownValue(NUMERIC_OPTIONS, name);
}

/** Validates every numeric option present in `options`; returns the parsed values by name. */
export function validateNumericOptions(options: ReadonlyMap<string, string | true>, command?: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, raw] of options) {
    const spec = numericSpec(name, command);
    if (spec) values.set(name, parseNumericOption(name, raw, spec));
  }
  const window = values.get('window');
  const stride = values.get('stride');
  if (window !== undefined && stride !== undefined && stride > window)
    throw usage(`--stride must be an integer from 1 to the window (${window}) (got "${stride}")`);
  return values;
}

/** Checks the options whose bounds come from the model: the window and stride against its context, top-k against its vocabulary. */
export function checkModelLimits(values: ReadonlyMap<string, number>, model: { maxPositions: number; vocabSize: number }): void {
  const window = values.get('window');
  if (window !== undefined && window > model.maxPositions)
    throw usage(`--window must be an integer from 2 to the model's context length ${model.maxPositions} (got "${window}")`);
  const stride = values.get('stride');
  const strideMax = window ?? model.maxPositions;
  if (stride !== undefined && stride > strideMax)
    throw usage(`--stride must be an integer from 1 to the window (${strideMax}) (got "${stride}")`);
  const topK = values.get('top-k');
  if (topK !== undefined && topK > model.vocabSize)
    throw usage(`--top-k must be at most the model's vocabulary size ${model.vocabSize} (got "${topK}")`);
}
