/** Plain-words messages for verified edits (the numbers go to the hover's details). */
import type { Finding } from '../finding';
import type { ScoredEdit } from './verify';

function quote(s: string): string {
  return `"${s.replace(/\s+/g, ' ').trim()}"`;
}

/** The message names the words as written, so a Problems list reads on its own. */
export function editMessage(e: ScoredEdit, original: string): string {
  switch (e.kind) {
    case 'spelling':
      return `Possible spelling mistake: ${quote(original)}. Did you mean ${quote(e.flagReplacement)}?`;
    case 'capitalization':
      return `${quote(original)} needs a capital letter: ${quote(e.flagReplacement)}`;
    case 'missing-word':
    case 'missing-preposition':
      return `A word may be missing here: ${quote(e.replacement)}`;
    case 'repeated-word':
      return `Repeated word ${quote(original)}`;
    case 'extra-word':
      return `This word may be unnecessary: ${quote(original)}`;
    case 'agreement':
      return `${quote(original)} does not agree with its subject: did you mean ${quote(e.flagReplacement)}?`;
    case 'noun-number':
      return `${quote(original)} does not agree with the words before it: did you mean ${quote(e.flagReplacement)}?`;
    case 'inflection':
      return `Check the form of ${quote(original)} (agreement or tense): did you mean ${quote(e.flagReplacement)}?`;
    default:
      return `Did you mean ${quote(e.flagReplacement)} instead of ${quote(original)}?`;
  }
}

/** A finding from an accepted edit, in sentence offsets. */
export function editFinding(e: ScoredEdit, others: ScoredEdit[], sentence: string, rule: string): Finding {
  const original = sentence.slice(e.flagStart, e.flagEnd);
  const edited = sentence.slice(0, e.start) + e.replacement + sentence.slice(e.end);
  const msg = editMessage(e, original);
  return {
    rule,
    start: e.flagStart,
    end: e.flagEnd,
    text: original,
    message: msg,
    severity: 'warning',
    replacement: e.flagReplacement,
    suggestions: [...new Set(others.map((o) => o.flagReplacement).filter((r) => r !== e.flagReplacement))].slice(0, 4),
    data: { gainBits: Math.round(e.gainBits * 10) / 10, edited },
  };
}
