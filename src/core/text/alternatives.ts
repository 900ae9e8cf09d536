/** Options written in a selection for ranking (no engine dependency: the extension host imports it). */
import { InputError } from '../errors';

/** Options written in a selection: `{one|two|three}`, or one option per selected line. */
export function parseAlternatives(selection: string): string[] {
  const m = /^\s*\{([\s\S]*)\}\s*$/.exec(selection);
  let opts: string[];
  if (m) opts = m[1].split('|').map((s) => s.trim());
  else if (/\r?\n/.test(selection.trim())) opts = selection.split(/\r?\n/).map((s) => s.trim());
  else throw new InputError('select options written as {one|two|three}, or several lines (one option per line)', 'NO_OPTIONS');
  opts = opts.filter((s) => s.length > 0);
  if (opts.length === 0) throw new InputError('the selection holds no options: write {one|two} with at least two', 'NO_OPTIONS');
  if (opts.length === 1) throw new InputError(`only one option ("${opts[0]}"): there is nothing to rank, write at least two`, 'ONE_OPTION');
  return opts;
}
