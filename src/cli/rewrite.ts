/** `plausibility rewrite FILE --line L --col C --length N`: ranked replacements for a span, as JSON. */
import { loadConditioning } from '../core/conditional';
import { PlausibilityError } from '../core/errors';
import { declaredCondition, FrontMatterError } from '../core/frontmatter';
import { rewriteSpan } from '../core/rewrite';
import { readInput } from './input';
import { conditionFromArgs } from './tags';
import type { Common } from './main';

/** Offset of 1-based line/column (UTF-16 units), checked against the text. */
export function offsetOf(text: string, line: number, col: number): number {
  if (!Number.isInteger(line) || line < 1) throw new PlausibilityError(`--line must be a positive integer (got ${line})`, 'USAGE');
  if (!Number.isInteger(col) || col < 1) throw new PlausibilityError(`--col must be a positive integer (got ${col})`, 'USAGE');
  // Lines end at CRLF, LF or a lone CR, as lint (LineIndex) counts them, so a reported line:col can be fed back.
  const breakAt = (from: number): number => {
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) return i;
    }
    return -1;
  };
  let start = 0;
  for (let l = 1; l < line; l++) {
    const br = breakAt(start);
    if (br < 0) throw new PlausibilityError(`--line ${line} is past the end of the file (${l} lines)`, 'USAGE');
    start = br + (text.charCodeAt(br) === 13 && text.charCodeAt(br + 1) === 10 ? 2 : 1);
  }
  let end = breakAt(start);
  if (end < 0) end = text.length;
  if (col - 1 > end - start) throw new PlausibilityError(`--col ${col} is past the end of line ${line} (${end - start} characters)`, 'USAGE');
  return start + col - 1;
}

export async function cmdRewrite(c: Common): Promise<number> {
  const path = c.args.positionals[0];
  if (!path) throw new PlausibilityError('rewrite needs a FILE and --line L --col C --length N', 'USAGE');
  const line = c.num('line');
  const col = c.num('col');
  const length = c.num('length');
  if (line === undefined || col === undefined || length === undefined)
    throw new PlausibilityError('rewrite needs --line L --col C --length N (1-based line and column, length in UTF-16 units)', 'USAGE');
  if (!Number.isInteger(length) || length < 0) throw new PlausibilityError('--length must be a non-negative integer', 'USAGE');
  const input = readInput(path, c);
  if (input.kind === 'skip') throw new PlausibilityError(`${input.name}: ${input.reason}`, 'BAD_INPUT');
  const text = input.text;
  const start = offsetOf(text, line, col);
  const end = start + length;
  if (end > text.length) throw new PlausibilityError(`--length ${length} runs past the end of the file`, 'USAGE');
  const engine = await c.loadEngine();
  let cond = conditionFromArgs(c);
  let tagSource = cond ? 'option' : undefined;
  if (!cond && !c.args.options.has('no-markdown')) {
    try {
      const d = declaredCondition(text);
      if (d) {
        cond = { tags: d.tags, synopsis: d.synopsis };
        tagSource = 'front-matter';
      }
    } catch (e) {
      if (e instanceof FrontMatterError) c.out.warn(`${input.name}: ${e.message}; rewriting without tags`);
      else throw e;
    }
  }
  let conditioning;
  if (cond) {
    try {
      conditioning = loadConditioning(engine.info.modelDir);
    } catch (e) {
      c.out.warn(`${(e as Error).message}; rewriting without tags`);
      cond = undefined;
    }
  }
  const res = await rewriteSpan(engine, text, start, end, {
    count: c.num('count', 3),
    samples: c.num('samples'),
    seed: c.num('seed', 0),
    temperature: c.num('temperature'),
    condition: cond,
    conditioning,
    cfgWeight: c.num('cfg'),
    markdown: !c.args.options.has('no-markdown'),
  });
  const doc = {
    file: input.name,
    line,
    col,
    length,
    original: res.original,
    sentence: res.sentence.text,
    original_nll: res.originalNll,
    tags: cond ? { tags: cond.tags, synopsis: cond.synopsis ?? null, source: tagSource, cfg: c.num('cfg', 1.5) } : null,
    candidates: res.candidates.map((k) => ({ text: k.text, nll: k.nll, gain: k.gain, sentence: k.sentence })),
    considered: res.considered,
    ms: res.ms,
  };
  if (c.args.options.get('format') === 'text') {
    c.out.line(`original (nll ${res.originalNll.toFixed(3)}): ${JSON.stringify(res.original)}`);
    if (doc.candidates.length === 0) c.out.line('no replacement the model finds better than the original');
    doc.candidates.forEach((k, i) => c.out.line(`${i + 1}. -${k.gain.toFixed(2)} nats  ${JSON.stringify(k.text)}`));
  } else c.out.json(doc);
  return 0;
}
