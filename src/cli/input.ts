/**
 * Reading one CLI input (a file, `-` for stdin, a pipe or a FIFO) to end of file with a byte limit. The size never
 * comes from stat() alone: pipes and FIFOs report 0, so they are read to EOF. A FIFO is opened without blocking, and
 * if no writer connects within the wait it is an error rather than a hang. Devices and sockets are refused.
 */
import { closeSync, constants, openSync, readSync, statSync, Stats } from 'node:fs';
import { decodeText } from '../core/text/document';
import { InputError } from '../core/errors';
import type { Common } from './common';

/** Default size limit for one input file (bytes). Larger files are skipped with a notice unless --max-bytes 0. */
export const DEFAULT_MAX_BYTES = 2_000_000;
/** How long to wait for a writer to open a FIFO before giving up. */
export const DEFAULT_FIFO_WAIT_MS = 10_000;

/** A readable input, or the reason it is skipped. `tooLarge` marks a skip for the --max-bytes limit. */
export type Input =
  | { kind: 'text'; name: string; text: string }
  | { kind: 'skip'; name: string; reason: string; tooLarge?: boolean };

export interface ReadOptions {
  /** Byte limit; 0 = none. */
  maxBytes: number;
  warn(message: string): void;
  /** Milliseconds to wait for a FIFO's writer (default 10 s). */
  fifoWaitMs?: number;
}

const CHUNK_BYTES = 1 << 16;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (the CLI reads inputs synchronously). */
function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function tooLarge(name: string, maxBytes: number, size?: number): Input {
  const what = size === undefined ? 'input is over' : `file is ${(size / 1e6).toFixed(1)} MB, over`;
  return {
    kind: 'skip',
    name,
    tooLarge: true,
    reason: `${what} the --max-bytes limit of ${maxBytes} bytes; skipped (pass --max-bytes 0 to score it in windows)`,
  };
}

/**
 * Reads `fd` to EOF, or until more than `limit` bytes (0 = no limit) have arrived. With `waitForWriter` (a FIFO
 * opened non-blocking), EOF before any writer has shown up means "no writer yet": keep polling until `waitMs`.
 */
function readToEof(fd: number, limit: number, name: string, waitForWriter: boolean, waitMs: number): { bytes: Buffer; over: boolean } {
  const chunks: Buffer[] = [];
  let total = 0;
  let writerSeen = !waitForWriter;
  const t0 = Date.now();
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw new InputError(`cannot read ${name}: ${(e as Error).message}`, 'EREAD');
      writerSeen = true; // EAGAIN: a writer holds the pipe open but has not written yet
      sleep(5);
      continue;
    }
    if (n > 0) {
      writerSeen = true;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (limit > 0 && total > limit) return { bytes: Buffer.concat(chunks), over: true };
      continue;
    }
    if (writerSeen) break;
    if (Date.now() - t0 >= waitMs)
      throw new InputError(`${name}: no writer opened the FIFO within ${Math.round(waitMs / 1000)} s`, 'ETIMEDOUT');
    sleep(10);
  }
  return { bytes: Buffer.concat(chunks), over: false };
}

function refuseSpecial(st: Stats, path: string): void {
  if (st.isDirectory()) throw new InputError(`is a folder, not a file: ${path}`, 'EISDIR');
  if (st.isCharacterDevice() || st.isBlockDevice()) throw new InputError(`is a device, not a file: ${path}`, 'BAD_INPUT');
  if (st.isSocket()) throw new InputError(`is a socket, not a file: ${path}`, 'BAD_INPUT');
}

/** Reads the bytes of FILE or `-`, or returns the skip for an input over the limit. */
function readBytes(path: string, name: string, opts: ReadOptions): Input | Buffer {
  const waitMs = opts.fifoWaitMs ?? DEFAULT_FIFO_WAIT_MS;
  if (path === '-') {
    // Whatever stdin is (a pipe, a socket pair from a parent process, a terminal), read it to EOF.
    const r = readToEof(0, opts.maxBytes, name, false, waitMs);
    return r.over ? tooLarge(name, opts.maxBytes) : r.bytes;
  }
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new InputError(`no such file: ${path}`, 'ENOENT');
  }
  refuseSpecial(st, path);
  // A regular file over the limit is skipped without reading it.
  if (st.isFile() && opts.maxBytes > 0 && st.size > opts.maxBytes) return tooLarge(name, opts.maxBytes, st.size);
  const fifo = st.isFIFO();
  let fd: number;
  try {
    fd = openSync(path, fifo ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, 'EREAD');
  }
  try {
    const r = readToEof(fd, opts.maxBytes, name, fifo, waitMs);
    return r.over ? tooLarge(name, opts.maxBytes) : r.bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads FILE or `-` (stdin). Missing paths, folders, devices and sockets throw InputError; empty, whitespace-only,
 * binary and oversized inputs are returned as skipped with a reason; invalid UTF-8 is decoded with U+FFFD and a warning.
 */
export function readInputWith(path: string, opts: ReadOptions): Input {
  const name = path === '-' ? '<stdin>' : path;
  const bytes = readBytes(path, name, opts);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const d = decodeText(bytes);
  if (d.kind === 'empty') return { kind: 'skip', name, reason: 'empty file; nothing to check' };
  if (d.kind === 'binary') return { kind: 'skip', name, reason: 'looks like a binary file; skipped' };
  if (d.invalidUtf8At !== undefined) opts.warn(`${name}: invalid UTF-8 at byte ${d.invalidUtf8At}; bad bytes were replaced with U+FFFD`);
  if (d.text.trim() === '') return { kind: 'skip', name, reason: 'only whitespace; nothing to check' };
  return { kind: 'text', name, text: d.text };
}

/** Reads FILE or `-` with the command's --max-bytes limit. */
export function readInput(path: string, c: Common): Input {
  const maxBytes = c.num('max-bytes', DEFAULT_MAX_BYTES) ?? DEFAULT_MAX_BYTES;
  return readInputWith(path, { maxBytes, warn: (m) => c.out.warn(m) });
}
