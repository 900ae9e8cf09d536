/** `plausibility lint FILES...`: flagged spans with line:col, as text (eslint/Vale style), JSON or SARIF 2.1.0. */
import { lstatSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError, PlausibilityError } from '../core/errors';
import { suppressFindings } from '../core/lint/describe';
import { DocumentLinter } from '../core/lint/linter';
import { ALLOW_LIST_DIR, ALLOW_LIST_FILE, readAllowList } from '../core/text/allowListFile';
import type { Finding as LintFinding } from '../core/lint/finding';
import type { FileFinding, FileResult } from './lintResult';
import { LineIndex } from '../core/text/document';
import { lintSettingsFromFlags, languageOf } from './lintSettings';
import type { Common } from './common';
import { expandInputs } from './files';
import { readInput } from './input';
import { STDIN_NAME, toSarif } from './sarif';

export type { FileFinding, Finding, FileResult } from './lintResult';

export { toSarif } from './sarif';

/** `plausibility lint FILES...` */
export async function cmdLint(c: Common): Promise<number> {
  if (c.args.positionals.length === 0) throw new PlausibilityError('lint needs at least one FILE (or - for stdin)', 'USAGE');
  // Folders are walked and quoted globs matched here; a glob that matches nothing is an error.
  const { files, unmatched } = expandInputs(c.args.positionals);
  if (unmatched.length) throw new PlausibilityError(`no files match ${unmatched.map((g) => JSON.stringify(g)).join(', ')}`, 'USAGE');
  if (files.length === 0) throw new PlausibilityError(`no prose files (.md .markdown .txt .tex .rst) under ${c.args.positionals.join(', ')}`, 'USAGE');
  const skipLarge = c.args.options.has('skip-large');
  const settings = lintSettingsFromFlags(c);
  // Load the model first: an unreadable model is an error (exit 2) before any file is read.
  const engine = await c.loadEngine();
  const results: FileResult[] = [];
  let errors = 0;
  let findings = 0;
  for (const path of files) {
    const display = path === '-' ? STDIN_NAME : relative(process.cwd(), path) || path;
    let input;
    try {
      input = readInput(path, c);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      c.out.error(e.message);
      results.push({ path: display, findings: [], error: e.message });
      errors++;
      continue;
    }
    if (input.kind === 'skip' && input.tooLarge && !skipLarge) {
      // Passing CI on a file that was never checked would be silent; only --skip-large makes it a notice.
      const message = `${display}: ${input.reason}; pass --skip-large to skip such files without failing`;
      c.out.error(message);
      results.push({ path: display, findings: [], error: message });
      errors++;
      continue;
    }
    if (input.kind === 'skip') {
      c.out.warn(`${display}: ${input.reason}`);
      results.push({ path: display, findings: [], skipped: input.reason });
      continue;
    }
    const text = input.text;
    const lines = new LineIndex(text);
    // The whole file goes through the editor's pipeline: blocks bound the memory, and directives, fences and front
    // matter apply across the whole file.
    const linter = new DocumentLinter(engine);
    const result = await linter.lint(text, languageOf(path, c), settings);
    // The workspace allow-list the editor honours applies here too (the nearest .vscode/plausibility-allow.txt).
    const allowed = suppressFindings(text, result.findings, allowListFor(path === '-' ? process.cwd() : dirname(resolve(path))), undefined);
    const fileFindings = allowed.map((f) => toFileFinding(f, lines));
    findings += fileFindings.length;
    results.push({ path: display, findings: fileFindings });
    if (c.format === 'text') {
      for (const f of fileFindings)
        c.out.line(`${display}:${f.line}:${f.column}: ${f.severity}: ${f.message} [${f.rule}]`);
    }
  }
  if (c.format === 'json') {
    c.out.json({
      model: engine.info.modelDir,
      calibration: settings.surprise.thresholdBits !== undefined ? 'absolute' : engine.stats ? 'model' : 'document',
      files: results,
      findings,
      errors,
    });
  } else if (c.format === 'sarif') {
    c.out.json(toSarif(results, engine.info.modelDir, '0.1.0'));
  } else {
    const nf = results.filter((r) => !r.skipped && !r.error).length;
    c.out.info(`${findings} finding${findings === 1 ? '' : 's'} in ${nf} file${nf === 1 ? '' : 's'}` + (errors ? `, ${errors} error${errors === 1 ? '' : 's'}` : ''));
  }
  return errors > 0 ? 2 : findings > 0 ? 1 : 0;
}

function toFileFinding(f: LintFinding, lines: LineIndex): FileFinding {
  const a = lines.position(f.start);
  const b = lines.position(f.end);
  const out: FileFinding = {
    line: a.line + 1,
    column: a.column + 1,
    endLine: b.line + 1,
    endColumn: b.column + 1,
    start: f.start,
    end: f.end,
    text: f.text,
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    replacement: f.replacement ?? null,
    gain_bits: f.data.gainBits ?? null,
    suggestions: f.suggestions,
  };
  if (f.data.kind) {
    out.kind = f.data.kind;
    out.bits = f.data.bits;
    out.threshold = f.data.threshold;
  }
  return out;
}

const allowLists = new Map<string, Set<string> | undefined>();

/** The phrases of the nearest `.vscode/plausibility-allow.txt` at or above `dir` (see readAllowList for what is read). */
function allowListFor(dir: string): Set<string> | undefined {
  if (allowLists.has(dir)) return allowLists.get(dir);
  let found: Set<string> | undefined;
  try {
    lstatSync(join(dir, ALLOW_LIST_DIR, ALLOW_LIST_FILE)); // an allow-list here, readable or not, ends the walk
    found = readAllowList(dir)?.phrases;
  } catch {
    const parent = dirname(dir);
    found = parent === dir ? undefined : allowListFor(parent);
  }
  allowLists.set(dir, found);
  return found;
}
