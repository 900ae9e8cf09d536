import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { loadConditioning, parseAlternatives, rankOptions, rewriteSpan, scoreContinuations } from '../../src/core';
import { cli, engine, MODEL_DIR } from './helpers';

const DOC =
  '# Notes\n\nOn Sunday morning we walked along the river to the old mill. The path was muddy after the rain, ' +
  'but the air was fresh and the sun came out as we reached the bridge. The cat sat on the purple theorem of mat. ' +
  'In the evening we cooked dinner together.\n\n```sh\nnpm run build\n```\n';

function spanOf(text: string, s: string): [number, number] {
  const i = text.indexOf(s);
  assert.ok(i >= 0);
  return [i, i + s.length];
}

describe('rewrites and ranked alternatives (real models/default)', function () {
  this.timeout(300000);

  it('scoreContinuations equals conditional NLL (KV-cached batch vs plain scoring)', async () => {
    const e = await engine();
    const left = 'The path was muddy after the';
    const conts = [' rain.', ' storm, and the river rose.', ' long', ''];
    const got = await scoreContinuations(e, e.encode(left), conts.map((c) => e.encode(c)));
    const want = await e.conditionalBatch(left, conts);
    got.forEach((g, i) => assert.ok(Math.abs(g.nll - want[i].nll) < 2e-3, `${conts[i]}: ${g.nll} vs ${want[i].nll}`));
  });

  it('never offers a candidate worse than the original, and ranks best first', async () => {
    const e = await engine();
    for (const phrase of ['purple theorem', 'muddy', 'walked along the river']) {
      const [s, t] = spanOf(DOC, phrase);
      const r = await rewriteSpan(e, DOC, s, t, { samples: 8, seed: 1 });
      assert.equal(r.original, phrase);
      assert.ok(r.candidates.length <= 3);
      for (const c of r.candidates) {
        assert.ok(c.nll < r.originalNll, `${c.text}: ${c.nll} >= ${r.originalNll}`);
        assert.ok(Math.abs(r.originalNll - c.nll - c.gain) < 1e-9);
        assert.notEqual(c.text, phrase);
        assert.ok(c.sentence.includes(c.text));
      }
      // Ranked by sentence NLL plus the penalty for how much a candidate changes.
      for (let i = 1; i < r.candidates.length; i++) assert.ok(r.candidates[i - 1].score <= r.candidates[i].score);
    }
  });

  it('the sentence NLL of a candidate is what plain scoring says', async () => {
    const e = await engine();
    const [s, t] = spanOf(DOC, 'purple theorem');
    const r = await rewriteSpan(e, DOC, s, t, { samples: 8, seed: 2 });
    const before = DOC.slice(0, r.sentence.start).replace(/\s+$/, '');
    const check = async (sentence: string) => (await e.conditionalNll(before, ' ' + sentence)).nll;
    const o = await check(r.sentence.text); assert.ok(Math.abs(o - r.originalNll) < 0.05, `${o} vs ${r.originalNll} ${JSON.stringify(r.sentence)}`);
    for (const c of r.candidates) assert.ok(Math.abs((await check(c.sentence)) - c.nll) < 0.05, c.sentence);
  });

  it('a CFG weight of 0 reproduces the unconditioned rewrites', async () => {
    const e = await engine();
    const conditioning = loadConditioning(MODEL_DIR);
    const [s, t] = spanOf(DOC, 'purple theorem');
    const plain = await rewriteSpan(e, DOC, s, t, { seed: 3 });
    const zero = await rewriteSpan(e, DOC, s, t, { seed: 3, condition: { tags: ['fiction'] }, conditioning, cfgWeight: 0 });
    assert.deepEqual(zero.candidates, plain.candidates);
    assert.equal(zero.considered, plain.considered);
    const guided = await rewriteSpan(e, DOC, s, t, { seed: 3, condition: { tags: ['fiction'] }, conditioning, cfgWeight: 2 });
    // A tag-guided rewrite may be up to the set margin less fluent per token than the original.
    for (const c of guided.candidates) assert.ok(c.nllPerToken <= guided.originalNllPerToken + guided.maxNllIncrease);
  });

  it('bad spans get clear errors', async () => {
    const e = await engine();
    await assert.rejects(rewriteSpan(e, DOC, 20, 20), /span is empty/);
    await assert.rejects(rewriteSpan(e, DOC, 20, 22 + 0 * 1).then(() => rewriteSpan(e, DOC, 9, 9)), /span is empty/);
    await assert.rejects(rewriteSpan(e, DOC, 0, 7), /very start of the document/);
    await assert.rejects(rewriteSpan(e, '   Hello there world.', 3, 8), /very start of the document/);
    const [s] = spanOf(DOC, 'npm run build');
    await assert.rejects(rewriteSpan(e, DOC, s - 10, s + 5), /code block/);
    await assert.rejects(rewriteSpan(e, DOC, 5, DOC.length + 3), /outside the document/);
  });

  it('parses {a|b|c} and line lists; zero or one option is an error', () => {
    assert.deepEqual(parseAlternatives('{red|green| blue }'), ['red', 'green', 'blue']);
    assert.deepEqual(parseAlternatives('first line\nsecond line\n'), ['first line', 'second line']);
    assert.throws(() => parseAlternatives('{}'), /no options/);
    assert.throws(() => parseAlternatives('{ | }'), /no options/);
    assert.throws(() => parseAlternatives('{only}'), /only one option/);
    assert.throws(() => parseAlternatives('plain words'), /\{one\|two\|three\}/);
  });

  it('ranks options in context; options longer than the window are refused', async () => {
    const e = await engine();
    const r = await rankOptions(e, 'The cat sat on the ', ' and purred.', ['mat', 'theorem', 'mat mat mat']);
    assert.equal(r.length, 3);
    for (let i = 1; i < r.length; i++) assert.ok(r[i - 1].nll <= r[i].nll);
    const want = await e.conditionalBatch('The cat sat on the', r.map((o) => ' ' + o.text + ' and purred.'));
    r.forEach((o, i) => assert.ok(Math.abs(o.nll - want[i].nll) < 2e-3));
    const huge = 'word '.repeat(e.config.maxPositions + 10);
    await assert.rejects(rankOptions(e, 'The ', '', ['cat', huge]), /longer than the model's context window/);
  });

  it('CLI: rewrite FILE --line --col --length prints ranked replacements as JSON', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rewrite-')), 'doc.md');
    writeFileSync(file, DOC);
    // "purple theorem" is on line 3 of DOC.
    const col = DOC.split('\n')[2].indexOf('purple theorem') + 1;
    const r = cli(['rewrite', file, '--line', '3', '--col', String(col), '--length', '14']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.original, 'purple theorem');
    for (const c of doc.candidates) assert.ok(c.nll < doc.original_nll && c.gain > 0);
    const bad = cli(['rewrite', file, '--line', '1', '--col', '1', '--length', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /span is empty/);
    const past = cli(['rewrite', file, '--line', '9999', '--col', '1', '--length', '1']);
    assert.equal(past.code, 2);
    assert.match(past.stderr, /past the end/);
  });
});
