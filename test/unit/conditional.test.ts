import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  conditionalScore,
  formatHeader,
  headerIds,
  inferTags,
  loadConditioning,
  offTagSentences,
  parseTags,
  sentenceRanges,
} from '../../src/core';
import { cli, engine, MODEL_DIR } from './helpers';

const TEXT =
  'The committee voted on Tuesday to approve the new budget for the county schools. ' +
  'Officials said the plan would add two hundred teachers by next fall.';

describe('conditional scoring with tags (real models/default)', function () {
  this.timeout(300000);

  it('reads conditioning.json and formats headers exactly as in training', () => {
    const c = loadConditioning(MODEL_DIR);
    // Tags that describe writing: a small set a writer recognises, news among them.
    assert.ok(c.genres.length >= 5 && c.tags.length >= c.genres.length && c.genres.includes('news'), JSON.stringify(c.genres));
    assert.equal(formatHeader(c, { tags: ['news', 'editorial'] }), c.headerTagsOnly.replace('{tags}', 'news, editorial'));
    assert.equal(
      formatHeader(c, { tags: parseTags(' news ,  editorial'), synopsis: 'A vote.' }),
      c.header.replace('{tags}', 'news, editorial').replace('{synopsis}', 'A vote.'),
    );
    assert.throws(() => formatHeader(c, { tags: [] }), /at least one tag/);
  });

  it('log P(tags + text) − log P(tags) = log P(text | tags)', async () => {
    const e = await engine();
    const c = loadConditioning(MODEL_DIR);
    for (const cond of [{ tags: ['news'] }, { tags: ['fiction', 'mystery'], synopsis: 'A quiet town.' }]) {
      const header = formatHeader(c, cond);
      // Joint: header and text tokenised as one string, as in training.
      const [joint] = await e.sequenceLogprobs([header + TEXT]);
      // The header's tokens are the joint sequence's first tokens.
      const hIds = headerIds(e, header);
      assert.deepEqual(e.encode(header + TEXT).slice(0, hIds.length), hIds);
      const [hlp] = await e.logprobs([[e.bosId, ...hIds]]);
      const marginal = hlp.reduce((a, b) => a + b, 0);
      const s = await conditionalScore(e, c, TEXT, cond);
      assert.ok(Math.abs(joint - marginal - -s.condNll) < 2e-3, `${joint} - ${marginal} vs ${-s.condNll}`);
      // PMI per token sums to the text's PMI; the unconditional part is plain scoring.
      const plain = await e.scoreText(TEXT, { topK: 0, details: false });
      assert.ok(Math.abs(plain.nll - s.nll) < 2e-3);
      const sumPmi = s.tokens.reduce((a, t) => a + t.pmi, 0);
      assert.ok(Math.abs(sumPmi - s.pmi) < 1e-6);
      // Sentences cover the text; their PMIs add up.
      assert.equal(s.sentences.length, 2);
      assert.ok(Math.abs(s.sentences.reduce((a, x) => a + x.pmi, 0) - s.pmi) < 1e-6);
    }
  });

  it('long texts keep the header in every window', async () => {
    const e = await engine();
    const c = loadConditioning(MODEL_DIR);
    const long = (TEXT + ' ').repeat(12);
    const s = await conditionalScore(e, c, long, { tags: ['news'] });
    assert.equal(s.tokens.length, e.encode(long).length);
    assert.ok(s.tokens.every((t) => Number.isFinite(t.pmi)));
    assert.ok(s.tokens.length > e.config.maxPositions);
  });

  it('sentence ranges and off-tag selection', async () => {
    const r = sentenceRanges('One two. Three four!\n\nFive six');
    assert.deepEqual(r.map((x) => x.start), [0, 9, 22]);
    const e = await engine();
    const c = loadConditioning(MODEL_DIR);
    const s = await conditionalScore(e, c, TEXT, { tags: ['python'] });
    const off = offTagSentences(s, { maxPmiPerToken: Infinity, fraction: 1 });
    assert.equal(off.length, 2);
    assert.ok(offTagSentences(s, { maxPmiPerToken: -Infinity }).length === 0);
  });

  it('tag inference ranks tags by P(text | tags) with a normalised posterior', async () => {
    const e = await engine();
    const c = loadConditioning(MODEL_DIR);
    const res = await inferTags(e, c, TEXT, { candidates: c.genres });
    assert.equal(res.ranking.length, c.genres.length);
    for (let i = 1; i < res.ranking.length; i++) assert.ok(res.ranking[i - 1].logprob >= res.ranking[i].logprob);
    const z = res.ranking.reduce((a, r) => a + r.posterior, 0);
    assert.ok(Math.abs(z - 1) < 1e-9);
    // Each candidate's score is its conditional log-likelihood.
    const best = res.ranking[0];
    const s = await conditionalScore(e, c, TEXT, { tags: [best.tag] });
    assert.ok(Math.abs(-s.condNll - best.logprob) < 2e-3);
  });

  it('CLI: tags FILE and score --tags', () => {
    const file = join(__dirname, '..', '..', '..', 'samples', 'sample.md');
    const t = cli(['tags', file, '--format', 'json']);
    assert.equal(t.code, 0, t.stderr);
    const doc = JSON.parse(t.stdout);
    assert.ok(doc.tags.length >= 5 && typeof doc.tags[0].tag === 'string' && typeof doc.tags[0].posterior === 'number');
    const s = cli(['score', file, '--tags', 'news, editorial', '--format', 'json']);
    assert.equal(s.code, 0, s.stderr);
    const sd = JSON.parse(s.stdout);
    assert.deepEqual(sd.tags, ['news', 'editorial']);
    assert.ok(sd.tokens.length > 0 && 'pmi' in sd.tokens[0] && 'nll_unconditional' in sd.tokens[0]);
    assert.ok(Math.abs(sd.nll_unconditional - sd.nll - sd.pmi) < 1e-6);
    const bad = cli(['score', file, '--tags', ' , ']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /at least one tag/);
  });
});
