/** A non-word whose dictionary correction makes the sentence clearly more likely. */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const spellingCheck: Check = {
  id: 'plausibility/spelling',
  description: 'A non-word whose dictionary correction makes the sentence clearly more likely.',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.spelling',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/spelling'),
};
