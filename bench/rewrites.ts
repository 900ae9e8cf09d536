/**
 * `npm run bench:rewrites`: the rewrites the editor would offer, on the fixed inputs of bench/data/rewrite-inputs.json
 * (model, tag-guided and toxicity rewrites), replayed through the same request path as the editor
 * (offerForRequest). Every offered candidate is judged here, independently of the checks that chose it:
 *
 * - `offered_with_lexicon_term`: the rewritten sentence holds a word of `badwords-list` (the list bench:steer judges
 *   with; the rewrites filter with a different one, `naughty-words`);
 * - `offered_truncated`: the rewritten sentence does not end a sentence or clause where the original did, or ends on
 *   an article, preposition or conjunction;
 * - `offered_dropping_content`: a word of four or more letters of the sentence outside the changed span is missing.
 *
 * Prints plain integers (and the time), one per line. Options: --model DIR, --threads N, --verbose.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/core/engine';
import { defaultModelDir } from '../src/core/model/paths';
import { offerForRequest, RewriteKind } from '../src/core/generation/rewrite';
import { arg } from './common';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const badwords: { array: string[] } = require('badwords-list');

interface BenchInput {
  kind: RewriteKind;
  text: string;
  span: string;
  tags?: string[];
}

const BAD = new Set(badwords.array.map((w) => w.toLowerCase()));
const lower = (s: string): string[] => s.toLowerCase().match(/[a-z0-9']+/g) ?? [];
const ENDS_CLAUSE = /[.!?…,;:]["'”’)\]]*\s*$/u;
const CANNOT_END = new Set(['a', 'an', 'the', 'and', 'or', 'but', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'from', 'with', 'my', 'your', 'his', 'her', 'their', 'our', 'its']);

function hasBadword(sentence: string): boolean {
  return lower(sentence).some((w) => BAD.has(w));
}

function truncated(original: string, rewritten: string): boolean {
  if (ENDS_CLAUSE.test(original.trimEnd()) && !ENDS_CLAUSE.test(rewritten.trimEnd())) return true;
  const ws = lower(rewritten);
  return CANNOT_END.has(ws[ws.length - 1] ?? '');
}

/** Words of 4+ letters outside [spanStart, spanEnd) of the sentence that the rewritten sentence lacks. */
function dropsContent(sentence: string, spanStart: number, spanEnd: number, rewritten: string): boolean {
  const outside = lower(sentence.slice(0, spanStart) + ' ' + sentence.slice(spanEnd)).filter((w) => w.length >= 4);
  const have = lower(rewritten);
  return outside.some((w) => {
    const i = have.indexOf(w);
    if (i < 0) return true;
    have.splice(i, 1);
    return false;
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const file = join(__dirname, '..', '..', 'bench', 'data', 'rewrite-inputs.json');
  const inputs = (JSON.parse(readFileSync(file, 'utf8')) as { inputs: BenchInput[] }).inputs;
  const engine = await Engine.load(arg('model') ?? defaultModelDir(join(__dirname, '..')), { intraOpNumThreads: Number(arg('threads', '2')) });
  const verbose = process.argv.includes('--verbose');
  const counts = { offered: 0, lexicon: 0, truncated: 0, dropping: 0 };
  const byKind: Record<string, number> = { model: 0, tags: 0, toxicity: 0 } as Record<string, number>;
  for (const input of inputs) {
    const start = input.text.indexOf(input.span);
    const r = await offerForRequest(engine, { kind: input.kind, text: input.text, start, end: start + input.span.length, tags: input.tags, markdown: true });
    if (verbose) console.error(`${input.kind} ${JSON.stringify(r.original)} (nll/token ${r.originalNllPerToken.toFixed(2)}) rejected ${JSON.stringify(r.rejected)}${r.note ? ` note: ${r.note}` : ''}`);
    for (const c of r.candidates) {
      counts.offered++;
      byKind[input.kind]++;
      const spanStart = r.start - r.sentence.start;
      const spanEnd = r.end - r.sentence.start;
      const flags = [
        hasBadword(c.sentence) && (counts.lexicon++, 'lexicon'),
        truncated(r.sentence.text, c.sentence) && (counts.truncated++, 'truncated'),
        dropsContent(r.sentence.text, spanStart, spanEnd, c.sentence) && (counts.dropping++, 'drops-content'),
      ].filter(Boolean);
      if (verbose) console.error(`  → ${JSON.stringify(c.text)} | ${c.sentence} | nll/token ${c.nllPerToken.toFixed(2)}${flags.length ? ` [${flags.join(', ')}]` : ''}`);
    }
  }
  console.log(`inputs=${inputs.length}`);
  console.log(`rewrites_offered=${counts.offered}`);
  console.log(`offered_model=${byKind.model}`);
  console.log(`offered_tags=${byKind.tags}`);
  console.log(`offered_toxicity=${byKind.toxicity}`);
  console.log(`offered_with_lexicon_term=${counts.lexicon}`);
  console.log(`offered_truncated=${counts.truncated}`);
  console.log(`offered_dropping_content=${counts.dropping}`);
  console.log(`seconds=${Math.round((Date.now() - t0) / 1000)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
