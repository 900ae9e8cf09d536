/** A word far more surprising than the model's calibrated threshold (off by default). */
import type { Check } from '../check';
import { surpriseFindings } from './surprise';

export const surpriseWordCheck: Check = {
  id: 'plausibility/word',
  description: 'A word the model finds implausible in its context (surprisal above the calibrated threshold).',
  defaultSeverity: 'info',
  enabledByDefault: false,
  setting: 'plausibility.surprise.enabled',
  run: async (doc, ctx) => (await surpriseFindings(doc, ctx)).filter((f) => f.rule === 'plausibility/word'),
};
