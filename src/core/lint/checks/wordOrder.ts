/** Two neighbouring words whose swap makes the sentence clearly more likely. */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const wordOrderCheck: Check = {
  id: 'plausibility/word-order',
  description: 'Two neighbouring words whose swap makes the sentence clearly more likely.',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.wordOrder',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/word-order'),
};
