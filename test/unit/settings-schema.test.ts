/** One settings schema: package.json's contributed settings and untrusted-workspace restrictions agree with it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidationOf, SETTINGS } from '../../src/core/settings/schema';
import { ROOT } from './helpers';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const contributed: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;

describe('settings schema', () => {
  it('lists exactly the settings package.json contributes, with the same types, defaults and ranges', () => {
    assert.deepEqual(Object.keys(contributed).sort(), Object.keys(SETTINGS).sort());
    for (const [key, spec] of Object.entries(SETTINGS)) {
      const c = contributed[key];
      const type = Array.isArray(c.type) ? (c.type as string[]).join('|') : c.type;
      assert.equal(type, spec.type, `${key}: type`);
      assert.deepEqual(c.default, spec.default, `${key}: default`);
      assert.deepEqual(c.enum, spec.enum ? [...spec.enum] : undefined, `${key}: enum`);
      assert.equal(c.minimum, spec.minimum, `${key}: minimum`);
      assert.equal(c.maximum, spec.maximum, `${key}: maximum`);
    }
  });

  it('restricts in untrusted workspaces exactly the settings the schema marks', () => {
    const restricted = Object.entries(SETTINGS).filter(([, s]) => s.restricted).map(([k]) => k).sort();
    assert.deepEqual([...pkg.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), restricted);
  });

  it('a change invalidates the most its settings need', () => {
    assert.equal(invalidationOf((k) => k === 'plausibility.heatmap'), 'republish');
    assert.equal(invalidationOf((k) => k === 'plausibility.heatmap' || k === 'plausibility.dialect'), 'rescore');
    assert.equal(invalidationOf((k) => k === 'plausibility.model' || k === 'plausibility.dialect'), 'reload');
    assert.equal(invalidationOf(() => false), undefined);
  });
});
