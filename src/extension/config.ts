/**
 * Typed access to the `plausibility.*` settings (contributes.configuration in package.json).
 *
 * In an untrusted workspace, `plausibility.model` is read from user settings only, so a workspace cannot point the
 * extension at a model folder of its choosing.
 */
import * as vscode from 'vscode';
import { resolveSettingPathHere, userLevelSetting } from './models';
import type { ExecutionProvider } from '../worker/protocol';
import type { Severity } from '../core/lint/finding';
import { PROVIDER_SETTINGS } from '../core/model/providerSettings';
import { DEFAULT_LINT_SETTINGS, type LintSettings } from '../core/lint/settings';

export type CheckFrequency = 'edit' | 'save' | 'manual';
export type HeatmapMode = 'rank' | 'percentile';
export type Precision = 'fp32' | 'fp16' | 'quantized';

export interface Settings {
  enabled: boolean;
  languages: string[];
  /** `bundled`, or a model folder. */
  model: string;
  executionProvider: ExecutionProvider;
  /** ONNX precision variant: fp32, fp16 or quantized. */
  precision: Precision;
  /** Surprisal threshold in bits; 0 means calibrated from the model. */
  threshold: number;
  diagnosticSeverity: vscode.DiagnosticSeverity;
  checkFrequency: CheckFrequency;
  debounceMs: number;
  maxFileLength: number;
  heatmap: boolean;
  heatmapMode: HeatmapMode;
  /** Raw surprisal flags (plausibility/word, /phrase), off by default. */
  surpriseEnabled: boolean;
  /** The writer's English. */
  dialect: 'en-US' | 'en-GB';
  /** Tags declared for documents without front matter, and whether off-tag sentences are flagged. */
  tags: string[];
  offTag: boolean;
  offTagSeverity: vscode.DiagnosticSeverity;
  /** The toxicity check (off by default), its head (a name or an absolute path) and threshold (unset: the head's). */
  toxicity: { enabled: boolean; head: string; threshold: number | undefined };
}

export const SECTION = 'plausibility';

import { DEFAULT_LANGUAGES } from '../core/text/languages';
export { DEFAULT_LANGUAGES };

const SEVERITIES: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function clampNumber(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** Reads the settings (for a document's scope when given). */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const languages = c.get<unknown>('languages');
  let model = c.get<string>('model', 'bundled');
  if (!vscode.workspace.isTrusted) model = c.inspect<string>('model')?.globalValue ?? 'bundled';
  return {
    enabled: c.get<boolean>('enabled', true) !== false,
    languages: Array.isArray(languages) ? languages.filter((l): l is string => typeof l === 'string') : DEFAULT_LANGUAGES,
    model: typeof model === 'string' && model.trim() ? model.trim() : 'bundled',
    executionProvider: oneOf(c.get('executionProvider'), PROVIDER_SETTINGS, 'auto'),
    precision: oneOf(c.get('precision'), ['fp32', 'fp16', 'quantized'] as const, 'fp32'),
    threshold: clampNumber(c.get('threshold'), 0, 100, 0),
    diagnosticSeverity: SEVERITIES[String(c.get('diagnosticSeverity', 'information'))] ?? vscode.DiagnosticSeverity.Information,
    checkFrequency: oneOf(c.get('checkFrequency'), ['edit', 'save', 'manual'] as const, 'edit'),
    debounceMs: clampNumber(c.get('debounceMs'), 0, 10_000, 300),
    // An untrusted workspace must not raise the size gate: user-level value only.
    maxFileLength: clampNumber(userLevelSetting('maxFileLength', 200_000, scope), 1, 50_000_000, 200_000),
    heatmap: c.get<boolean>('heatmap', false) === true,
    heatmapMode: oneOf(c.get('heatmapMode'), ['rank', 'percentile'] as const, 'rank'),
    surpriseEnabled: c.get<boolean>('surprise.enabled', false) === true,
    dialect: oneOf(c.get('dialect'), ['en-US', 'en-GB'] as const, 'en-US'),
    toxicity: toxicitySettings(c, scope),
    tags: ((t: unknown) => (Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : []))(c.get('tags')),
    offTag: c.get<boolean>('offTag.enabled', true) !== false,
    offTagSeverity: SEVERITIES[String(c.get('offTag.severity', 'information'))] ?? vscode.DiagnosticSeverity.Information,
  };
}

/** Whether the user set a value at any level (not just the contributed default). */
function isSet(c: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = c.inspect(key);
  return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue, i?.globalLanguageValue, i?.workspaceLanguageValue, i?.workspaceFolderLanguageValue].some(
    (v) => v !== undefined,
  );
}

function toxicitySettings(c: vscode.WorkspaceConfiguration, scope?: vscode.ConfigurationScope): Settings['toxicity'] {
  const t = isSet(c, 'toxicity.threshold') ? c.get<number>('toxicity.threshold') : undefined;
  // A head path is a file setting: in an untrusted workspace only the user-level value counts, and a relative path
  // resolves against the user's home, never the workspace.
  const raw = userLevelSetting<string>('toxicity.head', 'toxicity', scope);
  const spec = typeof raw === 'string' && raw.trim() ? raw.trim() : 'toxicity';
  return {
    enabled: c.get<boolean>('toxicity.enabled', false) === true,
    head: /[\\/]|\.json$/i.test(spec) ? resolveSettingPathHere(spec) : spec,
    threshold: typeof t === 'number' && Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : undefined,
  };
}

const SEVERITY_NAMES = { [vscode.DiagnosticSeverity.Error]: 'error', [vscode.DiagnosticSeverity.Warning]: 'warning', [vscode.DiagnosticSeverity.Information]: 'info', [vscode.DiagnosticSeverity.Hint]: 'hint' } as const;

/** The lint pipeline's settings for these editor settings (the CLI maps its flags to the same type). */
export function lintSettings(s: Settings): Partial<LintSettings> {
  const surpriseSeverity = SEVERITY_NAMES[s.diagnosticSeverity];
  return {
    surprise: { enabled: s.surpriseEnabled, thresholdBits: s.threshold > 0 ? s.threshold : undefined },
    toxicity: s.toxicity,
    tags: { declared: s.tags },
    disabledRules: s.offTag ? [] : ['plausibility/off-tag'],
    edits: { ...DEFAULT_LINT_SETTINGS.edits, dialect: s.dialect },
    // diagnosticSeverity applies to the surprise flags; verified edits are warnings, off-tag sentences information.
    severity: {
      ...(surpriseSeverity === 'info' ? {} : { 'plausibility/word': surpriseSeverity, 'plausibility/phrase': surpriseSeverity }),
      ...(s.offTagSeverity === vscode.DiagnosticSeverity.Information ? {} : { 'plausibility/off-tag': SEVERITY_NAMES[s.offTagSeverity] }),
    },
  };
}

/** The editor's severity for a finding's. */
export function diagnosticSeverity(s: Severity): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error : s === 'warning' ? vscode.DiagnosticSeverity.Warning : s === 'hint' ? vscode.DiagnosticSeverity.Hint : vscode.DiagnosticSeverity.Information;
}

/** True when a configuration change touches any setting of ours. */
export function affectsUs(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
