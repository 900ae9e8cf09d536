import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  contentWords,
  droppedContent,
  lexiconTerms,
  offerForRequest,
  offerRewrites,
  RewriteKind,
  RewriteResult,
  shippedToxicityHead,
  truncation,
} from '../../src/core/generation/rewrite';
import { editDistance } from '../../src/core/lint/edits/lexicon';
import { engine, ROOT } from './helpers';

interface Input {
  kind: RewriteKind;
  text: string;
  span: string;
  tags?: string[];
}

const INPUTS = (JSON.parse(readFileSync(join(ROOT, 'bench', 'data', 'rewrite-inputs.json'), 'utf8')) as { inputs: Input[] }).inputs;

async function offer(input: Input): Promise<{ input: Input; res: RewriteResult }> {
  const e = await engine();
  const start = input.text.indexOf(input.span);
  const res = await offerForRequest(e, { kind: input.kind, text: input.text, start, end: start + input.span.length, tags: input.tags, markdown: true });
  return { input, res };
}

/** Every offered rewrite of the inputs of one kind (computed once per kind). */
const offered = new Map<RewriteKind, Promise<{ input: Input; res: RewriteResult }[]>>();
function offersOf(kind: RewriteKind): Promise<{ input: Input; res: RewriteResult }[]> {
  if (!offered.has(kind))
    offered.set(
      kind,
      (async () => {
        const out = [];
        for (const input of INPUTS.filter((i) => i.kind === kind)) out.push(await offer(input));
        return out;
      })(),
    );
  return offered.get(kind)!;
}

describe('rewrite safety (real models/default, the bench inputs)', function () {
  this.timeout(600000);

  it('the content checks catch a dropped word and a cut-off clause', () => {
    const sentence = 'Please send the letter form the regional office.';
    const s = sentence.indexOf('form the regional');
    const e = s + 'form the regional'.length;
    const rewritten = (c: string) => sentence.slice(0, s) + c + sentence.slice(e);
    assert.deepEqual(droppedContent(sentence, s, e, rewritten('from the'), 'from the').inSpan, ['regional']);
    assert.deepEqual(droppedContent(sentence, s, e, rewritten('from the regional'), 'from the regional').inSpan, []);
    assert.deepEqual(droppedContent(sentence, s, sentence.length, 'Please send the letter.', '').outside, []);
    assert.deepEqual(droppedContent(sentence, s, e, 'Please send the from the regional office.', 'from the regional').outside, ['letter']);
    // With a dictionary, a misspelt word is kept only by a respelling of it, never by another word.
    const typo = 'The captain said that the wnid was too strong.';
    const t = typo.indexOf('wnid');
    const isWord = (w: string) => w !== 'wnid';
    const swap = (c: string) => typo.slice(0, t) + c + typo.slice(t + 4);
    assert.deepEqual(droppedContent(typo, t, t + 4, swap('car'), 'car', isWord).inSpan, ['wnid']);
    assert.deepEqual(droppedContent(typo, t, t + 4, swap('wind'), 'wind', isWord).inSpan, []);
    assert.deepEqual(droppedContent(typo, t, t + 4, swap('car'), 'car').inSpan, [], 'without a dictionary a word may replace a word');
    assert.ok(truncation('The cat sat on the mat.', 'The cat sat on the', 'the', ''));
    assert.ok(truncation('The cat sat on the mat.', 'The cat sat on the rug.', 'rug', '.') === undefined);
  });

  it('a rewrite never drops a content word outside its span', async () => {
    let checked = 0;
    for (const kind of ['model', 'tags', 'toxicity'] as RewriteKind[]) {
      for (const { input, res } of await offersOf(kind)) {
        const sent = res.sentence;
        const outside = contentWords(input.text.slice(sent.start, res.start) + ' ' + input.text.slice(res.end, sent.end));
        for (const c of res.candidates) {
          assert.ok(c.start >= sent.start && c.end <= sent.end, `${c.text}: the edit stays in the sentence`);
          const applied = input.text.slice(0, c.start) + c.text + input.text.slice(c.end);
          assert.equal(applied.slice(0, sent.start), input.text.slice(0, sent.start), 'the text before the sentence is kept');
          assert.ok(applied.endsWith(input.text.slice(sent.end)), 'the text after the sentence is kept');
          const have = contentWords(c.sentence);
          for (const w of outside) {
            const i = have.indexOf(w);
            assert.ok(i >= 0, `${kind} rewrite ${JSON.stringify(c.sentence)} dropped "${w}"`);
            have.splice(i, 1);
          }
          if (kind !== 'toxicity') assert.deepEqual(droppedContent(sent.text, res.start - sent.start, res.end - sent.start, c.sentence, c.text).inSpan, []);
          checked++;
        }
      }
    }
    assert.ok(checked > 0, 'some rewrites were offered');
  });

  it('no offered toxicity rewrite contains a lexicon term or is judged toxic, and only the toxic part changes', async () => {
    const e = await engine();
    const head = shippedToxicityHead(e);
    assert.ok(head, 'the bundled model ships a toxicity head');
    let offeredCount = 0;
    for (const { input, res } of await offersOf('toxicity')) {
      if (res.candidates.length === 0) continue;
      assert.ok(res.end - res.start < input.span.length, `only part of ${JSON.stringify(input.span)} is rewritten`);
      const probs = await head.classify(e, res.candidates.map((c) => c.sentence));
      res.candidates.forEach((c, i) => {
        assert.deepEqual(lexiconTerms(c.sentence), [], c.sentence);
        assert.ok(probs[i][head.unwantedIndex ?? 1] < head.decisionThreshold, `${c.sentence}: judged toxic`);
        assert.ok(c.nllPerToken <= res.originalNllPerToken + res.maxNllIncrease + 1e-9);
        // Outside the toxic span, the sentence is the original's.
        assert.ok(c.sentence.startsWith(input.text.slice(res.sentence.start, Math.min(c.start, res.start))));
        assert.ok(c.sentence.endsWith(input.text.slice(res.end, res.sentence.end)));
        offeredCount++;
      });
    }
    assert.ok(offeredCount > 0, 'some toxicity rewrites were offered');
    // A lexicon term in the text is always part of what changes.
    const r = await offerRewrites(e, 'We met on Monday. The contractor is a lazy bastard and the work is late.', 18, 72, { kind: 'toxicity' });
    assert.ok(r.original.includes('bastard') && !r.original.includes('contractor'), r.original);
  });

  it('a model rewrite of a misspelt word offers its correction and never another word', async () => {
    const e = await engine();
    const text = 'The captain said that the wnid was too strong for the small boats.';
    const s = text.indexOf('wnid');
    const res = await offerRewrites(e, text, s, s + 4, { kind: 'model' });
    const texts = res.candidates.map((c) => c.text);
    assert.ok(texts.includes('wind'), JSON.stringify(texts));
    for (const c of texts) assert.ok(editDistance('wnid', c.toLowerCase(), 3) <= 2, `${c} is not a respelling of "wnid"`);
  });

  it('a model rewrite is offered only when it beats the original', async () => {
    const e = await engine();
    let checked = 0;
    for (const { input, res } of await offersOf('model')) {
      const before = input.text.slice(0, res.sentence.start).replace(/\s+$/, '');
      const sep = input.text.slice(before.length, res.sentence.start);
      const original = (await e.conditionalNll(before, sep + res.sentence.text)).nll;
      assert.ok(Math.abs(original - res.originalNll) < 0.05, `${original} vs ${res.originalNll}`);
      for (const c of res.candidates) {
        const nll = (await e.conditionalNll(before, sep + c.sentence)).nll;
        assert.ok(Math.abs(nll - c.nll) < 0.05, `${c.sentence}: ${nll} vs ${c.nll}`);
        assert.ok(c.nll < res.originalNll && c.score < res.originalNll, `${c.sentence} does not beat the original`);
        checked++;
      }
      for (let i = 1; i < res.candidates.length; i++) assert.ok(res.candidates[i - 1].score <= res.candidates[i].score);
    }
    assert.ok(checked > 0, 'some model rewrites were offered');
  });
});
