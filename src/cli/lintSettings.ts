/** `plausibility lint`'s flags as the pipeline's settings (the editor maps its settings to the same type). */
import { PlausibilityError } from '../core/errors';
import { CHECKS } from '../core/lint/registry';
import { LintSettings, withDefaults } from '../core/lint/settings';
import { languageOfPath } from '../core/text/languages';
import type { Common } from './common';

export function lintSettingsFromFlags(c: Common): LintSettings {
  const o = c.args.options;
  const s = withDefaults();
  s.surprise.enabled = o.has('surprise');
  s.toxicity.enabled = o.has('toxicity');
  s.surprise.thresholdBits = c.num('threshold');
  const pct = c.num('percentile');
  if (pct !== undefined) s.surprise.percentile = String(pct);
  const cal = o.get('calibration');
  if (cal !== undefined && cal !== 'model' && cal !== 'document')
    throw new PlausibilityError('--calibration must be model or document', 'USAGE');
  if (cal === 'document') s.surprise.calibration = 'document';
  const dialect = o.get('dialect');
  if (dialect !== undefined) {
    if (dialect !== 'en-US' && dialect !== 'en-GB') throw new PlausibilityError('--dialect must be en-US or en-GB', 'USAGE');
    s.edits.dialect = dialect;
  }
  if (o.has('only-dialect')) s.edits.acceptOtherDialects = false;
  const disable = o.get('disable');
  if (typeof disable === 'string') {
    const known = new Set(CHECKS.map((k) => k.id));
    for (const raw of disable.split(',')) {
      const id = raw.trim().startsWith('plausibility/') ? raw.trim() : `plausibility/${raw.trim()}`;
      if (!known.has(id)) throw new PlausibilityError(`--disable: unknown rule "${raw}" (rules: ${[...known].join(', ')})`, 'USAGE');
      s.disabledRules.push(id);
    }
  }
  return s;
}

/** The editor's language id for a file lint reads (standard input and unknown extensions: Markdown). */
export function languageOf(path: string, c: Common): string {
  if (c.args.options.has('no-markdown')) return 'plaintext';
  return languageOfPath(path);
}
