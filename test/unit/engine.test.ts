import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, FeatureUnavailableError, ModelLoadError } from '../../src/core';
import { engine, MODEL_DIR } from './helpers';

const PARA =
  'The history of the town goes back to the twelfth century, when a small market grew up around the bridge. ' +
  'Over the following centuries it became an important centre for the wool trade, and many of its older houses ' +
  'still stand along the main street.';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
}

describe('engine (real models/default)', function () {
  this.timeout(180000);

  it('loads config, tokenizer and session; reports capabilities', async () => {
    const e = await engine();
    assert.ok(e.config.numLayers > 0 && e.config.vocabSize > 0 && e.config.maxPositions > 0);
    assert.equal(e.info.provider, 'cpu');
    assert.ok(e.info.inputNames.includes('input_ids'));
    assert.ok(e.info.outputNames.includes('logits'));
    assert.equal(e.info.hasKvCache, true);
  });

  it('matches the PyTorch reference (parity.json) within 1e-3 nats per token', async () => {
    const e = await engine();
    const parity = JSON.parse(readFileSync(join(MODEL_DIR, 'parity.json'), 'utf8')) as {
      bos_token_id: number;
      texts: { text: string; ids: number[]; logprobs: number[] }[];
    };
    assert.equal(parity.bos_token_id, e.bosId);
    assert.ok(parity.texts.length > 0);
    let maxDiff = 0;
    for (const t of parity.texts) {
      // The engine tokenises the text the same way the pipeline did (the fixture may truncate to the context).
      assert.deepEqual([e.bosId, ...e.encode(t.text)].slice(0, t.ids.length), t.ids);
      const [lp] = await e.logprobs([t.ids]);
      assert.equal(lp.length, t.logprobs.length);
      for (let i = 0; i < lp.length; i++) maxDiff = Math.max(maxDiff, Math.abs(lp[i] - t.logprobs[i]));
      const s = await e.scoreText(t.text, { topK: 0 });
      for (let i = 0; i < t.logprobs.length; i++) close(s.tokens[i].logprob, t.logprobs[i], 1e-3, 'scoreText vs parity');
    }
    assert.ok(maxDiff <= 1e-3, `max |diff| = ${maxDiff}`);
  });

  it('scoreText: no BOS row, finite values, text equals its slice, sane metrics', async () => {
    const e = await engine();
    const s = await e.scoreText(PARA);
    assert.equal(s.tokens.length, e.encode(PARA).length);
    for (const t of s.tokens) {
      assert.ok(Number.isFinite(t.nll) && t.nll >= 0);
      assert.equal(t.text, PARA.slice(t.start, t.end));
      assert.ok(t.prob > 0 && t.prob <= 1);
      assert.ok(Number.isInteger(t.rank) && t.rank >= 1 && t.rank <= e.vocabSize);
      assert.ok(t.entropy >= 0 && t.entropy <= Math.log(e.vocabSize) + 1e-6);
      assert.equal(t.top.length, 5);
      for (let k = 1; k < t.top.length; k++) assert.ok(t.top[k - 1].prob >= t.top[k].prob);
      if (t.rank === 1) assert.equal(t.top[0].id, t.id);
      close(t.bits, t.nll / Math.LN2, 1e-9, 'bits');
    }
    close(s.perplexity, Math.exp(s.nll / s.tokenCount), 1e-9, 'perplexity');
    close(s.bitsPerByte, s.nll / Math.LN2 / Buffer.byteLength(PARA), 1e-9, 'bpb');
    close(s.wordPerplexity, Math.exp(s.nll / PARA.split(/\s+/).length), 1e-9, 'word ppl');
    // An English paragraph should be far better than uniform.
    assert.ok(s.perplexity < e.vocabSize / 4, `perplexity ${s.perplexity}`);
  });

  it('KV-cache continuation equals scoring from scratch', async () => {
    const e = await engine();
    const ids = [e.bosId, ...e.encode(PARA)].slice(0, Math.min(60, e.config.maxPositions));
    const V = e.vocabSize;
    const full = await e.forward(ids);
    const cut = 23;
    const a = await e.forward(ids.slice(0, cut), { presents: true });
    const b = await e.forward(ids.slice(cut), { past: a.presents });
    assert.equal(a.presents!.length, cut);
    let maxDiff = 0;
    for (let p = cut; p < ids.length; p++) {
      for (let j = 0; j < V; j += 7) {
        maxDiff = Math.max(maxDiff, Math.abs(full.logits![p * V + j] - b.logits![(p - cut) * V + j]));
      }
    }
    assert.ok(maxDiff < 1e-3, `max logit diff ${maxDiff}`);
    // Token-by-token continuation, too.
    let past = (await e.forward(ids.slice(0, 5), { presents: true })).presents!;
    for (let p = 5; p < 9; p++) {
      const r = await e.forward([ids[p]], { past, presents: true });
      for (let j = 0; j < V; j += 11) close(r.logits![j], full.logits![p * V + j], 1e-3, `step ${p}`);
      past = r.presents!;
    }
  });

  it('conditional NLL: joint minus marginal equals conditional; empty context is right after BOS', async () => {
    const e = await engine();
    const ctx = 'The weather today is';
    const cont = ' sunny and warm.';
    const c = await e.conditionalNll(ctx, cont);
    const ctxIds = e.encode(ctx);
    const [joint, marginal] = await e.logprobs([
      [e.bosId, ...ctxIds, ...e.encode(cont)],
      [e.bosId, ...ctxIds],
    ]);
    const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
    close(-(sum(joint) - sum(marginal)), c.nll, 1e-6, 'identity');
    assert.equal(c.tokens, e.encode(cont).length);
    const empty = await e.conditionalNll('', 'The cat sat.');
    const [alone] = await e.sequenceLogprobs(['The cat sat.']);
    close(empty.nll, -alone, 1e-6, 'empty context');
  });

  it('batched padded scoring equals unbatched', async () => {
    const e = await engine();
    const texts = ['Hi.', PARA, 'A much shorter sentence about dogs.', 'Two words', PARA.slice(0, 90)];
    const batched = await e.scoreBatch(texts, { topK: 3 });
    for (let i = 0; i < texts.length; i++) {
      const alone = await e.scoreText(texts[i], { topK: 3 });
      assert.equal(batched[i].tokens.length, alone.tokens.length);
      for (let k = 0; k < alone.tokens.length; k++) {
        close(batched[i].tokens[k].logprob, alone.tokens[k].logprob, 1e-4, `text ${i} token ${k}`);
        assert.equal(batched[i].tokens[k].rank, alone.tokens[k].rank);
      }
    }
    const lp = await e.sequenceLogprobs(texts, { batchRows: 2 });
    for (let i = 0; i < texts.length; i++) close(lp[i], -batched[i].nll, 1e-3, `sequenceLogprobs ${i}`);
  });

  it('sliding windows score every token once with overlap context; equal to full scoring when the window fits', async () => {
    const e = await engine();
    const text = (PARA + ' ').repeat(3);
    const n = e.encode(text).length;
    const W = 32;
    const s = await e.scoreText(text, { window: W, stride: 16, topK: 0 });
    assert.equal(s.tokens.length, n);
    for (const t of s.tokens) {
      assert.ok(Number.isFinite(t.nll));
      assert.ok(t.context <= W);
      if (t.position >= W) assert.ok(t.context >= W - 16, `context ${t.context} at ${t.position}`);
    }
    const big = Math.min(e.config.maxPositions, 1024);
    if (n + 1 <= big) {
      const full = await e.scoreText(text, { window: big, topK: 0 });
      for (let i = 0; i < W - 1; i++) close(s.tokens[i].logprob, full.tokens[i].logprob, 1e-4, `window prefix ${i}`);
    }
    const rows = e.plan([[e.bosId, ...e.encode(text)]], { window: W, stride: 16 });
    for (const r of rows) {
      assert.ok(r.ids.length <= W);
      assert.equal(r.ids[0], e.bosId);
    }
  });

  it('long documents beyond the model context are scored in windows', async () => {
    const e = await engine();
    const text = (PARA + '\n\n').repeat(Math.ceil((e.config.maxPositions * 2.5) / 50));
    const s = await e.scoreText(text, { topK: 0, details: false });
    assert.ok(s.tokenCount > e.config.maxPositions);
    assert.ok(s.tokens.every((t) => Number.isFinite(t.nll)));
  });

  it('hidden states and LM head are available on the project model, and consistent with logits', async () => {
    const e = await engine();
    if (!e.info.hasHiddenState || !e.info.hasLmHead) return; // third-party model: covered below
    const ids = [e.bosId, ...e.encode('Hello there.')];
    const r = await e.forward(ids, { hidden: true });
    const { weights, vocab, dim } = e.lmHead();
    assert.equal(vocab, e.vocabSize);
    assert.equal(dim, e.config.hiddenSize);
    const last = ids.length - 1;
    for (const j of [0, 1, 17 % vocab, vocab - 1]) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += r.hidden![last * dim + d] * weights[j * dim + d];
      close(dot, r.logits![last * vocab + j], 1e-2, `lm head row ${j}`);
    }
  });

  describe('clear errors for broken model folders', () => {
    let tmp: string;
    before(() => {
      tmp = mkdtempSync(join(tmpdir(), 'plaus-model-'));
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    const copy = (name: string): string => {
      const d = join(tmp, name);
      cpSync(MODEL_DIR, d, { recursive: true });
      return d;
    };
    const rejects = async (dir: string, re: RegExp) => {
      await assert.rejects(Engine.load(dir), (err: unknown) => {
        assert.ok(err instanceof ModelLoadError, `not a ModelLoadError: ${err}`);
        assert.match((err as Error).message, re);
        return true;
      });
    };

    it('missing folder', async () => rejects(join(tmp, 'nope'), /model folder not found/));
    it('missing config.json', async () => {
      const d = copy('noconfig');
      rmSync(join(d, 'config.json'));
      await rejects(d, /lacks config\.json/);
    });
    it('corrupt tokenizer.json', async () => {
      const d = copy('badtok');
      writeFileSync(join(d, 'tokenizer.json'), '{"model": {"type": "BPE", "vocab": {');
      await rejects(d, /tokenizer\.json is not valid JSON/);
    });
    it('missing onnx/model.onnx', async () => {
      const d = copy('noonnx');
      rmSync(join(d, 'onnx', 'model.onnx'));
      if (existsSync(join(d, 'onnx', 'model.onnx_data'))) rmSync(join(d, 'onnx', 'model.onnx_data'));
      await rejects(d, /ONNX model not found/);
    });
    it('truncated onnx/model.onnx', async () => {
      const d = copy('trunc');
      const p = join(d, 'onnx', 'model.onnx');
      const buf = readFileSync(p);
      writeFileSync(p, buf.subarray(0, Math.floor(buf.length / 3)));
      await rejects(d, /could not be loaded|corrupt|truncated/);
    });
    it('config.json that disagrees with the graph', async () => {
      const d = copy('badcfg');
      const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      for (const k of ['n_layer', 'num_hidden_layers']) if (k in cfg) cfg[k] = cfg[k] + 3;
      writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
      await rejects(d, /lacks input "past_key_values|past layers/);
    });
    it('a model without hidden states / LM head says so plainly and still scores', async () => {
      const d = copy('thirdparty');
      rmSync(join(d, 'lm_head.bin'), { force: true });
      const e = await Engine.load(d);
      try {
        assert.throws(() => e.lmHead(), (err: unknown) => err instanceof FeatureUnavailableError && /lm_head/.test((err as Error).message));
        const s = await e.scoreText('Still works.');
        assert.ok(s.tokenCount > 0);
      } finally {
        await e.dispose();
      }
    });
  });
});
