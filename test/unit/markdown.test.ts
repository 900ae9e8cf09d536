import assert from 'node:assert/strict';
import { skipRegions } from '../../src/core';
import { inlineCodeStandIns, inlineMarkup, readableText, readingMarkup, readingView } from '../../src/core/text/readingView';

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

describe('reading view (what the verifier reads)', () => {
  it('drops inline markup and reads each whitespace run as one space', () => {
    const text = 'See [the docs](https://x.org/a "The docs, a title") or `npm ci`, **bold** and _em_ text,\n   a\\* star <sup>2</sup> and ![logo](l.png).';
    const v = readingView(text, inlineMarkup(text), inlineCodeStandIns(text));
    assert.equal(v.text, 'See the docs or "...", bold and em text, a* star 2 and .');
    assert.ok(v.isMarkup(text.indexOf('[')) && !v.isMarkup(text.indexOf('`')));
    // Code is read as one name, and no edit may change it.
    const x = v.text.indexOf('"...');
    assert.equal(v.toOriginal(x + 1, x + 2), undefined);
    assert.deepEqual(v.toOriginal(x - 3, x - 1), [text.indexOf('or `'), text.indexOf('or `') + 2]);
  });

  it('keeps list bullets, snake_case, arithmetic and reference links as a reader reads them', () => {
    for (const [text, read] of [
      ['* an item with no_dupes set', '* an item with no_dupes set'],
      ['2 * 3 is six', '2 * 3 is six'],
      ['read [the guide][guide] first', 'read the guide first'],
      ['[![build status][travis-image]][travis-url] passes', '[ passes'],
    ]) assert.equal(readingView(text, inlineMarkup(text)).text, read);
  });

  it('maps ranges back to the text as written and refuses one that would take markup with it', () => {
    const text = 'It was a *beatiful*   day.';
    const v = readingView(text, inlineMarkup(text));
    assert.equal(v.text, 'It was a beatiful day.');
    const at = v.text.indexOf('beatiful');
    assert.deepEqual(v.toOriginal(at, at + 8), [10, 18]);
    assert.equal(text.slice(10, 18), 'beatiful');
    assert.equal(v.toView(10), at);
    // "beatiful day" in the view: the original range holds the closing mark, so no edit may replace it.
    assert.equal(v.toOriginal(at, at + 12), undefined);
    assert.deepEqual(v.toOriginal(at + 8, at + 12), [19, 25]);
    // Whitespace runs: deleting " day" maps to the three spaces and the word.
    const plain = readingView('a big   day');
    assert.equal(plain.text, 'a big day');
    assert.deepEqual(plain.toOriginal(5, 9), [5, 11]);
  });

  it('reads the text before a sentence with its line breaks', () => {
    assert.equal(readableText('A **b**  c.\n\nNext  [d](u) and `e*f*`.', 'markdown'), 'A b c.\n\nNext d and "e*f*".');
    assert.equal(readableText('A **b**  c.'), 'A **b** c.');
  });

  it('reads reStructuredText: literals and roles as quoted names, references as their text, emphasis unmarked', () => {
    const text = 'Call :func:`open() <open>` or ``io.open``, see `the tutorial <https://x.org/t>`_ and *really* `PEP 8`_ now.';
    const { drop, standIns } = readingMarkup(text, 'restructuredtext');
    assert.equal(readingView(text, drop, standIns).text, 'Call "open()" or "io.open", see the tutorial and really PEP 8 now.');
    // Literals and roles are never flagged.
    const skips = skipRegions(text, { markdown: false, rst: true });
    assert.ok(skips.some((r) => text.slice(r.start, r.end) === ':func:`open() <open>`'));
    assert.ok(skips.some((r) => text.slice(r.start, r.end) === '``io.open``'));
    const wrapped = 'you write ``val = (yield i)\n+ 12``.';
    assert.ok(skipRegions(wrapped, { markdown: false, rst: true }).some((r) => wrapped.slice(r.start, r.end).endsWith('12``')));
  });

  it('skips the short cells of a table, not its prose cells', () => {
    const doc = '| name | licence |\n|---|---|\n| aom | BSD 2-Clause |\n| cgif | This library is released under the MIT licence. |\n';
    assert.ok(skipped(doc, 'aom'));
    assert.ok(skipped(doc, 'BSD 2-Clause'));
    assert.ok(!skipped(doc, 'This library is released'));
  });
});
