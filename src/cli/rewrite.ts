/**
 * `plausibility rewrite FILE --line L --col C --length N [--toxicity] [--max-nll-increase X]`: the rewrites the editor
 * would offer for a span, as JSON: the model rewrite, the tag-guided one (with --tags or the file's front matter),
 * or with --toxicity the toxicity rewrite of the sentence at the span (only its toxic part changes).
 */
import { ClassifierHead } from '../core/heads/discriminator';
import { loadConditioning } from '../core/scoring/conditional';
import { PlausibilityError } from '../core/errors';
import { declaredCondition, FrontMatterError } from '../core/text/frontmatter';
import { DEFAULT_MAX_NLL_INCREASE, offerRewrites, OFFERED_REWRITES, shippedToxicityHead } from '../core/generation/rewrite';
import { readInput } from './input';
import { conditionFromArgs } from './tags';
import type { Common } from './common';

/** Value flags of rewrite beyond the generation ones (to be registered in main.ts). */
export const REWRITE_VALUE_FLAGS = ['max-nll-increase'];

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
  const toxicity = c.args.options.has('toxicity');
  const headSpec = c.args.options.get('head');
  const head = typeof headSpec === 'string' ? ClassifierHead.forEngine(engine, headSpec) : shippedToxicityHead(engine);
  const maxNllIncrease = c.args.options.has('max-nll-increase') ? c.num('max-nll-increase') : DEFAULT_MAX_NLL_INCREASE;
  if (maxNllIncrease === undefined || !(maxNllIncrease >= 0)) throw new PlausibilityError('--max-nll-increase must be a number >= 0', 'USAGE');
  const res = await offerRewrites(engine, text, start, end, {
    kind: toxicity ? 'toxicity' : undefined,
    head,
    maxNllIncrease,
    count: c.num('count', OFFERED_REWRITES),
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
    kind: res.kind,
    span: { start: res.start, end: res.end },
    original: res.original,
    sentence: res.sentence.text,
    original_nll: res.originalNll,
    original_nll_per_token: res.originalNllPerToken,
    max_nll_increase: res.maxNllIncrease,
    tags: cond && !toxicity ? { tags: cond.tags, synopsis: cond.synopsis ?? null, source: tagSource, cfg: c.num('cfg', 1.5) } : null,
    candidates: res.candidates.map((k) => ({
      start: k.start,
      end: k.end,
      text: k.text,
      nll: k.nll,
      nll_per_token: k.nllPerToken,
      score: k.score,
      gain: k.gain,
      sentence: k.sentence,
      p_unwanted: k.pUnwanted ?? null,
    })),
    considered: res.considered,
    rejected: res.rejected,
    note: res.note ?? null,
    ms: res.ms,
  };
  if (c.args.options.get('format') === 'text') {
    c.out.line(`original (nll ${res.originalNll.toFixed(3)}, ${res.originalNllPerToken.toFixed(3)}/token): ${JSON.stringify(res.original)}`);
    if (doc.candidates.length === 0) c.out.line(res.note ?? 'no rewrite passed the checks (content kept, complete, not toxic, fluent enough)');
    doc.candidates.forEach((k, i) => c.out.line(`${i + 1}. ${k.gain >= 0 ? '-' : '+'}${Math.abs(k.gain).toFixed(2)} nats  ${JSON.stringify(k.text)}  ${k.sentence}`));
  } else c.out.json(doc);
  return 0;
}
