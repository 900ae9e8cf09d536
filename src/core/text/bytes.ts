/**
 * UTF-8 / UTF-16 helpers and the GPT-2 byte-level alphabet.
 *
 * Byte-level BPE tokenizers (GPT-2, SmolLM, Qwen, Llama 3, the bundled model) write every byte 0..255 as one printable
 * Unicode character (`bytes_to_unicode` in GPT-2's encoder.py). Inverting that map turns a token string back into the
 * exact UTF-8 bytes it covers.
 */

/** GPT-2's `bytes_to_unicode`: byte value -> the character that stands for it in token strings. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const out = new Array<string>(256);
  for (let i = 0; i < bs.length; i++) out[bs[i]] = String.fromCharCode(cs[i]);
  return out;
}

let unicodeToByteMap: Map<string, number> | undefined;

/** Inverse of {@link bytesToUnicode}: character -> byte value. */
export function unicodeToBytes(): Map<string, number> {
  if (!unicodeToByteMap) {
    unicodeToByteMap = new Map();
    bytesToUnicode().forEach((ch, b) => unicodeToByteMap!.set(ch, b));
  }
  return unicodeToByteMap;
}

/**
 * Decodes a byte-level token string into its bytes. Returns undefined if a character is not part of the byte-level
 * alphabet (the token is not byte-level).
 */
export function byteLevelTokenBytes(token: string): number[] | undefined {
  const map = unicodeToBytes();
  const out: number[] = [];
  for (const ch of token) {
    const b = map.get(ch);
    if (b === undefined) return undefined;
    out.push(b);
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 encoding as the tokenizer sees it (lone surrogates become U+FFFD, 3 bytes). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * For a JS string, returns `byteToUnit`: an Int32Array of length (utf8 byte length + 1) mapping every UTF-8 byte
 * offset to a UTF-16 code-unit offset. Byte offsets that fall inside a multi-byte character map to the END of that
 * character (rounded up), so boundaries stay monotone and never split a surrogate pair.
 */
export function byteToUtf16Map(text: string): Int32Array {
  // First pass: byte length.
  let nbytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) nbytes += 1;
    else if (c < 0x800) nbytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        nbytes += 4;
        i++;
      } else nbytes += 3; // lone high surrogate -> U+FFFD
    } else nbytes += 3; // BMP char, or lone surrogate -> U+FFFD
  }
  const map = new Int32Array(nbytes + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let len: number;
    let units = 1;
    if (c < 0x80) len = 1;
    else if (c < 0x800) len = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      len = 4;
      units = 2;
    } else len = 3;
    map[b] = i;
    for (let k = 1; k < len; k++) map[b + k] = i + units; // inside the char: round up to its end
    b += len;
    i += units - 1;
  }
  map[nbytes] = text.length;
  return map;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** True if the buffer looks like binary data (NUL bytes or many control characters in the first 8 KB). */
export function looksBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 8192);
  if (n === 0) return false;
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 0) return true;
    if (c < 9 || (c > 13 && c < 32) || c === 127) ctrl++;
  }
  return ctrl / n > 0.1;
}

/** Returns the byte offset of the first invalid UTF-8 sequence, or -1 if the buffer is valid UTF-8. */
export function findInvalidUtf8(buf: Uint8Array): number {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return -1;
  } catch {
    // Locate it (slow path, only on error).
    let i = 0;
    while (i < buf.length) {
      const c = buf[i];
      let need = 0;
      if (c < 0x80) need = 0;
      else if (c >= 0xc2 && c <= 0xdf) need = 1;
      else if (c >= 0xe0 && c <= 0xef) need = 2;
      else if (c >= 0xf0 && c <= 0xf4) need = 3;
      else return i;
      for (let k = 1; k <= need; k++) {
        const d = buf[i + k];
        if (d === undefined || (d & 0xc0) !== 0x80) return i;
      }
      i += need + 1;
    }
    return 0;
  }
}
