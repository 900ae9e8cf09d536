/**
 * Expands the lint command's FILE arguments: folders are walked for prose files, and quoted globs (`*`, `?`, `[...]`,
 * `{a,b}`, `**` for any number of folders) are matched here, since the shell did not expand them. Dot-folders and
 * node_modules are never entered.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Extensions of the files a folder walk picks up. */
export const PROSE_EXTENSIONS = ['.md', '.markdown', '.txt', '.tex', '.rst'];

const GLOB_CHARS = /[*?[{]/;

function skippedFolder(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/** Every file under `dir` (depth first, sorted), with `dir` as the prefix; symlinked folders are not followed (no loops). */
function* walk(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = dir === '.' ? e.name : join(dir, e.name);
    if (e.isDirectory()) {
      if (!skippedFolder(e.name)) yield* walk(p);
    } else if (e.isFile()) yield p;
    else if (e.isSymbolicLink()) {
      try {
        if (statSync(p).isFile()) yield p;
      } catch {
        /* dangling link */
      }
    }
  }
}

/** Translates a glob to an anchored regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        const atSegmentEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atSegmentStart && atSegmentEnd) {
          // `**/` matches zero or more folders; a trailing `**` matches everything below.
          if (glob[i + 2] === '/') {
            re += '(?:[^/]*/)*';
            i += 2;
          } else {
            re += '.*';
            i += 1;
          }
          continue;
        }
      }
      re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body[0] === '!') body = '^' + body.slice(1);
        re += `[${body}]`;
        i = close;
      }
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) re += '|';
    else re += ch.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob, walked from its longest folder prefix without glob characters. */
function expandGlob(pattern: string): string[] {
  const norm = pattern.split(sep).join('/');
  const parts = norm.split('/');
  let fixed = 0;
  while (fixed < parts.length - 1 && !GLOB_CHARS.test(parts[fixed])) fixed++;
  const base = parts.slice(0, fixed).join('/') || (norm.startsWith('/') ? '/' : '.');
  // Match the part below the fixed prefix, so `./docs/*.md` and `docs/*.md` behave the same.
  const re = globToRegExp(parts.slice(fixed).join('/'));
  const out: string[] = [];
  for (const p of walk(base)) {
    const below = relative(base, p).split(sep).join('/');
    if (re.test(below)) out.push(p);
  }
  return out;
}

/**
 * Expands FILE arguments: `-` stays, an existing folder becomes its prose files, a path with glob characters that
 * does not exist as written becomes its matches, anything else stays as written (reading it reports what is wrong).
 * Duplicates are dropped, keeping the first occurrence.
 */
export function expandInputs(args: string[]): { files: string[]; unmatched: string[] } {
  const files: string[] = [];
  const unmatched: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    if (!seen.has(p)) {
      seen.add(p);
      files.push(p);
    }
  };
  for (const a of args) {
    if (a === '-') {
      add(a);
      continue;
    }
    let isDir = false;
    let exists = false;
    try {
      isDir = statSync(a).isDirectory();
      exists = true;
    } catch {
      /* not a path as written */
    }
    if (isDir) {
      for (const p of walk(a)) if (PROSE_EXTENSIONS.some((e) => p.toLowerCase().endsWith(e))) add(p);
    } else if (!exists && GLOB_CHARS.test(a)) {
      const matches = expandGlob(a);
      if (matches.length === 0) unmatched.push(a);
      matches.forEach(add);
    } else add(a);
  }
  return { files, unmatched };
}
