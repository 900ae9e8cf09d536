/**
 * The `plausibility.*` settings as the language server receives them (its answer to `workspace/configuration`).
 * The keys, types and defaults are the one settings schema's (src/core/settings/schema.ts); the server validates
 * and maps them. Two things only the editor can decide are applied here:
 *
 * - workspace trust: in an untrusted workspace, restricted settings (a model or head path, the size gate) take the
 *   user's value only, so a cloned repository cannot point the engine at files of its choosing;
 * - path settings are made absolute (relative to the workspace when trusted, else the home folder);
 * - the heatmap's per-workspace toggle (view state, never written to the user's settings) overrides `heatmap`.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { SETTINGS } from '../core/settings/schema';
import { isPathSetting, resolveSettingPath } from '../core/settings/paths';

export const SECTION = 'plausibility';
const HEATMAP_STATE_KEY = 'plausibility.heatmapVisible';

/** A setting that names a file or folder: in an untrusted workspace only the user (global) value counts. */
export function userLevelSetting<T>(key: string, fallback: T, scope?: vscode.ConfigurationScope): T {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  if (vscode.workspace.isTrusted) return c.get<T>(key, fallback);
  const i = c.inspect<T>(key);
  return i?.globalValue ?? i?.defaultValue ?? fallback;
}

/** The absolute path a path-valued setting names (see resolveSettingPath). */
export function resolveSettingPathHere(value: string): string {
  return resolveSettingPath(value, {
    trusted: vscode.workspace.isTrusted,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    home: os.homedir(),
  });
}

/** `plausibility.model` resolved: `bundled`, or an absolute folder. */
export function modelSetting(scope?: vscode.ConfigurationScope): string {
  const v = userLevelSetting<string>('model', 'bundled', scope);
  return typeof v !== 'string' || !v.trim() || v.trim() === 'bundled' ? 'bundled' : resolveSettingPathHere(v);
}

/** The heatmap's visibility: the workspace's toggled state, else the `plausibility.heatmap` setting. */
export class HeatmapToggle {
  constructor(private readonly state: vscode.Memento) {}

  get visible(): boolean {
    return this.state.get<boolean>(HEATMAP_STATE_KEY) ?? vscode.workspace.getConfiguration(SECTION).get<boolean>('heatmap', false) === true;
  }

  async toggle(): Promise<boolean> {
    const next = !this.visible;
    await this.state.update(HEATMAP_STATE_KEY, next);
    return next;
  }
}

/** The nested object the server reads (`{surprise: {enabled}, toxicity: {head}, ...}`), for a scope. */
export function serverSettings(heatmap: HeatmapToggle, scope?: vscode.ConfigurationScope): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const out: Record<string, unknown> = {};
  for (const [full, spec] of Object.entries(SETTINGS)) {
    const key = full.slice(SECTION.length + 1);
    let value: unknown = spec.restricted ? userLevelSetting(key, spec.default, scope) : c.get(key, spec.default);
    if (key === 'model') value = modelSetting(scope);
    if (key === 'toxicity.head' && typeof value === 'string' && isPathSetting(value)) value = resolveSettingPathHere(value);
    if (key === 'heatmap') value = heatmap.visible;
    setPath(out, key, value);
  }
  return out;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

/** The language ids `plausibility.languages` lists (for a scope). */
export function checkedLanguages(scope?: vscode.ConfigurationScope): string[] {
  const languages = vscode.workspace.getConfiguration(SECTION, scope).get<unknown>('languages');
  return Array.isArray(languages) ? languages.filter((l): l is string => typeof l === 'string') : [];
}

/** Whether a document's language is checked (the server decides the rest: size, binary, schemes). */
export function isChecked(doc: vscode.TextDocument): boolean {
  return vscode.workspace.getConfiguration(SECTION, doc.uri).get<boolean>('enabled', true) !== false && checkedLanguages(doc.uri).includes(doc.languageId);
}
