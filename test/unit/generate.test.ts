import assert from 'node:assert/strict';
import {
  chooseToken,
  combineLogprobs,
  ContextDistribution,
  endsSentence,
  generate,
  generatePoe,
  logSoftmax,
  ProductOfExperts,
  Rng,
  sample,
} from '../../src/core';
import { cli, engine } from './helpers';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
}

describe('generation and product of experts (real models/default)', function () {
  this.timeout(300000);

  it('the seeded RNG is reproducible and uniform-looking', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    close(mean, 0.5, 0.05, 'mean');
  });

  it('top-k 1 and temperature 0 are greedy; top-p keeps the nucleus', () => {
    const lp = logSoftmax(Float64Array.from([1, 3, 2, 0.5]), 0, 4);
    const r = new Rng(1);
    assert.equal(chooseToken(lp, { temperature: 0 }, r), 1);
    assert.equal(chooseToken(lp, { topK: 1 }, r), 1);
    for (let i = 0; i < 50; i++) {
      assert.ok([1, 2].includes(chooseToken(lp, { topK: 2 }, r)));
      // p(1) ≈ 0.63 < 0.7, so the nucleus at 0.7 is {1, 2}
      assert.ok([1, 2].includes(chooseToken(lp, { topP: 0.7 }, r)));
    }
  });

  it('same seed, same tokens; EOS/newline/sentence/max-token stops', async () => {
    const e = await engine();
    const opts = { prompt: 'The river ran', seed: 7, maxTokens: 12, temperature: 1, topK: 50 };
    const a = await generate(e, opts);
    const b = await generate(e, opts);
    assert.deepEqual(a.samples[0].ids, b.samples[0].ids);
    assert.deepEqual(a.samples[0].logprobs, b.samples[0].logprobs);
    assert.ok(a.samples[0].ids.length <= 12);
    const nl = await generate(e, { prompt: 'The river ran', seed: 3, maxTokens: 60, stop: { newline: true } });
    assert.ok(!/[\r\n]/.test(nl.samples[0].text), 'no newline kept');
    const st = await generate(e, { prompt: 'The river ran', seed: 3, maxTokens: 60, stop: { sentence: true } });
    if (st.samples[0].stopReason === 'sentence') assert.ok(endsSentence(st.samples[0].text));
    assert.ok(endsSentence('He left.') && endsSentence('Really?"') && !endsSentence('Mr.') && !endsSentence('the'));
  });

  it('KV-cached generation equals uncached generation (greedy tokens and log-probs)', async () => {
    const e = await engine();
    const prompt = 'On Sunday morning we walked along the river to the old mill. The path was';
    const cached = await generate(e, { prompt, greedy: true, maxTokens: 24, stop: { eos: false } });
    const uncached = await generate(e, { prompt, greedy: true, maxTokens: 24, stop: { eos: false }, useCache: false });
    assert.deepEqual(cached.samples[0].ids, uncached.samples[0].ids);
    cached.samples[0].logprobs.forEach((lp, i) => close(lp, uncached.samples[0].logprobs[i], 1e-3, `token ${i}`));
    // Several samples in one batch equal the same samples drawn with and without the cache.
    const s1 = await generate(e, { prompt, seed: 11, samples: 3, maxTokens: 10, stop: { eos: false } });
    const s2 = await generate(e, { prompt, seed: 11, samples: 3, maxTokens: 10, stop: { eos: false }, useCache: false });
    assert.deepEqual(s1.samples.map((s) => s.ids), s2.samples.map((s) => s.ids));
  });

  it('cancels through an AbortSignal', async () => {
    const e = await engine();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(generate(e, { prompt: 'A', signal: ac.signal }), (err: Error) => err.name === 'AbortError');
  });

  it('with one expert of weight 1, PoE equals plain sampling (same seed: same tokens and log-probs)', async () => {
    const e = await engine();
    const ctx = 'I am a cat.';
    const prefix = [e.bosId, ...e.encode(ctx)];
    for (const seed of [1, 2, 3]) {
      const opts = { seed, maxTokens: 16, temperature: 0.9, topP: 0.95, stop: { eos: false } };
      const plain = await sample(e, new ContextDistribution(e, prefix), opts);
      const poe = await sample(e, new ProductOfExperts(e, [prefix], [1]), opts);
      assert.deepEqual(poe.samples[0].ids, plain.samples[0].ids, `seed ${seed}`);
      poe.samples[0].logprobs.forEach((lp, i) => close(lp, plain.samples[0].logprobs[i], 1e-9, `seed ${seed} token ${i}`));
    }
  });

  it("a PoE token's log-prob is the normalised weighted sum of the experts' log-probs", async () => {
    const e = await engine();
    const experts = [
      { context: 'I am a cat.', weight: 1 },
      { context: 'I am a dog.', weight: 0.7 },
      { context: 'The weather is cold.', weight: -0.4 },
    ];
    const res = await generatePoe(e, experts, { seed: 5, maxTokens: 8, prompt: ' I', stop: { eos: false } });
    const s = res.samples[0];
    const V = e.vocabSize;
    // Recompute every step from scratch: each expert's full distribution, combined by hand.
    const prompt = e.encode(' I');
    for (let t = 0; t < s.ids.length; t++) {
      const rows: Float64Array[] = [];
      for (const x of experts) {
        const ids = [e.bosId, ...e.encode(x.context), ...prompt, ...s.ids.slice(0, t)];
        const out = await e.forward(ids);
        rows.push(logSoftmax(out.logits!, (ids.length - 1) * V, V));
      }
      const sum = new Float64Array(V);
      rows.forEach((r, i) => r.forEach((v, j) => (sum[j] += experts[i].weight * v)));
      let max = -Infinity;
      for (const v of sum) max = Math.max(max, v);
      let z = 0;
      for (const v of sum) z += Math.exp(v - max);
      const expected = sum[s.ids[t]] - max - Math.log(z);
      close(s.logprobs[t], expected, 1e-4, `step ${t}`);
      close(combineLogprobs(rows, experts.map((x) => x.weight))[s.ids[t]], expected, 1e-9, `combine ${t}`);
    }
    // Each expert's reported conditional NLL is its own NLL of the continuation.
    for (const [i, x] of experts.entries()) {
      const c = await e.conditionalNll(x.context, '');
      assert.equal(c.tokens, 0);
      const ids = [e.bosId, ...e.encode(x.context), ...prompt, ...s.ids];
      const lps = await e.logprobs([ids]);
      const from = 1 + e.encode(x.context).length - 1;
      const nll = -Array.from(lps[0].subarray(from)).reduce((a, b) => a + b, 0);
      close(s.experts[i].condNll, nll, 1e-3, `expert ${i} cond_nll`);
    }
  });

  it('rejects bad expert sets and a prompt that cannot fit', async () => {
    const e = await engine();
    await assert.rejects(generatePoe(e, [{ context: 'a', weight: -1 }]), /positive weight/);
    const long = 'word '.repeat(e.config.maxPositions * 2);
    await assert.rejects(generatePoe(e, [], { prompt: long, maxTokens: 8 }), /window/);
  });
});

describe('CLI generate (real models/default)', function () {
  this.timeout(300000);

  it('prints {text, tokens, experts:[{context, weight, cond_nll}]} and is reproducible with --seed', () => {
    const args = ['generate', '--expert', 'I am a cat.', '--expert', 'I am a dog.', '--weight', '0.5', '--seed', '4', '--max-tokens', '8', '--format', 'json'];
    const a = cli(args);
    assert.equal(a.code, 0, a.stderr);
    const doc = JSON.parse(a.stdout);
    assert.equal(typeof doc.text, 'string');
    assert.equal(typeof doc.tokens, 'number');
    assert.ok(doc.tokens >= 0 && doc.tokens <= 8);
    assert.deepEqual(doc.experts.map((x: { context: string; weight: number }) => [x.context, x.weight]), [['I am a cat.', 1], ['I am a dog.', 0.5]]);
    for (const x of doc.experts) assert.ok(Number.isFinite(x.cond_nll) && x.cond_nll >= 0);
    assert.deepEqual(JSON.parse(cli(args).stdout), doc);
    const plain = cli(['generate', '--prompt', 'The', '--max-tokens', '4', '--seed', '1', '--format', 'json']);
    assert.equal(plain.code, 0, plain.stderr);
    const p = JSON.parse(plain.stdout);
    assert.ok(p.text.startsWith('The'));
    assert.deepEqual(p.experts.map((x: { context: string }) => x.context), ['']);
  });

  it('usage errors exit 2 with a message', () => {
    const w = cli(['generate', '--weight', '2']);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /--weight must follow an --expert/);
    const t = cli(['generate', '--top-p', '0']);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--top-p/);
  });
});
