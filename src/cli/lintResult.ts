/** What `plausibility lint` reports per file (JSON and SARIF share it). */
import type { Severity } from '../core/lint/finding';

/** One finding in a file, as `lint --format json` prints it. Lines and columns are 1-based (UTF-16 columns). */
export interface FileFinding {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based UTF-16 offsets [start, end). */
  start: number;
  end: number;
  text: string;
  rule: string;
  severity: Severity;
  message: string;
  /** The best fix for [start, end) ("" deletes it); null when there is none. */
  replacement: string | null;
  /** How much more likely the fix makes the sentence, in bits (verified edits); null otherwise. */
  gain_bits: number | null;
  suggestions: string[];
  /** Surprise flags only: word or phrase, surprisal in bits and the threshold it passed. */
  kind?: 'word' | 'phrase';
  bits?: number;
  threshold?: number;
}

/** @deprecated name kept for importers: one finding in a file. */
export type Finding = FileFinding;

/** Lint result for one file. */
export interface FileResult {
  path: string;
  findings: FileFinding[];
  skipped?: string;
  error?: string;
}

