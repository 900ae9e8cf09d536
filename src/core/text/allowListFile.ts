/**
 * Appending a phrase to a workspace's allow-list file, without the VS Code API so it can be tested. A cloned
 * repository controls that path: it can make the file (or `.vscode`) a symlink to `~/.bashrc`, or a hard link, or a
 * FIFO. So links and non-regular files are refused, the file is read without following links, and the new content
 * is written to a fresh temporary file and renamed into place (rename replaces the directory entry, never a link's
 * target). Nothing is written for an untrusted workspace.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseAllowList } from '../lint/describe';

export const ALLOW_LIST_DIR = '.vscode';
export const ALLOW_LIST_FILE = 'plausibility-allow.txt';
const HEADER = '# Phrases Plausibility never flags in this workspace, one per line.\n';
/** An allow-list larger than this is not a hand-kept list of phrases; refuse rather than read it all. */
const MAX_ALLOW_LIST_BYTES = 1 << 20;

export class AllowListError extends Error {}

/**
 * A folder's allow-list phrases with the file's mtime (for callers that cache), or undefined when it has none that
 * may be read: only a regular file under the size limit counts, never a link or a FIFO.
 */
export function readAllowList(folder: string): { phrases: Set<string>; mtimeMs: number } | undefined {
  const file = join(folder, ALLOW_LIST_DIR, ALLOW_LIST_FILE);
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size > MAX_ALLOW_LIST_BYTES) return undefined;
    return { phrases: parseAllowList(readFileSync(file, 'utf8')), mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Reads the existing allow-list, refusing links and anything but a regular file; '' when there is none. */
function readExisting(file: string): string {
  const st = lstatOrUndefined(file);
  if (!st) return '';
  if (st.isSymbolicLink()) throw new AllowListError(`${file} is a symbolic link; refusing to write through it`);
  if (!st.isFile()) throw new AllowListError(`${file} is not a regular file`);
  if (st.nlink > 1) throw new AllowListError(`${file} has other hard links; refusing to change it`);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile() || fst.ino !== st.ino) throw new AllowListError(`${file} changed while it was being read`);
    if (fst.size > MAX_ALLOW_LIST_BYTES) throw new AllowListError(`${file} is over ${MAX_ALLOW_LIST_BYTES} bytes`);
    const buf = Buffer.alloc(fst.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n <= 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends `phrase` (whitespace collapsed) to `<folder>/.vscode/plausibility-allow.txt`; returns the line written.
 * Throws AllowListError when the workspace is untrusted or the path is a link or not a regular file.
 */
export function appendToAllowList(folder: string, phrase: string, opts: { trusted: boolean }): string {
  if (!opts.trusted) throw new AllowListError('the workspace is not trusted; the allow-list is not changed');
  const line = phrase.replace(/\s+/g, ' ').trim();
  if (!line) throw new AllowListError('an empty phrase');
  const dir = join(folder, ALLOW_LIST_DIR);
  const dst = lstatOrUndefined(dir);
  if (!dst) mkdirSync(dir);
  else if (dst.isSymbolicLink() || !dst.isDirectory()) throw new AllowListError(`${dir} is not a plain folder; refusing to write in it`);
  const file = join(dir, ALLOW_LIST_FILE);
  const current = readExisting(file) || HEADER;
  const next = current + (current.endsWith('\n') ? '' : '\n') + line + '\n';
  const tmp = join(dir, `.${ALLOW_LIST_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: the temporary name must not exist, so a planted link there is never followed.
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, next);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return line;
}
