/** Every check of the linter. A new kind of flag is one file in ./checks and one line here. */
import type { Check } from './check';
import { capitalizationCheck } from './checks/capitalization';
import { extraWordCheck } from './checks/extraWord';
import { frontMatterCheck } from './checks/frontMatter';
import { missingWordCheck } from './checks/missingWord';
import { offTagCheck } from './checks/offTag';
import { spellingCheck } from './checks/spelling';
import { surprisePhraseCheck } from './checks/surprisePhrase';
import { surpriseWordCheck } from './checks/surpriseWord';
import { toxicityCheck } from './checks/toxicity';
import { wordChoiceCheck } from './checks/wordChoice';
import { wordOrderCheck } from './checks/wordOrder';
import type { LintSettings } from './settings';

export const CHECKS: readonly Check[] = [
  spellingCheck,
  wordChoiceCheck,
  missingWordCheck,
  extraWordCheck,
  wordOrderCheck,
  capitalizationCheck,
  frontMatterCheck,
  offTagCheck,
  surpriseWordCheck,
  surprisePhraseCheck,
  toxicityCheck,
];

/** Whether a check runs under these settings. */
export function isEnabled(c: Check, s: LintSettings): boolean {
  if (s.disabledRules.includes(c.id)) return false;
  if (c.setting === 'plausibility.surprise.enabled') return s.surprise.enabled;
  if (c.setting === 'plausibility.toxicity.enabled') return s.toxicity.enabled;
  return c.enabledByDefault;
}

export function enabledChecks(s: LintSettings): Check[] {
  return CHECKS.filter((c) => isEnabled(c, s));
}
