/** A word that needs a capital letter (a weekday, a name). */
import type { Check } from '../check';
import { verifiedEdits } from '../edits/runner';

export const capitalizationCheck: Check = {
  id: 'plausibility/capitalization',
  description: 'A word that needs a capital letter (a weekday, a name).',
  defaultSeverity: 'warning',
  enabledByDefault: true,
  setting: 'plausibility.rules.capitalization',
  run: async (doc, ctx) => (await verifiedEdits(doc, ctx)).filter((f) => f.rule === 'plausibility/capitalization'),
};
