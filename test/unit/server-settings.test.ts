/** The language server's settings, diagnostics and hover text, without a client: defaults, model paths, mapping. */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withDefaults } from '../../src/core/lint/settings';
import type { Finding } from '../../src/core/lint/finding';
import { lspSeverity, toDiagnostic } from '../../src/server/diagnostics';
import { findingAt, hoverText, timesMoreLikely } from '../../src/server/hover';
import { engineKey, normalizeLanguageId, readSettings, resolveModelPath } from '../../src/server/settings';
import { rankParams } from '../../src/server/commands';
import { TextDocument } from 'vscode-languageserver-textdocument';

const BUNDLED = '/opt/plausibility/models/default';

describe('language server settings', () => {
  it('null, {} and malformed answers give the lint defaults and the bundled model', () => {
    for (const v of [null, undefined, {}, 'x', 42, [], { threshold: 'high', dialect: 'fr', languages: 'md', surprise: 3 }]) {
      const s = readSettings(v, BUNDLED);
      assert.deepEqual(s.lint, withDefaults(), JSON.stringify(v));
      assert.equal(s.modelDir, BUNDLED);
      assert.deepEqual(s.executionProviders, ['auto'], 'the schema default: the best provider available, cpu last');
      assert.equal(s.enabled, true);
      assert.deepEqual(s.languages, ['markdown', 'plaintext', 'latex', 'restructuredtext']);
    }
  });

  it('reads nested and dotted keys: surprise.enabled, dialect, threshold, toxicity, disabled rules', () => {
    const nested = readSettings({ surprise: { enabled: true }, dialect: 'en-GB', threshold: 12, disabledRules: ['spelling', 'nonsense'] }, BUNDLED);
    const dotted = readSettings({ 'surprise.enabled': true, dialect: 'en-GB', threshold: 12, disabledRules: ['plausibility/spelling'] }, BUNDLED);
    for (const s of [nested, dotted]) {
      assert.equal(s.lint.surprise.enabled, true);
      assert.equal(s.lint.surprise.thresholdBits, 12);
      assert.equal(s.lint.edits.dialect, 'en-GB');
      assert.deepEqual(s.lint.disabledRules, ['plausibility/spelling']);
    }
    assert.equal(readSettings({ toxicity: { enabled: true, threshold: 0.8 } }).lint.toxicity.enabled, true);
    assert.equal(readSettings({ toxicity: { enabled: true, threshold: 0.8 } }).lint.toxicity.threshold, 0.8);
  });

  it('resolves relative and ~ model paths against the home folder only; bundled means the bundled model', () => {
    assert.equal(resolveModelPath('models/big', BUNDLED), join(homedir(), 'models/big'));
    assert.equal(resolveModelPath('./m', BUNDLED), join(homedir(), 'm'));
    assert.equal(resolveModelPath('~/m/x', BUNDLED), join(homedir(), 'm/x'));
    assert.equal(resolveModelPath('/abs/model', BUNDLED), '/abs/model');
    assert.equal(resolveModelPath('bundled', BUNDLED), BUNDLED);
    assert.equal(resolveModelPath('  ', BUNDLED), BUNDLED);
    assert.equal(resolveModelPath('../../etc', BUNDLED), join(homedir(), '../../etc'));
    assert.notEqual(engineKey(readSettings({ model: 'a' })), engineKey(readSettings({ model: 'b' })));
    assert.equal(engineKey(readSettings({ threshold: 3 })), engineKey(readSettings(null)), 'lint settings do not reload the model');
  });

  it('takes defaults and ranges from the one settings schema: clamps numbers, maps editor severities, off-tag and rewrite settings', () => {
    const s = readSettings({ debounceMs: 99_999, maxFileLength: -5, diagnosticSeverity: 'warning', offTag: { enabled: false, severity: 'error' }, rewrite: { maxNllIncrease: 9 }, severity: { spelling: 'error', 'plausibility/word-order': 'bogus' } });
    assert.equal(s.debounceMs, 10_000);
    assert.equal(s.maxFileLength, 1);
    assert.equal(s.rewrite.maxNllIncrease, 5);
    assert.equal(s.lint.severity['plausibility/word'], 'warning');
    assert.equal(s.lint.severity['plausibility/spelling'], 'error');
    assert.equal(s.lint.severity['plausibility/word-order'], undefined);
    assert.ok(s.lint.disabledRules.includes('plausibility/off-tag'));
    assert.deepEqual(readSettings({ tags: ['fiction', 3, ' news '] }).lint.tags.declared, ['fiction', 'news']);
  });

  it('maps other editors\' language ids to the prose languages', () => {
    assert.equal(normalizeLanguageId('text'), 'plaintext');
    assert.equal(normalizeLanguageId('tex'), 'latex');
    assert.equal(normalizeLanguageId('rst'), 'restructuredtext');
    assert.equal(normalizeLanguageId('markdown'), 'markdown');
    assert.deepEqual(readSettings({ languages: ['text', 'markdown'] }).languages, ['plaintext', 'markdown']);
  });
});

describe('language server diagnostics and hovers', () => {
  const text = 'Great news 🎉! I got a letter form the council.\r\nIt was a beatiful day.';
  const doc = TextDocument.create('file:///x.md', 'markdown', 1, text);
  const at = (s: string) => text.indexOf(s);
  const finding: Finding = {
    rule: 'plausibility/word-choice',
    start: at('form'),
    end: at('form') + 4,
    text: 'form',
    message: 'Did you mean "from"?',
    severity: 'info',
    replacement: 'from',
    suggestions: ['for'],
    data: { gainBits: 22.9 },
  };

  it('turns a finding into a diagnostic: UTF-16 range, code = rule, source plausibility, info = Information', () => {
    const d = toDiagnostic(doc, finding);
    assert.deepEqual(d.range, { start: { line: 0, character: at('form') }, end: { line: 0, character: at('form') + 4 } });
    assert.equal(d.code, 'plausibility/word-choice');
    assert.equal(d.source, 'plausibility');
    assert.equal(d.severity, 3);
    assert.deepEqual([lspSeverity('error'), lspSeverity('warning'), lspSeverity('info'), lspSeverity('hint')], [1, 2, 3, 4]);
    const second = toDiagnostic(doc, { ...finding, start: at('beatiful'), end: at('beatiful') + 8 });
    assert.deepEqual(second.range.start, { line: 1, character: 9 });
  });

  it('hover says how much more likely in words and keeps bits to the details line', () => {
    const md = hoverText(finding, true);
    assert.match(md, /“form” → “from” makes the sentence over a million times more likely/);
    const [body, details] = [md.split('\n\n').slice(0, -1).join('\n\n'), md.split('\n\n').pop()!];
    assert.doesNotMatch(body, /bits/);
    assert.match(details, /gain 22\\\.9 bits/);
    assert.equal(timesMoreLikely(5.3), 'about 39 times');
    assert.equal(timesMoreLikely(12), 'about 4 thousand times');
    assert.match(hoverText(finding, false), /^Plausibility · Did you mean "from"\?/);
    assert.equal(findingAt([finding], at('form') + 2), finding);
    assert.equal(findingAt([finding], at('form') + 4), undefined);
  });

  it('accepts rank arguments as an object or as context and candidates', () => {
    assert.deepEqual(rankParams([{ context: 'a', candidates: [' b'] }]), { context: 'a', candidates: [' b'], perToken: false });
    assert.deepEqual(rankParams(['a', [' b', ' c']]), { context: 'a', candidates: [' b', ' c'], perToken: false });
    assert.throws(() => rankParams(['a', []]));
    assert.throws(() => rankParams([{ candidates: ['x'] }]));
  });
});
