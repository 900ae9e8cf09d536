/** `plausibility tags FILE` (tag inference) and `plausibility score FILE --tags "a, b"` (conditional scoring). */
import { conditionalScore, Condition, inferTags, loadConditioning, offTagSentences, parseTags, unknownTags } from '../core/scoring/conditional';
import { PlausibilityError } from '../core/errors';
import { declaredCondition, FrontMatterError, parseFrontMatter } from '../core/text/frontmatter';
import { LineIndex } from '../core/text/document';
import { readInput } from './input';
import type { Common } from './common';

/** The condition given by --tags/--synopsis, if any. */
export function conditionFromArgs(c: Common): Condition | undefined {
  const t = c.args.options.get('tags');
  const s = c.args.options.get('synopsis');
  if (t === undefined) {
    if (typeof s === 'string') throw new PlausibilityError('--synopsis needs --tags too', 'USAGE');
    return undefined;
  }
  const tags = typeof t === 'string' ? parseTags(t) : [];
  if (tags.length === 0) throw new PlausibilityError('--tags needs at least one tag, e.g. --tags "news, editorial"', 'USAGE');
  return { tags, synopsis: typeof s === 'string' && s.trim() ? s : undefined };
}

/** Text without its front matter (blanked with spaces/newlines so offsets stay valid). */
function withoutFrontMatter(text: string, c: Common, name: string): string {
  try {
    const fm = parseFrontMatter(text);
    if (!fm) return text;
    return text.slice(0, fm.end).replace(/[^\n]/g, ' ') + text.slice(fm.end);
  } catch (e) {
    if (e instanceof FrontMatterError) {
      c.out.warn(`${name}: ${e.message}`);
      return text;
    }
    throw e;
  }
}

/** `plausibility tags FILE` */
export async function cmdTags(c: Common): Promise<number> {
  const path = c.args.positionals[0];
  if (!path) throw new PlausibilityError('tags needs a FILE (or - for stdin)', 'USAGE');
  if (c.args.positionals.length > 1) throw new PlausibilityError('tags takes one FILE', 'USAGE');
  const input = readInput(path, c);
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    return /binary|over the/.test(input.reason) ? 2 : 0;
  }
  const engine = await c.loadEngine();
  const cond = loadConditioning(engine.info.modelDir);
  let declared: string[] | null = null;
  try {
    declared = declaredCondition(input.text)?.tags ?? null;
  } catch (e) {
    if (!(e instanceof FrontMatterError)) throw e;
  }
  const text = withoutFrontMatter(input.text, c, input.name);
  const candidates = typeof c.args.options.get('tags') === 'string' ? parseTags(c.args.options.get('tags') as string) : undefined;
  const res = await inferTags(engine, cond, text, { candidates, maxTokens: c.num('max-tokens', 1024) });
  const doc = {
    model: engine.info.modelDir,
    file: input.name,
    tokens: res.tokens,
    declared,
    tags: res.ranking.map((r) => ({ tag: r.tag, logprob: r.logprob, pmi: r.pmi, posterior: r.posterior })),
  };
  if (c.format === 'json') c.out.json(doc);
  else {
    c.out.line(`${'tag'.padEnd(18)} ${'posterior'.padStart(9)} ${'PMI(nats)'.padStart(10)} ${'log P(text|tag)'.padStart(16)}`);
    for (const r of doc.tags)
      c.out.line(`${r.tag.padEnd(18)} ${r.posterior.toFixed(3).padStart(9)} ${r.pmi.toFixed(2).padStart(10)} ${r.logprob.toFixed(2).padStart(16)}`);
    if (declared) c.out.line(`declared in front matter: ${declared.join(', ')}`);
  }
  return 0;
}

/** `plausibility score FILE --tags "a, b" [--synopsis TEXT]` */
export async function cmdScoreTags(c: Common): Promise<number> {
  const path = c.args.positionals[0];
  if (!path) throw new PlausibilityError('score needs a FILE (or - for stdin)', 'USAGE');
  if (c.args.positionals.length > 1) throw new PlausibilityError('score takes one FILE', 'USAGE');
  const condition = conditionFromArgs(c)!;
  const input = readInput(path, c);
  const engine = await c.loadEngine();
  const cond = loadConditioning(engine.info.modelDir);
  const unknown = unknownTags(cond, condition.tags);
  if (unknown.length) c.out.warn(`tags the model never saw in training: ${unknown.join(', ')} (known: ${cond.tags.join(', ')})`);
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    if (/binary|over the/.test(input.reason)) return 2;
    if (c.format === 'json') c.out.json({ model: engine.info.modelDir, tags: condition.tags, tokens: [], nll: 0, perplexity: null });
    return 0;
  }
  const text = withoutFrontMatter(input.text, c, input.name);
  const s = await conditionalScore(engine, cond, text, condition, { window: c.num('window') });
  const off = offTagSentences(s);
  const n = s.tokens.length;
  const lines = new LineIndex(input.text);
  const doc = {
    model: engine.info.modelDir,
    file: input.name,
    tags: condition.tags,
    synopsis: condition.synopsis ?? null,
    header: s.header,
    tokens: s.tokens.map((t) => ({
      text: t.text,
      start: t.start,
      end: t.end,
      nll: -t.condLogprob,
      bits: -t.condLogprob / Math.LN2,
      prob: Math.exp(t.condLogprob),
      nll_unconditional: -t.logprob,
      pmi: t.pmi,
    })),
    nll: s.condNll,
    nll_unconditional: s.nll,
    pmi: s.pmi,
    token_count: n,
    perplexity: n ? Math.exp(s.condNll / n) : null,
    perplexity_unconditional: n ? Math.exp(s.nll / n) : null,
    sentences: s.sentences.map((x) => ({
      text: x.text,
      start: x.start,
      end: x.end,
      tokens: x.tokens,
      pmi: x.pmi,
      pmi_per_token: x.pmiPerToken,
      off_tag: off.includes(x),
    })),
  };
  if (c.format === 'json') c.out.json(doc);
  else {
    c.out.line(`${'#'.padStart(6)}  ${'line:col'.padEnd(10)} ${'bits|tags'.padStart(9)} ${'bits'.padStart(7)} ${'PMI'.padStart(7)}  token`);
    doc.tokens.forEach((t, i) => {
      const p = lines.position(t.start);
      c.out.line(
        `${String(i + 1).padStart(6)}  ${`${p.line + 1}:${p.column + 1}`.padEnd(10)} ${t.bits.toFixed(2).padStart(9)} ${(t.nll_unconditional / Math.LN2).toFixed(2).padStart(7)} ${t.pmi.toFixed(2).padStart(7)}  ${JSON.stringify(t.text)}`,
      );
    });
    c.out.line(
      `tags [${condition.tags.join(', ')}]: nll ${s.condNll.toFixed(3)} nats given the tags, ${s.nll.toFixed(3)} without; PMI ${s.pmi.toFixed(3)} nats`,
    );
    for (const x of doc.sentences.filter((x) => x.off_tag)) {
      const p = lines.position(x.start);
      c.out.line(`off-tag ${p.line + 1}:${p.column + 1}: PMI ${x.pmi_per_token.toFixed(3)} nats/token  ${JSON.stringify(x.text.slice(0, 80))}`);
    }
  }
  return 0;
}
