import assert from 'node:assert/strict';
import { ClassifierHead, engineFingerprint } from '../../src/core/heads/discriminator';
import { mulberry32 } from '../../src/core/scoring/math';
import { generate } from '../../src/core/generation/generate';
import { generateReranked } from '../../src/core/generation/headRerank';
import { headProbs, perturbHidden, steerGradient, SteerProblem, steerLoss } from '../../src/core/generation/hiddenPerturbation';
import { generateSteered, HiddenSteerer } from '../../src/core/generation/steering';
import { embedIds } from '../../src/core/heads/embedding';
import { engine } from './helpers';

const PROMPT = 'The committee met on Tuesday and decided that';

async function problem(klScale: number, seed = 3): Promise<SteerProblem> {
  const e = await engine();
  const D = e.config.hiddenSize;
  const ids = [e.bosId, ...e.encode(PROMPT)];
  const res = await e.forward(ids, { hidden: true });
  const V = e.config.vocabSize;
  const L = ids.length;
  const acc = new Float64Array(D);
  for (let p = 1; p < L - 1; p++) for (let j = 0; j < D; j++) acc[j] += res.hidden![p * D + j];
  const head = ClassifierHead.random(D, ['a', 'b', 'c'], engineFingerprint(e), seed);
  const lm = e.lmHead();
  return {
    E: lm.weights,
    V,
    D,
    W: head.weights,
    b: head.bias,
    C: 3,
    target: 1,
    acc,
    count: L - 2,
    h: res.hidden!.slice((L - 1) * D, L * D),
    z: res.logits!.slice((L - 1) * V, L * V),
    klScale,
  };
}

describe('steering: closed-form gradients', function () {
  this.timeout(60000);

  for (const kl of [0, 0.5]) {
    it(`match central finite differences (kl_scale ${kl})`, async () => {
      const P = await problem(kl);
      const r = mulberry32(11);
      let hn = 0;
      for (let j = 0; j < P.D; j++) hn += P.h[j] ** 2;
      hn = Math.sqrt(hn);
      // A non-zero base point, so that the KL term has a non-zero gradient.
      const delta = Float64Array.from({ length: P.D }, () => (r() - 0.5) * 0.05 * hn / Math.sqrt(P.D));
      const { grad } = steerGradient(P, delta);
      const eps = 1e-4 * hn;
      // Directional derivatives along random unit directions, and a few coordinates.
      const dirs: Float64Array[] = [];
      for (let k = 0; k < 4; k++) {
        const u = Float64Array.from({ length: P.D }, () => r() - 0.5);
        const n = Math.sqrt(u.reduce((a, b) => a + b * b, 0));
        dirs.push(u.map((x) => x / n));
      }
      for (const j of [0, 7, P.D - 1]) {
        const u = new Float64Array(P.D);
        u[j] = 1;
        dirs.push(u);
      }
      for (const u of dirs) {
        const plus = delta.map((x, j) => x + eps * u[j]);
        const minus = delta.map((x, j) => x - eps * u[j]);
        const fd = (steerLoss(P, plus).loss - steerLoss(P, minus).loss) / (2 * eps);
        const an = grad.reduce((a, g, j) => a + g * u[j], 0);
        assert.ok(Math.abs(fd - an) <= 1e-5 + 1e-3 * Math.abs(an), `finite difference ${fd} vs analytic ${an}`);
      }
    });
  }

  it('the perturbation raises the head probability of the target class', async () => {
    const P = await problem(0.01);
    const before = headProbs(P, new Float64Array(P.D))[P.target];
    const delta = perturbHidden(P, { stepsize: 0.05, iterations: 3 });
    const after = headProbs(P, delta)[P.target];
    assert.ok(after > before, `${after} <= ${before}`);
    assert.ok(steerLoss(P, delta).ce < steerLoss(P, new Float64Array(P.D)).ce);
    assert.deepEqual(Array.from(perturbHidden(P, { stepsize: 0 })), new Array(P.D).fill(0));
  });
});

describe('steering: generation', function () {
  this.timeout(60000);

  it('stepsize 0 reproduces unsteered sampling exactly', async () => {
    const e = await engine();
    const head = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 5);
    const common = { prompt: PROMPT, seed: 1234, topK: 10, maxTokens: 12, samples: 2, stop: { eos: false } };
    const plain = await generate(e, common);
    const steered = await generateSteered(e, { ...common, head, toward: 'non-toxic', stepsize: 0 });
    assert.deepEqual(steered.samples.map((s) => s.ids), plain.samples.map((s) => s.ids));
    assert.deepEqual(steered.samples.map((s) => s.logprobs), plain.samples.map((s) => s.logprobs));
    assert.ok(plain.samples.every((s) => s.ids.length === 12));
  });

  it('a non-zero stepsize changes the distribution, toward the target class', async () => {
    const e = await engine();
    const head = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 5);
    const common = { prompt: PROMPT, seed: 99, topK: 10, maxTokens: 8, stop: { eos: false } };
    const steered = await generateSteered(e, { ...common, head, toward: 'non-toxic', stepsize: 0.1 });
    const tr = steered.traces[0];
    assert.equal(tr.before.length, 8);
    tr.before.forEach((b, i) => assert.ok(tr.after[i] > b, `step ${i}: ${tr.after[i]} <= ${b}`));
    // The sampled tokens' steered log-probabilities differ from the plain model's (components[0]).
    const s = steered.samples[0];
    assert.ok(s.logprobs.some((lp, i) => Math.abs(lp - s.componentLogprobs[i][0]) > 1e-6));
  });

  it('reranking returns the candidates ordered by head score', async () => {
    const e = await engine();
    const head = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 5);
    const { ranked } = await generateReranked(e, { prompt: PROMPT, seed: 5, topK: 10, maxTokens: 6, candidates: 4, head, toward: 'non-toxic' });
    assert.equal(ranked.length, 4);
    for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1].score >= ranked[i].score);
    for (const r of ranked) assert.ok(r.pToward > 0 && r.pToward < 1);
  });

  it('several outputs from one batch: each is reranked among its own candidates', async () => {
    const e = await engine();
    const head = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 5);
    const opts = { prompt: PROMPT, seed: 9, topK: 10, maxTokens: 6, candidates: 3, head, toward: 'non-toxic' };
    const r = await generateReranked(e, { ...opts, outputs: 2 });
    assert.equal(r.outputs.length, 2);
    assert.equal(r.ranked, r.outputs[0]);
    for (const group of r.outputs) {
      assert.equal(group.length, 3);
      for (let i = 1; i < group.length; i++) assert.ok(group[i - 1].score >= group[i].score);
    }
    // The six samples are the rows of one batch: the same as drawing six candidates at once.
    const all = await generateReranked(e, { ...opts, candidates: 6 });
    const texts = (xs: { text: string }[]) => xs.map((x) => x.text).sort();
    assert.deepEqual(texts(r.outputs.flat()), texts(all.ranked));
  });

  // The parts of the head that Δ does not reach (token embeddings, inner layers) fold into the bias at each step.
  for (const layer of [[0, -1], [0, 2, 5, -1]]) {
    it(`a head over ${JSON.stringify(layer)} is steered with its other layers folded into the bias (the trace matches the head)`, async () => {
      const e = await engine();
      const D = e.config.hiddenSize;
      const r = mulberry32(11);
      const W = Float32Array.from({ length: 2 * layer.length * D }, () => (2 * r() - 1) * 0.2);
      const head = new ClassifierHead(D, ['non-toxic', 'toxic'], W, new Float32Array(2), engineFingerprint(e), { name: 'both', maxTokens: 64, layer });
      assert.ok(head.steerable);
      const steered = await generateSteered(e, { prompt: PROMPT, seed: 7, topK: 10, maxTokens: 5, stop: { eos: false }, head, toward: 'non-toxic', stepsize: 0.1 });
      const tr = steered.traces[0];
      const ids = steered.samples[0].ids;
      const prompt = e.encode(PROMPT);
      // Step k scores the text up to its current position (the prompt and k generated tokens), unperturbed.
      for (let k = 0; k < tr.before.length; k++) {
        const X = await embedIds(e, [[...prompt, ...ids.slice(0, k)]], { layer });
        const want = head.probs(X)[0];
        assert.ok(Math.abs(tr.before[k] - want) < 2e-3, `step ${k}: trace ${tr.before[k]} vs head ${want}`);
        assert.ok(tr.after[k] > tr.before[k], `step ${k}: ${tr.after[k]} <= ${tr.before[k]}`);
      }
    });
  }

  it('heads that steering cannot drive (max pooling, layer 0 alone) are refused with a message; reranking still works', async () => {
    const e = await engine();
    const D = e.config.hiddenSize;
    const fp = engineFingerprint(e);
    const r = mulberry32(12);
    const W = Float32Array.from({ length: 2 * D }, () => (2 * r() - 1) * 0.2);
    for (const meta of [{ pooling: 'max' as const }, { layer: 0 as const }]) {
      const head = new ClassifierHead(D, ['non-toxic', 'toxic'], W, new Float32Array(2), fp, { name: 'odd', maxTokens: 64, ...meta });
      assert.equal(head.steerable, false);
      assert.throws(() => new HiddenSteerer(e, head, 'non-toxic'), /hidden-state steering needs a head over mean-pooled last-layer states.*--rerank/);
      const { ranked } = await generateReranked(e, { prompt: PROMPT, seed: 5, topK: 10, maxTokens: 6, candidates: 3, head, toward: 'non-toxic' });
      const X = await head.embed(e, ranked.map((x) => x.text));
      ranked.forEach((x, i) => assert.ok(Math.abs(x.pToward - head.probs(X, i * head.featureSize)[0]) < 1e-9));
    }
  });
});
