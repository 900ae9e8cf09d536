/** `plausibility score` and `plausibility perplexity`. */
import { countWords, TextScore } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { chunkText, LineIndex } from '../core/text/document';
import { utf8Bytes } from '../core/text/bytes';
import { readInput } from './input';
import type { Common } from './common';
import { cmdScoreTags } from './tags';

/** Chunk size (UTF-16 units) for scoring long documents with bounded memory. */
export const CHUNK_CHARS = 40_000;

export { DEFAULT_MAX_BYTES, readInput, type Input } from './input';

/**
 * Scores a document chunk by chunk (bounded memory for long documents) and calls `each` with every chunk's score and
 * its offset in the document.
 */
export async function scoreChunks(
  c: Common,
  text: string,
  each: (score: TextScore, offset: number) => void | Promise<void>,
  opts: { topK?: number; details?: boolean } = {},
): Promise<void> {
  const engine = await c.loadEngine();
  const starts = chunkText(text, CHUNK_CHARS);
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i];
    const to = i + 1 < starts.length ? starts[i + 1] : text.length;
    const chunk = text.slice(from, to);
    if (starts.length > 1 && c.verbose) c.out.info(`chunk ${i + 1}/${starts.length}`);
    const s = await engine.scoreText(chunk, {
      topK: opts.topK,
      details: opts.details,
      window: c.num('window'),
      stride: c.num('stride'),
    });
    await each(s, from);
  }
}

function fmt(x: number, d = 3): string {
  return Number.isFinite(x) ? x.toFixed(d) : String(x);
}

/** `plausibility score FILE|-` */
export async function cmdScore(c: Common): Promise<number> {
  const path = c.args.positionals[0];
  if (!path) throw new PlausibilityError('score needs a FILE (or - for stdin)', 'USAGE');
  if (c.args.positionals.length > 1) throw new PlausibilityError('score takes one FILE', 'USAGE');
  if (c.args.options.has('tags')) return cmdScoreTags(c);
  const input = readInput(path, c);
  const topK = c.num('top-k', 5) ?? 5;
  const engine = await c.loadEngine();
  const t0 = Date.now();
  let nll = 0;
  let n = 0;
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    if (/binary|over the/.test(input.reason)) return 2;
    if (c.format === 'json') c.out.json({ model: engine.info.modelDir, tokens: [], nll: 0, perplexity: null });
    return 0;
  }
  const text = input.text;
  const lines = new LineIndex(text);
  if (c.format === 'json') {
    c.out.raw(`{\n  "model": ${JSON.stringify(engine.info.modelDir)},\n  "file": ${JSON.stringify(input.name)},\n  "tokens": [`);
    let first = true;
    await scoreChunks(
      c,
      text,
      (s, off) => {
        const parts: string[] = [];
        for (const t of s.tokens) {
          nll += t.nll;
          n++;
          parts.push(
            JSON.stringify({
              text: t.text,
              start: t.start + off,
              end: t.end + off,
              id: t.id,
              nll: t.nll,
              bits: t.bits,
              prob: t.prob,
              rank: t.rank,
              entropy: t.entropy,
              top: t.top.map((a) => ({ token: a.token, prob: a.prob })),
            }),
          );
        }
        if (parts.length) {
          c.out.raw((first ? '\n    ' : ',\n    ') + parts.join(',\n    '));
          first = false;
        }
      },
      { topK },
    );
    c.out.raw(
      `\n  ],\n  "nll": ${JSON.stringify(nll)},\n  "token_count": ${n},\n  "perplexity": ${JSON.stringify(n ? Math.exp(nll / n) : null)},\n` +
        `  "bits_per_byte": ${JSON.stringify(nll / Math.LN2 / utf8Bytes(text).length)}\n}\n`,
    );
  } else {
    c.out.line(`${'#'.padStart(6)}  ${'line:col'.padEnd(10)} ${'bits'.padStart(7)} ${'prob'.padStart(7)} ${'rank'.padStart(6)} ${'H(bits)'.padStart(7)}  token  | top alternatives`);
    await scoreChunks(
      c,
      text,
      (s, off) => {
        for (const t of s.tokens) {
          nll += t.nll;
          n++;
          const p = lines.position(t.start + off);
          const top = t.top.map((a) => `${JSON.stringify(a.token)} ${a.prob.toFixed(3)}`).join(', ');
          c.out.line(
            `${String(n).padStart(6)}  ${`${p.line + 1}:${p.column + 1}`.padEnd(10)} ${fmt(t.bits, 2).padStart(7)} ${fmt(t.prob, 4).padStart(7)} ${String(t.rank).padStart(6)} ${fmt(t.entropy / Math.LN2, 2).padStart(7)}  ${JSON.stringify(t.text)}  | ${top}`,
          );
        }
      },
      { topK },
    );
    c.out.line(`tokens ${n}  nll ${fmt(nll)} nats  perplexity ${fmt(n ? Math.exp(nll / n) : NaN)}`);
  }
  if (c.verbose) c.out.info(`${n} tokens in ${Date.now() - t0} ms (${fmt((n * 1000) / Math.max(1, Date.now() - t0), 0)} tokens/s)`);
  return 0;
}

/** `plausibility perplexity FILE|-` */
export async function cmdPerplexity(c: Common): Promise<number> {
  const path = c.args.positionals[0];
  if (!path) throw new PlausibilityError('perplexity needs a FILE (or - for stdin)', 'USAGE');
  if (c.args.positionals.length > 1) throw new PlausibilityError('perplexity takes one FILE', 'USAGE');
  const input = readInput(path, c);
  const engine = await c.loadEngine();
  if (input.kind === 'skip') {
    c.out.warn(`${input.name}: ${input.reason}`);
    if (/binary|over the/.test(input.reason)) return 2;
    if (c.format === 'json')
      c.out.json({ model: engine.info.modelDir, file: input.name, tokens: 0, nll: 0, perplexity: null, bits_per_byte: null, word_perplexity: null, bytes: 0, words: 0 });
    else c.out.line('no tokens');
    return 0;
  }
  const t0 = Date.now();
  let nll = 0;
  let n = 0;
  await scoreChunks(
    c,
    input.text,
    (s) => {
      nll += s.nll;
      n += s.tokenCount;
    },
    { topK: 0, details: false },
  );
  const bytes = utf8Bytes(input.text).length;
  const words = countWords(input.text);
  const res = {
    model: engine.info.modelDir,
    file: input.name,
    tokens: n,
    nll,
    nll_per_token: n ? nll / n : null,
    perplexity: n ? Math.exp(nll / n) : null,
    bits_per_byte: bytes ? nll / Math.LN2 / bytes : null,
    byte_perplexity: bytes ? Math.exp(nll / bytes) : null,
    word_perplexity: words ? Math.exp(nll / words) : null,
    bytes,
    words,
  };
  if (c.verbose) c.out.info(`${n} tokens in ${Date.now() - t0} ms`);
  if (c.format === 'json') c.out.json(res);
  else {
    c.out.line(`file             ${res.file}`);
    c.out.line(`tokens           ${n}`);
    c.out.line(`nll (nats)       ${fmt(nll)}`);
    c.out.line(`perplexity       ${fmt(res.perplexity ?? NaN)}`);
    c.out.line(`bits per byte    ${fmt(res.bits_per_byte ?? NaN, 4)}`);
    c.out.line(`word perplexity  ${fmt(res.word_perplexity ?? NaN)}`);
  }
  return 0;
}
