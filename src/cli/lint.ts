/** `plausibility lint FILES...`: flagged spans with line:col, as text (eslint/Vale style), JSON or SARIF 2.1.0. */
import { relative } from 'node:path';
import { InputError, PlausibilityError } from '../core/errors';
import { lintText, Span, SpanOptions } from '../core/spans';
import { chunkText, LineIndex } from '../core/text';
import type { Common } from './main';
import { expandInputs } from './files';
import { readInput } from './input';
import { STDIN_NAME, toSarif } from './sarif';
import { CHUNK_CHARS } from './score';

/** One finding in a file. Lines and columns are 1-based; columns count UTF-16 code units. */
export interface Finding {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based UTF-16 offsets [start, end). */
  start: number;
  end: number;
  text: string;
  kind: Span['kind'];
  severity: Span['severity'];
  bits: number;
  threshold: number;
  score: number;
  suggestions: string[];
  message: string;
  rule: string;
}

/** Lint result for one file. */
export interface FileResult {
  path: string;
  findings: Finding[];
  skipped?: string;
  error?: string;
}

export { toSarif } from './sarif';

/** `plausibility lint FILES...` */
export async function cmdLint(c: Common): Promise<number> {
  if (c.args.positionals.length === 0) throw new PlausibilityError('lint needs at least one FILE (or - for stdin)', 'USAGE');
  // Folders are walked and quoted globs matched here; a glob that matches nothing is an error.
  const { files, unmatched } = expandInputs(c.args.positionals);
  if (unmatched.length) throw new PlausibilityError(`no files match ${unmatched.map((g) => JSON.stringify(g)).join(', ')}`, 'USAGE');
  if (files.length === 0) throw new PlausibilityError(`no prose files (.md .markdown .txt .tex .rst) under ${c.args.positionals.join(', ')}`, 'USAGE');
  const skipLarge = c.args.options.has('skip-large');
  const spanOpts: SpanOptions = {
    thresholdBits: c.num('threshold'),
    percentile: c.num('percentile') === undefined ? undefined : String(c.num('percentile')),
    markdown: !c.args.options.has('no-markdown'),
  };
  const cal = c.args.options.get('calibration');
  if (cal !== undefined) {
    if (cal !== 'model' && cal !== 'document') throw new PlausibilityError('--calibration must be model or document', 'USAGE');
    spanOpts.calibration = cal;
  }
  if (spanOpts.thresholdBits !== undefined && !(spanOpts.thresholdBits > 0))
    throw new PlausibilityError('--threshold must be a positive number of bits', 'USAGE');
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
    const fileFindings: Finding[] = [];
    const starts = chunkText(text, CHUNK_CHARS);
    for (let i = 0; i < starts.length; i++) {
      const off = starts[i];
      const chunk = text.slice(off, i + 1 < starts.length ? starts[i + 1] : text.length);
      if (starts.length > 1 && c.verbose) c.out.info(`${display}: chunk ${i + 1}/${starts.length}`);
      const { spans } = await lintText(engine, chunk, { ...spanOpts, window: c.num('window'), stride: c.num('stride') });
      for (const sp of spans) {
        const a = lines.position(sp.start + off);
        const b = lines.position(sp.end + off);
        fileFindings.push({
          line: a.line + 1,
          column: a.column + 1,
          endLine: b.line + 1,
          endColumn: b.column + 1,
          start: sp.start + off,
          end: sp.end + off,
          text: sp.text,
          kind: sp.kind,
          severity: sp.severity,
          bits: sp.bits,
          threshold: sp.threshold,
          score: sp.score,
          suggestions: sp.suggestions,
          message: sp.message,
          rule: `plausibility/${sp.kind}`,
        });
      }
    }
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
      calibration: spanOpts.thresholdBits !== undefined ? 'absolute' : engine.stats && spanOpts.calibration !== 'document' ? 'model' : 'document',
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
