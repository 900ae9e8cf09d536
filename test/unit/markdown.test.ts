import assert from 'node:assert/strict';
import { skipRegions } from '../../src/core';

function skipped(text: string, needle: string): boolean {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `needle ${needle} not in text`);
  return skipRegions(text).some((r) => r.start <= at && at + needle.length <= r.end);
}

describe('markdown skip regions', () => {
  it('skips front matter, fenced code, inline code, URLs and HTML comments', () => {
    const doc = [
      '---',
      'title: Front zebra matter',
      '---',
      '',
      'Prose with `inline quux code` and a link to https://example.com/some/path here.',
      '',
      '```js',
      'const fenced = "walrus";',
      '```',
      '',
      'See [the docs](http://docs.example.org/x) or <https://auto.link/y> or www.example.net/z.',
      '<!-- a comment about narwhals -->',
      'Normal prose continues.',
    ].join('\n');
    assert.ok(skipped(doc, 'Front zebra matter'));
    assert.ok(skipped(doc, 'inline quux code'));
    assert.ok(skipped(doc, 'https://example.com/some/path'));
    assert.ok(skipped(doc, 'const fenced = "walrus";'));
    assert.ok(skipped(doc, 'http://docs.example.org/x'));
    assert.ok(skipped(doc, 'https://auto.link/y'));
    assert.ok(skipped(doc, 'www.example.net/z'));
    assert.ok(skipped(doc, 'a comment about narwhals'));
    assert.ok(!skipped(doc, 'Normal prose continues.'));
    assert.ok(!skipped(doc, 'Prose with'));
    assert.ok(!skipped(doc, 'the docs'));
  });

  it('skips indented code blocks but not indented list continuations', () => {
    const doc = 'Para.\n\n    indented code line\n\nMore prose.\n\n- item\n\n    continued list paragraph\n';
    assert.ok(skipped(doc, 'indented code line'));
    assert.ok(!skipped(doc, 'More prose.'));
    assert.ok(!skipped(doc, 'continued list paragraph'));
  });

  it('honours disable/enable and disable-next-line directives', () => {
    const doc = [
      'Checked one.',
      '<!-- plausibility-disable -->',
      'Unchecked two.',
      '<!-- plausibility-enable -->',
      'Checked three.',
      '<!-- plausibility-disable-next-line -->',
      'Unchecked four.',
      'Checked five.',
      'Unchecked six. <!-- plausibility-disable-line -->',
    ].join('\r\n');
    assert.ok(!skipped(doc, 'Checked one.'));
    assert.ok(skipped(doc, 'Unchecked two.'));
    assert.ok(!skipped(doc, 'Checked three.'));
    assert.ok(skipped(doc, 'Unchecked four.'));
    assert.ok(!skipped(doc, 'Checked five.'));
    assert.ok(skipped(doc, 'Unchecked six.'));
  });

  it('an unclosed fence or disable runs to the end', () => {
    assert.ok(skipped('a\n```\ncode forever', 'code forever'));
    assert.ok(skipped('a\n<!-- plausibility-disable -->\nrest of it', 'rest of it'));
  });
});
