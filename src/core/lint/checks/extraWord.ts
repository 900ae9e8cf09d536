/** A repeated or unnecessary word whose deletion makes the sentence clearly more likely. */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const extraWordCheck: Check = {
  id: 'plausibility/extra-word',
  description: 'A repeated or unnecessary word whose deletion makes the sentence clearly more likely.',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.extraWord',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/extra-word'),
};
