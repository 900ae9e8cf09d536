/**
 * Verification: an edit becomes a finding only when the edited sentence is more likely than the original, under the
 * model and with the text on both sides of the edit, by more than a calibrated margin in bits for its kind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../engine';
import { continuationLogprobs } from '../../scoring/candidates';
import type { Edit, EditKind } from './proposals';

export type Margins = Record<EditKind, number>;

/**
 * Margins for models that ship none (verify_margins.json). Bits: 10 bits means the edited sentence is about a
 * thousand times more likely.
 */
export const DEFAULT_MARGINS: Margins = {
  spelling: 6,
  'word-choice': 10,
  inflection: 10,
  agreement: 10,
  'noun-number': 10,
  article: 6,
  preposition: 10,
  'function-word': 10,
  confusable: 6,
  'missing-word': 10,
  'missing-preposition': 10,
  'extra-word': 16,
  'repeated-word': 5,
  'word-order': 10,
  'adverb-position': 10,
  capitalization: 4,
};

export const MARGINS_FILE = 'verify_margins.json';

/** Kinds split off an older kind: their candidates were calibrated under that kind's margin. */
const SPLIT_FROM: Partial<Record<EditKind, EditKind>> = { inflection: 'word-choice', agreement: 'inflection', 'function-word': 'word-choice' };

/** The model folder's margins, falling back to the defaults per kind. */
export function readMargins(modelDir: string): Margins {
  const p = join(modelDir, MARGINS_FILE);
  const out = { ...DEFAULT_MARGINS };
  if (!existsSync(p)) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return out;
  }
  const m = (raw as { margins?: Record<string, unknown> } | null)?.margins;
  if (!m || typeof m !== 'object') return out;
  const valid = (k: string) => typeof m[k] === 'number' && Number.isFinite(m[k]);
  for (const k of Object.keys(out) as EditKind[]) {
    // A file calibrated before a kind was split off keeps the margin it calibrated for the kind's candidates.
    const from = valid(k) ? k : SPLIT_FROM[k] && valid(SPLIT_FROM[k]!) ? SPLIT_FROM[k]! : undefined;
    if (from) out[k] = m[from] as number;
  }
  return out;
}

export interface ScoredEdit extends Edit {
  gainBits: number;
}

/** Log-probabilities (nats) of sentence variants after the same left context. */
async function sentenceLogprobs(e: Engine, context: string, variants: string[]): Promise<number[]> {
  // The whitespace between context and sentence belongs to the sentence's first token, as in running text.
  const trimmed = context.replace(/\s+$/, '');
  const sep = trimmed ? (/\n\s*\n\s*$/.test(context) ? '\n\n' : ' ') : '';
  return continuationLogprobs(e, trimmed, variants.map((t) => sep + t));
}

/** The sentence with non-overlapping edits applied. */
function applyAll(sentence: string, edits: Edit[]): string {
  let out = sentence;
  for (const x of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, x.start) + x.replacement + out.slice(x.end);
  return out;
}

/** How much more likely (bits) each edit makes the sentence, given the text before it. */
export async function scoreEdits(e: Engine, context: string, sentence: string, edits: Edit[]): Promise<ScoredEdit[]> {
  if (edits.length === 0) return [];
  const lps = await sentenceLogprobs(e, context, [sentence, ...edits.map((x) => applyAll(sentence, [x]))]);
  return edits.map((x, i) => ({ ...x, gainBits: (lps[i + 1] - lps[0]) / Math.LN2 }));
}

/** Bits by which an edit clears its kind's margin (and its own cost); it passes when positive. */
function excessBits(s: ScoredEdit, margins: Margins): number {
  return s.gainBits - s.cost - margins[s.kind];
}

/** The edits that pass their margin, best first, without overlapping finding ranges. */
export function acceptEdits(scored: ScoredEdit[], margins: Margins): { edit: ScoredEdit; others: ScoredEdit[] }[] {
  // Where edits overlap, the one that clears its own kind's margin by most wins: margins say how far each kind's
  // gains can be trusted ("your" -> "you're" over deleting "your").
  const passing = scored.filter((s) => excessBits(s, margins) > 0).sort((a, b) => excessBits(b, margins) - excessBits(a, margins));
  const out: { edit: ScoredEdit; others: ScoredEdit[] }[] = [];
  for (const p of passing) {
    if (out.some((o) => p.flagStart < o.edit.flagEnd && o.edit.flagStart < p.flagEnd)) continue;
    // Other fixes of the same range that also make the sentence more likely, best first.
    const others = scored
      .filter((s) => s !== p && s.flagStart === p.flagStart && s.flagEnd === p.flagEnd && s.gainBits > 0)
      .sort((a, b) => b.gainBits - a.gainBits);
    out.push({ edit: p, others });
  }
  return out;
}

/**
 * Accepted edits of one sentence that still pass their margin with the better ones applied: two fixes of one slip
 * ("The new policy have" -> "policies" and "has") each win alone, but applied together they break the sentence again.
 */
export async function confirmTogether(
  e: Engine,
  context: string,
  sentence: string,
  accepted: { edit: ScoredEdit; others: ScoredEdit[] }[],
  margins: Margins,
): Promise<{ edit: ScoredEdit; others: ScoredEdit[] }[]> {
  if (accepted.length < 2) return accepted;
  const kept = [accepted[0]];
  for (const a of accepted.slice(1)) {
    const before = kept.map((k) => k.edit);
    const [without, withIt] = await sentenceLogprobs(e, context, [applyAll(sentence, before), applyAll(sentence, [...before, a.edit])]);
    if (excessBits({ ...a.edit, gainBits: (withIt - without) / Math.LN2 }, margins) > 0) kept.push(a);
  }
  return kept;
}
