/**
 * Which documents are not scored at all: longer than the `plausibility.maxFileLength` setting, binary (NUL
 * characters), or with a line so long that it is minified data rather than prose. The extension shows the reason in
 * the status bar instead of findings. O(n) in the document with no allocation proportional to it, so a 10 MB
 * document costs a few milliseconds to turn away.
 *
 * No `vscode` import (unit-tested, and shared with the benchmarks).
 */
import { looksBinaryOrHugeLine } from './blocks';

export type SkipReason = { kind: 'too-long'; length: number; max: number } | { kind: 'binary' } | { kind: 'huge-line' };

/** Why `text` is not scored, or undefined when it is. */
export function skipReason(text: string, maxFileLength: number): SkipReason | undefined {
  if (text.length > maxFileLength) return { kind: 'too-long', length: text.length, max: maxFileLength };
  const bad = looksBinaryOrHugeLine(text);
  return bad ? { kind: bad } : undefined;
}
