/** A run of words whose mean surprisal is far above typical (off by default). */
import type { Check } from '../check';
import { surpriseFindings } from './surprise';

export const surprisePhraseCheck: Check = {
  id: 'plausibility/phrase',
  description: 'A run of words the model finds implausible together (mean surprisal far above typical).',
  defaultSeverity: 'info',
  enabledByDefault: false,
  setting: 'plausibility.surprise.enabled',
  run: async (doc, ctx) => (await surpriseFindings(doc, ctx)).filter((f) => f.rule === 'plausibility/phrase'),
};
