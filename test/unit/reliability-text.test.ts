/** Front matter and line counting defects from issue 22, item 10. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { declaredCondition, parseFrontMatter, splitKey } from '../../src/core/text/frontmatter';
import { languageOfPath, normalizeLanguageId } from '../../src/core/text/languages';
import { onnxPath } from '../../src/core/model/config';
import { numericSpec } from '../../src/cli/options';

describe('reliability: front matter', function () {
  // A quadratic parser needs minutes on a 1 MB line; a linear one milliseconds. The bound is mocha's generous timeout.
  this.timeout(60_000);

  it('keys named like Object members are ordinary keys, not duplicates, and the tags survive', () => {
    const doc = '---\nconstructor: a\ntoString: b\n__proto__: c\nhasOwnProperty: d\ntags: [news, sport]\nflow: {constructor: 1, __proto__: 2}\n---\nBody.\n';
    const fm = parseFrontMatter(doc);
    assert.ok(fm);
    assert.equal(Object.getPrototypeOf(fm.data), Object.prototype);
    assert.ok(Object.prototype.hasOwnProperty.call(fm.data, '__proto__'));
    assert.equal(fm.data['constructor'], 'a');
    assert.equal(fm.data['toString'], 'b');
    const flow = fm.data['flow'] as Record<string, unknown>;
    assert.ok(Object.prototype.hasOwnProperty.call(flow, '__proto__'));
    assert.deepEqual(declaredCondition(doc)?.tags, ['news', 'sport']);
    assert.throws(() => parseFrontMatter('---\nconstructor: a\nconstructor: b\n---\n'), /duplicate key "constructor"/);
  });

  it('names like Object members are not found on Object.prototype by any lookup table', () => {
    for (const k of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.equal(normalizeLanguageId(k), k);
      assert.equal(numericSpec(k), undefined);
      assert.equal(numericSpec(k, k), undefined);
      assert.equal(onnxPath('m', k), join('m', 'onnx', k));
    }
    assert.equal(languageOfPath('notes.constructor'), 'markdown');
    assert.equal(languageOfPath('notes.txt'), 'plaintext');
  });

  it('a 1 MB line of spaces, with and without a colon, parses', () => {
    for (const line of ['a' + ' '.repeat(1_000_000) + 'b', 'a' + ' '.repeat(1_000_000) + ':x', 'k: ' + 'v '.repeat(500_000)]) {
      try {
        parseFrontMatter(`---\n${line}\n---\nbody\n`);
      } catch (e) {
        assert.match((e as Error).message, /key: value|expected/);
      }
    }
    assert.deepEqual(splitKey('"a: b" : c'), { key: 'a: b', rest: 'c' });
    assert.deepEqual(splitKey('title:   The   end'), { key: 'title', rest: 'The   end' });
    assert.deepEqual(splitKey('url: http://x'), { key: 'url', rest: 'http://x' });
    assert.equal(splitKey('a:b'), undefined);
    assert.equal(splitKey(':x'), undefined);
  });
});

describe('reliability: rewrite --line counts lines as lint does', () => {
  it('CR-only, CRLF and LF line ends give the same offsets as LineIndex', async () => {
    const { offsetOf } = await import('../../src/cli/rewrite');
    const { LineIndex } = await import('../../src/core/text/document');
    for (const text of ['one\rtwo\rthree words', 'one\r\ntwo\r\nthree words', 'one\ntwo\nthree words', 'one\r\rtwo\n\r\nthree words']) {
      const at = text.indexOf('words');
      const p = new LineIndex(text).position(at);
      assert.equal(offsetOf(text, p.line + 1, p.column + 1), at, JSON.stringify(text));
    }
    assert.throws(() => offsetOf('a\rb', 3, 1), /past the end/);
  });
});
