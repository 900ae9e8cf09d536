/**
 * A check: one rule of the linter. Adding a kind of flag means one file under ./checks and one line in ./registry.
 */
import type { Engine } from '../engine';
import type { Finding, RuleId, Severity } from './finding';
import type { PreparedDocument } from './prepare';
import type { LintSettings } from './settings';

export interface CheckContext {
  engine: Engine;
  settings: LintSettings;
  /** Work shared by the checks of one pass (verified edits are found once for all their kinds). */
  pass: Map<string, Promise<unknown>>;
  /** Per-document results that outlive a pass, keyed by the check (bounded by the linter). */
  cache: Map<string, unknown>;
  signal?: AbortSignal;
  /** Sees every scored candidate edit (margin calibration and evaluation only). */
  onCandidate?: (c: { kind: string; gainBits: number; cost: number; sentence: string; from: string; to: string }) => void;
}

export interface Check {
  id: RuleId;
  /** One sentence for the rule list (SARIF, documentation). */
  description: string;
  defaultSeverity: Severity;
  /** Whether it runs with default settings. */
  enabledByDefault: boolean;
  /** The setting that switches it (editor setting name; the CLI maps its flags to it). */
  setting: string;
  /** Findings in document offsets. */
  run(doc: PreparedDocument, ctx: CheckContext): Promise<Finding[]>;
}

/** Runs `make` once per pass for `key`, sharing the result between checks. */
export function perPass<T>(ctx: CheckContext, key: string, make: () => Promise<T>): Promise<T> {
  let p = ctx.pass.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    ctx.pass.set(key, p);
  }
  return p;
}
