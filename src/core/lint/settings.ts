/** Settings of the lint pipeline: the same defaults for `plausibility lint`, the language server and the editor. */
import type { Dialect } from './edits/lexicon';
import type { Severity } from './finding';

export interface LintSettings {
  /** Rule ids switched off (every check can be turned off on its own). */
  disabledRules: string[];
  /** Per-rule severity overrides. */
  severity: Record<string, Severity>;
  /** Raw surprisal flags (plausibility/word, plausibility/phrase): off by default, since a surprising word is not an error. */
  surprise: {
    enabled: boolean;
    /** Absolute threshold in bits; undefined uses the model's calibration. */
    thresholdBits?: number;
    /** Percentile of the model's surprisal used as threshold (default "99"). */
    percentile?: string;
    /** Threshold source: the model's surprisal_stats.json (default) or the document's own distribution. */
    calibration?: 'model' | 'document';
  };
  /** Tags a document is declared to be written in (front matter wins; this is the editor setting). */
  tags: { declared: string[] };
  /** The toxicity check (off by default). */
  toxicity: {
    enabled: boolean;
    /** A head name under the model's discriminators/ folder, or a head file. */
    head: string;
    /** Decision threshold on p(toxic); undefined uses the head's calibrated threshold. */
    threshold?: number;
  };
  edits: {
    /** The writer's dialect (its dictionary proposes spellings). */
    dialect: Dialect;
    /** Accept the other dialect's spellings. */
    acceptOtherDialects: boolean;
    /** Words above this percentile of the model's surprisal are examined for real-word errors. */
    prefilterPercentile: number;
  };
}

export const DEFAULT_LINT_SETTINGS: LintSettings = {
  disabledRules: [],
  severity: {},
  surprise: { enabled: false },
  tags: { declared: [] },
  toxicity: { enabled: false, head: 'toxicity' },
  edits: { dialect: 'en-US', acceptOtherDialects: true, prefilterPercentile: 90 },
};

/** Settings with every missing field taken from the defaults. */
export function withDefaults(s: Partial<LintSettings> = {}): LintSettings {
  return {
    disabledRules: s.disabledRules ?? [],
    severity: { ...(s.severity ?? {}) },
    surprise: { ...DEFAULT_LINT_SETTINGS.surprise, ...(s.surprise ?? {}) },
    tags: { ...DEFAULT_LINT_SETTINGS.tags, ...(s.tags ?? {}) },
    toxicity: { ...DEFAULT_LINT_SETTINGS.toxicity, ...(s.toxicity ?? {}) },
    edits: { ...DEFAULT_LINT_SETTINGS.edits, ...(s.edits ?? {}) },
  };
}

/** A stable key of the settings that change findings (part of the findings cache keys). */
export function settingsKey(s: LintSettings): string {
  return JSON.stringify([s.disabledRules.slice().sort(), s.surprise, s.edits, s.toxicity, s.tags]);
}
