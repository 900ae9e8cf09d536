/**
 * Resolving a path-valued setting (`plausibility.model`, `plausibility.toxicity.head`), without the VS Code API so
 * it can be tested. In an untrusted workspace a relative path must not resolve inside the workspace: the user's
 * `"plausibility.model": "models/x"` would otherwise load the ONNX model or head that the untrusted repository
 * ships. There it resolves against the user's home folder instead.
 */
import { isAbsolute, join, resolve } from 'node:path';

export interface SettingPathContext {
  trusted: boolean;
  /** The first workspace folder's path, if any. */
  workspaceFolder?: string;
  home: string;
}

/** The absolute path a setting value names. `~` and `~/...` are the home folder. */
export function resolveSettingPath(value: string, ctx: SettingPathContext): string {
  const v = value.trim();
  if (v === '~') return ctx.home;
  if (v.startsWith('~/') || v.startsWith('~\\')) return join(ctx.home, v.slice(2));
  if (isAbsolute(v)) return resolve(v);
  const base = ctx.trusted && ctx.workspaceFolder ? ctx.workspaceFolder : ctx.home;
  return resolve(base, v);
}

/** Whether a head setting names a file (a path, `~/...` or a .json file) rather than a head shipped with the model. */
export function isPathSetting(value: string): boolean {
  const v = value.trim();
  return /[\\/]/.test(v) || v.startsWith('~') || /\.json$/i.test(v);
}
