/**
 * Document helpers: reading files safely (binary / invalid UTF-8 detection), line/column mapping, and splitting very
 * long documents into chunks at paragraph boundaries so they can be scored with bounded memory.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { findInvalidUtf8, looksBinary } from './bytes';
import { InputError } from '../errors';

/** Maps UTF-16 offsets to 0-based line/column (column in UTF-16 code units, as VS Code counts). */
export class LineIndex {
  private readonly lineStarts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }
  /** 0-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.lineStarts[lo] };
  }
}

/** Result of classifying raw file bytes. */
export type DecodedText =
  | { kind: 'text'; text: string; invalidUtf8At?: number }
  | { kind: 'binary' }
  | { kind: 'empty' };

/**
 * Decodes bytes as UTF-8 text. Binary data (NUL bytes or many control characters) is reported as binary. Invalid
 * UTF-8 is decoded with U+FFFD replacement and the first bad offset is reported, so the caller can warn.
 */
export function decodeText(buf: Uint8Array): DecodedText {
  if (buf.length === 0) return { kind: 'empty' };
  if (looksBinary(buf)) return { kind: 'binary' };
  let start = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3; // BOM
  const body = buf.subarray(start);
  const bad = findInvalidUtf8(body);
  const text = new TextDecoder('utf-8').decode(body);
  return bad >= 0 ? { kind: 'text', text, invalidUtf8At: bad + start } : { kind: 'text', text };
}

/**
 * Splits a document into chunks of at most about `maxChars` UTF-16 units, cutting at blank lines, then line breaks,
 * then spaces where possible. Returns chunk start offsets (the last chunk ends at text.length).
 */
export function chunkText(text: string, maxChars: number): number[] {
  const starts = [0];
  let pos = 0;
  while (text.length - pos > maxChars) {
    const limit = pos + maxChars;
    const window = text.slice(pos + Math.floor(maxChars / 2), limit);
    const base = pos + Math.floor(maxChars / 2);
    let cut = -1;
    for (const re of [/\n\s*\n/g, /\n/g, / /g]) {
      let m: RegExpExecArray | null;
      let last = -1;
      re.lastIndex = 0;
      while ((m = re.exec(window))) last = m.index + m[0].length;
      if (last > 0) {
        cut = base + last;
        break;
      }
    }
    if (cut <= pos) cut = limit;
    // Never cut inside a surrogate pair.
    const c = text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut++;
    starts.push(cut);
    pos = cut;
  }
  return starts;
}

/** Reads a whole file with clear errors for missing paths, folders and unreadable files. */
export function readFileChecked(path: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`no such file: ${path}`, 'ENOENT');
  }
  if (st.isDirectory()) throw new InputError(`is a folder, not a file: ${path}`, 'EISDIR');
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(st.size);
      let off = 0;
      while (off < st.size) {
        const n = readSync(fd, buf, off, st.size - off, off);
        if (n <= 0) break;
        off += n;
      }
      return buf.subarray(0, off);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, 'EREAD');
  }
}
