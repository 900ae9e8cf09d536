/** A real word that another word (a near spelling, another form, or the model’s choice) clearly improves. */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const wordChoiceCheck: Check = {
  id: 'plausibility/word-choice',
  description: 'A real word that another word (a near spelling, another form, or the model’s choice) clearly improves.',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.wordChoice',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/word-choice'),
};
