import assert from 'node:assert/strict';
import { Tokenized } from '../../src/core';
import { engine, randomUnicode, rng } from './helpers';

/** Offsets tile the input: no gap, no overlap, slices reproduce the text. */
function assertTiles(t: Tokenized): void {
  const n = t.ids.length;
  assert.equal(t.starts.length, n);
  if (t.text.length === 0) return assert.equal(n, 0);
  assert.ok(n > 0);
  assert.equal(t.starts[0], 0);
  assert.equal(t.ends[n - 1], t.text.length);
  let rebuilt = '';
  for (let i = 0; i < n; i++) {
    assert.ok(t.starts[i] <= t.ends[i], `token ${i} has start > end`);
    if (i > 0) assert.equal(t.starts[i], t.ends[i - 1], `gap/overlap before token ${i}`);
    // never split a surrogate pair
    const c = t.text.charCodeAt(t.starts[i] - 1);
    if (t.starts[i] > 0) assert.ok(!(c >= 0xd800 && c <= 0xdbff && t.starts[i] < t.text.length && t.text.charCodeAt(t.starts[i]) >= 0xdc00 && t.text.charCodeAt(t.starts[i]) <= 0xdfff));
    rebuilt += t.text.slice(t.starts[i], t.ends[i]);
  }
  assert.equal(rebuilt, t.text);
}

describe('tokenizer offsets (real model tokenizer)', () => {
  it('covers plain English exactly, and every non-empty token slice equals its decoded bytes', async () => {
    const e = await engine();
    const text = 'The quick brown fox jumps over the lazy dog. It was 3.14 o\'clock!';
    const t = e.tokenize(text);
    assertTiles(t);
    assert.equal(t.exact, true);
    for (let i = 0; i < t.ids.length; i++) assert.equal(t.text.slice(t.starts[i], t.ends[i]), e.tokenizer.tokenText(t.ids[i]));
  });

  const cases: [string, string][] = [
    ['emoji', 'I love 😀 and 🐈 so much 🎉🎉!'],
    ['ZWJ sequences', 'Family: 👨‍👩‍👧‍👦, coder: 👩‍💻, flag: 🏳️‍🌈.'],
    ['combining marks', 'Cafe\u0301 nai\u0308ve re\u0301sume\u0301 Z\u0351\u0352a\u0300lgo'],
    ['CJK', '我爱自然语言处理。日本語のテキスト、한국어 문장.'],
    ['CRLF', 'Line one.\r\nLine two.\r\n\r\nLine four.\rOld Mac.'],
    ['RTL', 'עברית ועוד, العربية أيضا.'],
    ['lone surrogates', 'broken \ud83d here and \ude00 there'],
    ['NUL and controls', 'a\u0000b\u0007c\u001bd'],
    ['only whitespace', '   \n\t  '],
  ];
  for (const [name, text] of cases) {
    it(`tiles the input: ${name}`, async () => {
      const e = await engine();
      assertTiles(e.tokenize(text));
    });
  }

  it('property: random Unicode strings always tile exactly', async () => {
    const e = await engine();
    const r = rng(12345);
    for (let k = 0; k < 400; k++) assertTiles(e.tokenize(randomUnicode(r, 60)));
  });

  it('empty string has no tokens', async () => {
    const e = await engine();
    assert.equal(e.tokenize('').ids.length, 0);
  });
});
