/**
 * The server's settings: what a client answers to `workspace/configuration` for the section `plausibility` (or sends
 * in `workspace/didChangeConfiguration`). Anything missing, null or malformed takes the default of
 * `plausibility lint`, so a client that knows nothing of this server gets the CLI's behaviour.
 */
import { normalizeLanguageId } from '../core/text/languages';
import { homedir } from 'node:os';
import type { Severity } from '../core/lint/finding';
import { CHECKS } from '../core/lint/registry';
import { LintSettings, withDefaults } from '../core/lint/settings';
import { defaultModelDir } from '../core/model/paths';
import { settingValue } from '../core/settings/schema';
import { isPathSetting, resolveSettingPath } from '../core/settings/paths';

export const SECTION = 'plausibility';

export type CheckFrequency = 'edit' | 'save' | 'manual';
export type HeatmapMode = 'rank' | 'percentile';

export interface ServerSettings {
  enabled: boolean;
  /** Language ids checked (after alias normalisation, e.g. Neovim's `text` is `plaintext`). */
  languages: string[];
  /** Absolute model folder. */
  modelDir: string;
  /** Execution providers to try (`auto`: the best available, cpu last). */
  executionProviders: string[];
  /** ONNX precision variant (fp32, fp16, quantized). */
  variant: string;
  checkFrequency: CheckFrequency;
  debounceMs: number;
  maxFileLength: number;
  heatmap: boolean;
  heatmapMode: HeatmapMode;
  rewrite: { cfgWeight: number; maxNllIncrease: number };
  inlineCompletions: boolean;
  lint: LintSettings;
  /** The raw configuration, for comparing two readings (see invalidationBetween). */
  read: (key: string) => unknown;
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

/**
 * The model folder for a `plausibility.model` value: `bundled` (or nothing) is the bundled model; `~/x` and relative
 * paths resolve against the user's home, never the server's working directory or a workspace (which a cloned
 * repository controls). The VS Code client resolves workspace-relative paths itself, in trusted workspaces only.
 */
export function resolveModelPath(value: unknown, bundled: string = defaultModelDir(__dirname)): string {
  if (typeof value !== 'string' || !value.trim() || value.trim() === 'bundled') return bundled;
  return resolveSettingPath(value, { trusted: false, home: homedir() });
}

const LINT_SEVERITIES: readonly string[] = ['error', 'warning', 'info', 'hint'];
/** The editor's severity names (`information`) as the pipeline's (`info`). */
const severityName = (s: unknown): Severity => (s === 'information' ? 'info' : (s as Severity));

/** A reader of one configuration object, by key under `plausibility.` (nested or dotted). */
export function configReader(value: unknown): (key: string) => unknown {
  const raw: Raw = isObject(value) ? value : {};
  return (key) => get(raw, key);
}

/** Maps a configuration object (or null) to settings, through the one settings schema; bad values take defaults. */
export function readSettings(value: unknown, bundledModel?: string): ServerSettings {
  const read = configReader(value);
  const v = (key: string) => settingValue(read, key);
  const lint = withDefaults();
  lint.surprise.enabled = v('surprise.enabled') as boolean;
  const threshold = v('threshold') as number;
  if (threshold > 0) lint.surprise.thresholdBits = threshold;
  lint.edits.dialect = v('dialect') as LintSettings['edits']['dialect'];
  const known = new Set(CHECKS.map((c) => String(c.id)));
  for (const r of v('disabledRules') as unknown[]) {
    const id = typeof r === 'string' && !r.startsWith('plausibility/') ? `plausibility/${r}` : r;
    if (typeof id === 'string' && known.has(id) && !lint.disabledRules.includes(id)) lint.disabledRules.push(id);
  }
  if (v('offTag.enabled') === false && !lint.disabledRules.includes('plausibility/off-tag')) lint.disabledRules.push('plausibility/off-tag');
  // diagnosticSeverity is the surprise flags' severity; offTag.severity the off-tag sentences'. `severity` wins.
  const surpriseSeverity = severityName(v('diagnosticSeverity'));
  if (surpriseSeverity !== 'info') lint.severity['plausibility/word'] = lint.severity['plausibility/phrase'] = surpriseSeverity;
  const offTagSeverity = severityName(v('offTag.severity'));
  if (offTagSeverity !== 'info') lint.severity['plausibility/off-tag'] = offTagSeverity;
  for (const [rule, s] of Object.entries(v('severity') as Raw)) {
    const id = rule.startsWith('plausibility/') ? rule : `plausibility/${rule}`;
    const name = severityName(s);
    if (LINT_SEVERITIES.includes(name)) lint.severity[id] = name;
  }
  lint.toxicity.enabled = v('toxicity.enabled') as boolean;
  const toxicityThreshold = v('toxicity.threshold');
  if (typeof toxicityThreshold === 'number') lint.toxicity.threshold = toxicityThreshold;
  const head = (v('toxicity.head') as string).trim();
  // A head name stays a name (the model's discriminators/ folder); a path resolves like the model's.
  if (head) lint.toxicity.head = isPathSetting(head) ? resolveModelPath(head) : head;
  lint.tags.declared = (v('tags') as unknown[]).filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim());
  return {
    enabled: v('enabled') as boolean,
    languages: (v('languages') as unknown[]).filter((l): l is string => typeof l === 'string').map(normalizeLanguageId),
    modelDir: resolveModelPath(read('model'), bundledModel),
    executionProviders: [v('executionProvider') as string],
    variant: v('precision') as string,
    checkFrequency: v('checkFrequency') as CheckFrequency,
    debounceMs: v('debounceMs') as number,
    maxFileLength: v('maxFileLength') as number,
    heatmap: v('heatmap') as boolean,
    heatmapMode: v('heatmapMode') as HeatmapMode,
    rewrite: { cfgWeight: v('rewrite.cfgWeight') as number, maxNllIncrease: v('rewrite.maxNllIncrease') as number },
    inlineCompletions: v('inlineCompletions.enabled') as boolean,
    lint,
    read,
  };
}

/** What the engine is loaded with: a change means a reload. */
export function engineKey(s: ServerSettings): string {
  return JSON.stringify([s.modelDir, s.executionProviders, s.variant]);
}
