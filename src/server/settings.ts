/**
 * The server's settings: what a client answers to `workspace/configuration` for the section `plausibility` (or sends
 * in `workspace/didChangeConfiguration`). Anything missing, null or malformed takes the default of
 * `plausibility lint`, so a client that knows nothing of this server gets the CLI's behaviour.
 */
import { DEFAULT_LANGUAGES, normalizeLanguageId } from '../core/text/languages';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Severity } from '../core/lint/finding';
import { CHECKS } from '../core/lint/registry';
import { LintSettings, withDefaults } from '../core/lint/settings';
import { defaultModelDir } from '../core/model/paths';

export const SECTION = 'plausibility';

export type CheckFrequency = 'edit' | 'save' | 'manual';
export type HeatmapMode = 'rank' | 'percentile';

export interface ServerSettings {
  enabled: boolean;
  /** Language ids checked (after alias normalisation, e.g. Neovim's `text` is `plaintext`). */
  languages: string[];
  /** Absolute model folder. */
  modelDir: string;
  /** Execution providers to try (the CLI's default: cpu). */
  executionProviders: string[];
  /** ONNX precision variant (fp32, fp16, quantized). */
  variant: string;
  checkFrequency: CheckFrequency;
  debounceMs: number;
  maxFileLength: number;
  heatmap: boolean;
  heatmapMode: HeatmapMode;
  lint: LintSettings;
}

export { DEFAULT_LANGUAGES, normalizeLanguageId } from '../core/text/languages';

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `a.b.c` from a nested object or a flat one with dotted keys (clients send either). */
function get(raw: Raw, path: string): unknown {
  if (path in raw) return raw[path];
  let v: unknown = raw;
  for (const part of path.split('.')) {
    if (!isObject(v)) return undefined;
    v = v[part];
  }
  return v;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/**
 * The model folder for a `plausibility.model` value: `bundled` (or nothing) is the bundled model; `~/x` and relative
 * paths resolve against the user's home, never the server's working directory or a workspace (which a cloned
 * repository controls).
 */
export function resolveModelPath(value: unknown, bundled: string = defaultModelDir(__dirname)): string {
  if (typeof value !== 'string' || !value.trim() || value.trim() === 'bundled') return bundled;
  const v = value.trim();
  if (v === '~') return homedir();
  if (v.startsWith('~/')) return join(homedir(), v.slice(2));
  return isAbsolute(v) ? resolve(v) : resolve(homedir(), v);
}

const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;

/** Maps a configuration object (or null) to settings; unknown values fall back to the defaults. */
export function readSettings(value: unknown, bundledModel?: string): ServerSettings {
  const raw: Raw = isObject(value) ? value : {};
  const lint = withDefaults();
  lint.surprise.enabled = get(raw, 'surprise.enabled') === true;
  const threshold = clamp(get(raw, 'threshold'), 0, 100, 0);
  if (threshold > 0) lint.surprise.thresholdBits = threshold;
  lint.edits.dialect = oneOf(get(raw, 'dialect'), ['en-US', 'en-GB'] as const, lint.edits.dialect);
  const known = new Set(CHECKS.map((c) => String(c.id)));
  const disabled = get(raw, 'disabledRules');
  if (Array.isArray(disabled)) {
    for (const r of disabled) {
      const id = typeof r === 'string' && !r.startsWith('plausibility/') ? `plausibility/${r}` : r;
      if (typeof id === 'string' && known.has(id)) lint.disabledRules.push(id);
    }
  }
  const severity = get(raw, 'severity');
  if (isObject(severity)) {
    for (const [rule, s] of Object.entries(severity)) {
      if ((SEVERITIES as readonly unknown[]).includes(s)) lint.severity[rule] = s as Severity;
    }
  }
  lint.toxicity.enabled = get(raw, 'toxicity.enabled') === true;
  const toxicityThreshold = get(raw, 'toxicity.threshold');
  if (typeof toxicityThreshold === 'number' && toxicityThreshold >= 0 && toxicityThreshold <= 1) lint.toxicity.threshold = toxicityThreshold;
  const head = get(raw, 'toxicity.head');
  // A head name stays a name (the model's discriminators/ folder); a path resolves like the model's.
  if (typeof head === 'string' && head.trim()) lint.toxicity.head = /[\\/]/.test(head) || head.startsWith('~') ? resolveModelPath(head) : head.trim();
  const languages = get(raw, 'languages');
  const provider = get(raw, 'executionProvider');
  return {
    enabled: get(raw, 'enabled') !== false,
    languages: Array.isArray(languages)
      ? languages.filter((l): l is string => typeof l === 'string').map(normalizeLanguageId)
      : DEFAULT_LANGUAGES,
    modelDir: resolveModelPath(get(raw, 'model'), bundledModel),
    executionProviders: typeof provider === 'string' && provider.trim() ? [provider.trim()] : ['cpu'],
    variant: oneOf(get(raw, 'precision'), ['fp32', 'fp16', 'quantized'] as const, 'fp32'),
    checkFrequency: oneOf(get(raw, 'checkFrequency'), ['edit', 'save', 'manual'] as const, 'edit'),
    debounceMs: clamp(get(raw, 'debounceMs'), 0, 10_000, 300),
    maxFileLength: clamp(get(raw, 'maxFileLength'), 1, 50_000_000, 200_000),
    heatmap: get(raw, 'heatmap') === true,
    heatmapMode: oneOf(get(raw, 'heatmapMode'), ['rank', 'percentile'] as const, 'rank'),
    lint,
  };
}

/** What the engine is loaded with: a change means a reload. */
export function engineKey(s: ServerSettings): string {
  return JSON.stringify([s.modelDir, s.executionProviders, s.variant]);
}
