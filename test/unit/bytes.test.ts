import assert from 'node:assert/strict';
import { bytesToUnicode, byteToUtf16Map, decodeText, findInvalidUtf8, looksBinary, unicodeToBytes, utf8Bytes } from '../../src/core';
import { chunkText, LineIndex } from '../../src/core/text/document';
import { randomUnicode, rng } from './helpers';

describe('bytes', () => {
  it('bytes_to_unicode is a bijection onto 256 printable characters', () => {
    const m = bytesToUnicode();
    assert.equal(new Set(m).size, 256);
    assert.equal(m[0x20], 'Ġ');
    assert.equal(m[0x0a], 'Ċ');
    assert.equal(m[0x41], 'A');
    assert.equal(unicodeToBytes().get('Ġ'), 0x20);
  });

  it('byteToUtf16Map maps character starts exactly and rounds inner bytes up', () => {
    const s = 'aé😀中\r\n';
    const m = byteToUtf16Map(s);
    assert.equal(m.length, utf8Bytes(s).length + 1);
    assert.deepEqual(Array.from(m), [0, 1, 2, 2, 4, 4, 4, 4, 5, 5, 5, 6, 7]);
  });

  it('byteToUtf16Map agrees with TextEncoder on random Unicode (incl. lone surrogates)', () => {
    const r = rng(7);
    for (let k = 0; k < 300; k++) {
      let s = randomUnicode(r);
      if (k % 10 === 0) s += '\ud800x\udc00';
      const m = byteToUtf16Map(s);
      assert.equal(m.length - 1, utf8Bytes(s).length);
      for (let i = 1; i < m.length; i++) assert.ok(m[i] >= m[i - 1]);
      assert.equal(m[m.length - 1], s.length);
    }
  });

  it('detects binary data and invalid UTF-8', () => {
    assert.equal(looksBinary(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01])), true);
    assert.equal(looksBinary(utf8Bytes('Hello, world.\n')), false);
    assert.equal(findInvalidUtf8(utf8Bytes('héllo')), -1);
    assert.equal(findInvalidUtf8(Uint8Array.from([0x61, 0xff, 0x62])), 1);
    const d = decodeText(Uint8Array.from([0x61, 0xc3, 0x28]));
    assert.equal(d.kind, 'text');
    assert.equal(d.kind === 'text' && d.invalidUtf8At, 1);
    assert.equal(decodeText(new Uint8Array(0)).kind, 'empty');
  });

  it('LineIndex counts LF, CRLF and CR line breaks in UTF-16 columns', () => {
    const li = new LineIndex('ab\r\ncd\ne😀f\rg');
    assert.deepEqual(li.position(0), { line: 0, column: 0 });
    assert.deepEqual(li.position(4), { line: 1, column: 0 });
    assert.deepEqual(li.position(10), { line: 2, column: 3 });
    assert.deepEqual(li.position(12), { line: 3, column: 0 });
  });

  it('chunkText cuts long text at paragraph boundaries into bounded chunks', () => {
    const para = 'Lorem ipsum dolor sit amet. '.repeat(20) + '\n\n';
    const text = para.repeat(200);
    const starts = chunkText(text, 5000);
    assert.ok(starts.length > 1);
    for (let i = 0; i < starts.length; i++) {
      const end = i + 1 < starts.length ? starts[i + 1] : text.length;
      assert.ok(end - starts[i] <= 5000);
      if (i > 0) assert.equal(text.slice(starts[i] - 2, starts[i]), '\n\n');
    }
  });
});
