/** A gap where inserting a word makes the sentence clearly more likely. */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const missingWordCheck: Check = {
  id: 'plausibility/missing-word',
  description: 'A gap where inserting a word makes the sentence clearly more likely.',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.missingWord',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/missing-word'),
};
