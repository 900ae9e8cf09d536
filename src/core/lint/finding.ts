/**
 * The one finding type every front end shows: the CLI's text, JSON and SARIF, the language server's diagnostics and
 * the editor's hovers and quick fixes all read this.
 */

/** Severity, as LSP names it (the CLI prints `info` for information). */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** Rule ids: a finding's `rule` and a diagnostic's `code`. */
export const RULES = {
  spelling: 'plausibility/spelling',
  wordChoice: 'plausibility/word-choice',
  missingWord: 'plausibility/missing-word',
  extraWord: 'plausibility/extra-word',
  wordOrder: 'plausibility/word-order',
  capitalization: 'plausibility/capitalization',
  word: 'plausibility/word',
  phrase: 'plausibility/phrase',
  frontMatter: 'plausibility/front-matter',
  toxicity: 'plausibility/toxicity',
  offTag: 'plausibility/off-tag',
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES] | string;

/** Numbers behind a finding, for the hover's details and the token report (never in the message). */
export interface FindingData {
  /** How much more likely the edit makes the sentence, in bits (verified edits). */
  gainBits?: number;
  /** The sentence with the edit applied (verified edits). */
  edited?: string;
  /** Surprisal of the span in bits, its threshold, and how far above (surprise flags). */
  bits?: number;
  threshold?: number;
  score?: number;
  /** Surprise flags: word or phrase. */
  kind?: 'word' | 'phrase';
}

export interface Finding {
  rule: RuleId;
  /** UTF-16 offsets into the document, [start, end). */
  start: number;
  end: number;
  text: string;
  /** Plain words: what is wrong, and the fix. */
  message: string;
  severity: Severity;
  /** The best fix for [start, end); "" deletes it; absent when there is no fix. */
  replacement?: string;
  /** Other whole-word or whole-phrase alternatives for [start, end), best first. */
  suggestions: string[];
  data: FindingData;
}

/** Findings in document order (start, then end, then rule). */
export function sortFindings(fs: Finding[]): Finding[] {
  return fs.sort((a, b) => a.start - b.start || a.end - b.end || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}
