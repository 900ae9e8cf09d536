/**
 * The scoring head appended to the graph at load time (log-softmax, gather, rank, entropy, top-k inside onnxruntime)
 * gives the same scores as the JavaScript path on the real model, batched or not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/core';
import { appendScoringHead, HEAD_INPUTS, HEAD_OUTPUTS, readGraphFacts } from '../../src/core/model/scoringHead';
import { MODEL_DIR } from './helpers';

const TEXTS = [
  'The cat sat on the mat.',
  'Hi.',
  'The results, however, were not what the committee had expected: costs rose by 12% in 1961.',
  'Café naïve façade — “quoted” text… and an emoji 🙂 here.',
  'Colorless green ideas sleep furiously. '.repeat(12),
];

describe('scoring head (real models/default)', function () {
  this.timeout(600000);
  let head: Engine;
  let js: Engine;
  before(async () => {
    head = await Engine.load(MODEL_DIR, { intraOpNumThreads: 2 });
    js = await Engine.load(MODEL_DIR, { intraOpNumThreads: 2, scoringHead: false });
  });
  after(async () => {
    await head?.dispose();
    await js?.dispose();
  });

  it('is appended to the graph without touching the rest', async () => {
    const bytes = readFileSync(join(MODEL_DIR, 'onnx', 'model.onnx'));
    const facts = readGraphFacts(bytes);
    assert.ok(facts.opset >= 11);
    assert.equal(facts.logitsType, 1);
    const fused = appendScoringHead(bytes);
    const after = readGraphFacts(fused);
    for (const n of [...Object.values(HEAD_INPUTS), ...Object.values(HEAD_OUTPUTS)]) assert.ok(after.names.has(n), n);
    for (const n of facts.names) assert.ok(after.names.has(n), n);
    assert.throws(() => appendScoringHead(fused), /already has a value named/);
    const s = await ort.InferenceSession.create(fused);
    assert.ok(s.outputNames.includes('logits') && s.outputNames.includes(HEAD_OUTPUTS.topId));
    // With plausibility_score false the head does not run at all: even out-of-range targets are never read.
    const cfg = head.config;
    const i64 = (a: number[], d: number[]) => new ort.Tensor('int64', BigInt64Array.from(a.map(BigInt)), d);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64([head.bosId, 5], [1, 2]),
      attention_mask: i64([1, 1], [1, 2]),
      position_ids: i64([0, 1], [1, 2]),
      [HEAD_INPUTS.targets]: i64([1e9, 1e9], [1, 2]),
      [HEAD_INPUTS.k]: i64([1], [1]),
      [HEAD_INPUTS.details]: new ort.Tensor('bool', [true], [1]),
      [HEAD_INPUTS.score]: new ort.Tensor('bool', [false], [1]),
    };
    for (const n of s.inputNames)
      if (n.startsWith('past_key_values.'))
        feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.numKvHeads, 0, cfg.headDim]);
    const r = await s.run(feeds);
    assert.equal(r[HEAD_OUTPUTS.logprob].data.length, 0);
    assert.equal(r['logits'].dims[2], cfg.vocabSize);
    feeds[HEAD_INPUTS.score] = new ort.Tensor('bool', [true], [1]);
    await assert.rejects(() => s.run(feeds), /out of range|Out of range/i);
    await s.release();
    assert.equal(head.info.hasScoringHead, true);
    assert.equal(js.info.hasScoringHead, false);
  });

  it('scoreBatch equals the JavaScript path: log-probabilities, ranks, entropies, top-5', async () => {
    const a = await head.scoreBatch(TEXTS, { topK: 5 });
    const b = await js.scoreBatch(TEXTS, { topK: 5 });
    let rankMismatch = 0;
    let n = 0;
    a.forEach((sa, i) => {
      const sb = b[i];
      assert.equal(sa.tokens.length, sb.tokens.length);
      sa.tokens.forEach((ta, j) => {
        const tb = sb.tokens[j];
        n++;
        assert.equal(ta.id, tb.id);
        assert.equal(ta.text, tb.text);
        assert.ok(Math.abs(ta.logprob - tb.logprob) < 1e-4, `text ${i} token ${j}: ${ta.logprob} vs ${tb.logprob}`);
        assert.ok(Math.abs(ta.entropy - tb.entropy) < 1e-3, `entropy ${ta.entropy} vs ${tb.entropy}`);
        if (ta.rank !== tb.rank) rankMismatch++;
        assert.ok(Math.abs(ta.rank - tb.rank) <= 1, `rank ${ta.rank} vs ${tb.rank}`);
        assert.equal(ta.top.length, 5);
        ta.top.forEach((x, k) => {
          assert.ok(Math.abs(x.prob - tb.top[k].prob) < 1e-5, `top prob ${x.prob} vs ${tb.top[k].prob}`);
          if (x.id !== tb.top[k].id) assert.ok(Math.abs(x.prob - tb.top[k].prob) < 1e-6, 'only ties may swap');
          else assert.equal(x.token, tb.top[k].token);
        });
      });
      assert.ok(Math.abs(sa.nll - sb.nll) < 1e-3);
    });
    assert.ok(rankMismatch <= n / 100, `${rankMismatch} of ${n} ranks differ (ties only)`);
  });

  it('topK 0 and details false behave as before', async () => {
    const [a] = await head.scoreBatch([TEXTS[2]], { topK: 0, details: false });
    const [b] = await js.scoreBatch([TEXTS[2]], { topK: 0, details: false });
    a.tokens.forEach((t, j) => {
      assert.equal(t.top.length, 0);
      assert.ok(Number.isNaN(t.rank) && Number.isNaN(t.entropy));
      assert.ok(Math.abs(t.logprob - b.tokens[j].logprob) < 1e-4);
    });
  });

  it('logprobs: batched, padded and windowed through the head equal the JavaScript path', async () => {
    const seqs = TEXTS.map((t) => [head.bosId, ...head.encode(t)]);
    const opts = { window: 24, stride: 8 };
    const a = await head.logprobs(seqs, opts);
    const b = await js.logprobs(seqs, opts);
    const one = await Promise.all(seqs.map(async (s) => (await head.logprobs([s], { ...opts, batchRows: 1 }))[0]));
    a.forEach((x, i) => {
      assert.equal(x.length, seqs[i].length - 1);
      x.forEach((v, j) => {
        assert.ok(Math.abs(v - b[i][j]) < 1e-4, `seq ${i} pos ${j}: ${v} vs ${b[i][j]}`);
        assert.ok(Math.abs(v - one[i][j]) < 1e-4, `batched vs alone, seq ${i} pos ${j}`);
      });
    });
  });

  it('forward() still returns logits, and the head outputs on request', async () => {
    const ids = [head.bosId, ...head.encode('The cat sat on the mat.')];
    const plain = await head.forward(ids);
    const ref = await js.forward(ids);
    assert.equal(plain.logits!.length, ref.logits!.length);
    let d = 0;
    for (let i = 0; i < ref.logits!.length; i++) d = Math.max(d, Math.abs(plain.logits![i] - ref.logits![i]));
    assert.ok(d < 1e-4, `logits differ by ${d}`);
    const targets = [[...ids.slice(1), 0]];
    const r = await head.forward(ids, { scoring: { targets, k: 3 } });
    assert.equal(r.logits, undefined);
    assert.equal(r.scoring!.k, 3);
    assert.equal(r.scoring!.logprob.length, ids.length);
    assert.equal(r.scoring!.greater.length, ids.length);
    const lean = await head.forward(ids, { scoring: { targets, k: 1, details: false } });
    assert.equal(lean.scoring!.greater.length, 0, 'no rank/entropy pass without details');
    assert.equal(lean.scoring!.negEntropy.length, 0);
    assert.deepEqual(Array.from(lean.scoring!.logprob), Array.from(r.scoring!.logprob));
    await assert.rejects(() => head.forward(ids, { scoring: { targets: [ids.map(() => 1e9)], k: 1 } }), /out of range/);
    await assert.rejects(() => js.forward(ids, { scoring: { targets, k: 1 } }), /without the scoring head/);
  });
});
