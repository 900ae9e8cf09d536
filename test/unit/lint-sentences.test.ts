/** The one sentence splitter: soft line breaks are spaces; blank lines, headings and list items end sentences. */
import assert from 'node:assert/strict';
import { splitSentences } from '../../src/core/text/sentences';

const texts = (t: string) => splitSentences(t).map((r) => t.slice(r.start, r.end));

describe('sentences: the shared splitter', () => {
  it('splits at sentence-final punctuation followed by space and a capital', () => {
    assert.deepEqual(texts('The cat sat. The dog ran! Did it? Yes.'), ['The cat sat.', 'The dog ran!', 'Did it?', 'Yes.']);
  });
  it('reads a soft line break inside a paragraph as a space', () => {
    assert.deepEqual(texts('Their is still one\nproblem with it. Next one.'), ['Their is still one\nproblem with it.', 'Next one.']);
  });
  it('ends a sentence at a blank line, a heading or a list item', () => {
    assert.deepEqual(texts('# Notes\nSome text here\n\nAnother paragraph\n- item one\n- item two'), [
      '# Notes',
      'Some text here',
      'Another paragraph',
      '- item one',
      '- item two',
    ]);
  });
  it('keeps abbreviations, decimals and closing quotes inside the sentence', () => {
    assert.deepEqual(texts('It costs 3.5 dollars, e.g. for tea. "Go home." She left.'), ['It costs 3.5 dollars, e.g. for tea.', '"Go home."', 'She left.']);
  });
  it('is linear: a long run of punctuation and newlines splits quickly and exactly', () => {
    const t = '.'.repeat(200_000) + '\n'.repeat(200_000);
    assert.equal(splitSentences(t).length, 1);
  });
});
