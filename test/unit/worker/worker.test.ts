/**
 * The engine host used by the extension and bench:edit: block splitting, the worker protocol (offsets, cancellation,
 * crash recovery) and incremental rescoring. Uses the real bundled model and the built dist/worker.js.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hashKey, leftContext, looksBinaryOrHugeLine, maskDocument, splitBlocks } from '../../../src/core/text/blocks';
import { EngineClient } from '../../../src/worker/client';
import { autoOrder, platformInfo } from '../../../src/core/model/providers';
import { DocumentScorer } from '../../../src/worker/document';
import { splitSentences as sentences } from '../../../src/core/text/sentences';
import { BlockScore, CancelledError, WorkerCrashedError } from '../../../src/worker/protocol';

/** The package root this test was built in (searched upwards from the bundled test). */
function packageRoot(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'worker.js'))) return dir;
  }
  throw new Error('dist/worker.js not found: run npm run build');
}
const ROOT = packageRoot();
const WORKER = join(ROOT, 'dist', 'worker.js');
const MODEL_DIR = process.env.PLAUSIBILITY_TEST_MODEL ?? join(ROOT, 'models', 'default');

const PARAS = [
  'The fishing boats came back to the harbour early this morning. The sea was calm, and the sky was clear.',
  'Most of the crew went straight home to sleep after the long night at sea. The captain stayed behind to check the nets.',
  'In the afternoon the market was busy. People bought fresh fish, bread and vegetables near the water.',
  'By the evening the wind had turned, and the boats were tied up safely for the night.',
];

describe('worker: blocks', () => {
  it('masking keeps the length and blanks Markdown code, front matter and HTML comments', () => {
    const md = '---\ntitle: x\n---\nProse one.\n\n```js\nconst a = 1;\n```\n\nProse <!-- hidden --> two.\n';
    const m = maskDocument(md, 'markdown');
    assert.equal(m.length, md.length);
    assert.ok(!m.includes('title') && !m.includes('const') && !m.includes('hidden'));
    assert.ok(m.includes('Prose one.') && m.includes('two.'));
    const blocks = splitBlocks(m);
    assert.deepEqual(
      blocks.map((b) => md.slice(b.start, b.start + b.text.length).replace(/\s+/g, ' ').trim()),
      ['Prose one.', 'Prose <!-- hidden --> two.'],
    );
  });

  it('code files are checked in their comments only, with markers blanked', () => {
    const ts = '// A comment about the code.\nconst s = "// not a comment";\n/**\n * Doc comment here.\n */\nlet x = 1;\n';
    const m = maskDocument(ts, 'typescript');
    assert.equal(m.length, ts.length);
    const blocks = splitBlocks(m).map((b) => b.text.replace(/\s+/g, ' ').trim());
    assert.deepEqual(blocks, ['A comment about the code.', 'Doc comment here.']);
    const py = '# Python comment.\nx = "# no"\n';
    assert.deepEqual(splitBlocks(maskDocument(py, 'python')).map((b) => b.text.trim()), ['Python comment.']);
  });

  it('long paragraphs are cut at sentence ends; blocks map back to the document', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const doc = `${long}\n\n${PARAS[0]}\n`;
    const blocks = splitBlocks(maskDocument(doc, 'plaintext'), 300);
    assert.ok(blocks.length > 3);
    for (const b of blocks) {
      assert.ok(b.text.length <= 300);
      assert.equal(doc.slice(b.start, b.start + b.text.length), b.text);
      assert.match(b.text, /\.$/);
    }
  });

  it('left context is bounded and starts at a word boundary', () => {
    const doc = PARAS.join('\n\n');
    const masked = maskDocument(doc, 'markdown');
    const blocks = splitBlocks(masked);
    assert.equal(leftContext(masked, blocks[0].start, 100), '');
    const ctx = leftContext(masked, blocks[2].start, 60);
    assert.ok(ctx.length <= 62);
    assert.ok(ctx.endsWith('\n\n'));
    assert.ok(doc.includes(ctx.trim()));
  });

  it('hash keys differ for different inputs; binary and huge lines are detected', () => {
    assert.notEqual(hashKey('a', 'bc'), hashKey('ab', 'c'));
    assert.equal(hashKey('x', 'y'), hashKey('x', 'y'));
    assert.equal(looksBinaryOrHugeLine('ab\u0000c'), 'binary');
    assert.equal(looksBinaryOrHugeLine('x'.repeat(30_000)), 'huge-line');
    assert.equal(looksBinaryOrHugeLine('fine\ntext'), undefined);
  });

  it('sentences are found inside a block', () => {
    assert.deepEqual(
      sentences('One two. Three four! Five').map((s) => [s.start, s.end]),
      [
        [0, 8],
        [9, 20],
        [21, 25],
      ],
    );
  });
});

describe('worker: protocol and recovery', function () {
  this.timeout(180000);
  let client: EngineClient;

  before(async () => {
    client = new EngineClient({ workerPath: WORKER, initialBackoffMs: 50 });
    await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu' });
  });
  after(async () => client.dispose());

  it('scores items after their context; offsets tile the text exactly', async () => {
    const text = 'The sea was calm, and the sky was clear. Émilie 👩‍💻 wrote «ceci» — 漢字.';
    const blocks: BlockScore[] = [];
    const r = await client.request(
      'score',
      { items: [{ key: 'k', context: `${PARAS[0]}\n\n`, text }], topK: 5 },
      { onPartial: (b) => blocks.push(b) },
    );
    assert.equal(r.scored, 1);
    const b = blocks[0];
    assert.equal(b.key, 'k');
    let rebuilt = '';
    for (let i = 0; i < b.starts.length; i++) {
      if (i > 0) assert.equal(b.starts[i], b.ends[i - 1]);
      rebuilt += text.slice(b.starts[i], b.ends[i]);
      assert.ok(Number.isFinite(b.bits[i]) && b.bits[i] >= 0);
      assert.ok(b.ranks[i] >= 1);
      assert.ok(b.positions[i] > 10, 'positions count the context tokens');
      assert.ok(b.topIds[i * 5] >= 0 && b.vocab[b.topIds[i * 5]] !== undefined);
    }
    assert.equal(rebuilt, text);
  });

  it('a cancelled request rejects with CancelledError and the worker keeps serving', async () => {
    const items = Array.from({ length: 48 }, (_, i) => ({ key: `c${i}`, context: '', text: `${PARAS[i % 4]} (${i})` }));
    const ac = new AbortController();
    // Abort once the first batch is back, so the request is surely still running, however fast the machine.
    const p = client.request('score', { items, topK: 5 }, { signal: ac.signal, onPartial: () => ac.abort() });
    await assert.rejects(p, CancelledError);
    const ok = await client.request('score', { items: [{ key: 'after', context: '', text: PARAS[1] }], topK: 1 });
    assert.equal(ok.scored, 1);
  });

  it('a crashed worker is restarted with the model reloaded, and in-flight requests fail clearly', async () => {
    const restarted = new Promise<void>((res) => client.onRestart(() => res()));
    let crashes = 0;
    client.onCrash(() => crashes++);
    await assert.rejects(client.request('crash', { how: 'exit' }), WorkerCrashedError);
    await restarted;
    assert.equal(crashes, 1);
    assert.equal(client.restarts, 1);
    const r = await client.request('score', { items: [{ key: 'x', context: '', text: PARAS[2] }], topK: 1 });
    assert.equal(r.scored, 1);
  });
});

describe('worker: a crash is reported with its cause', function () {
  this.timeout(180000);

  it('an uncaught error in the worker process names the error; a kill names the signal', async () => {
    const client = new EngineClient({ workerPath: WORKER, initialBackoffMs: 50 });
    try {
      const reasons: string[] = [];
      client.onCrash((c) => reasons.push(c.reason));
      let restarted = new Promise<void>((res) => client.onRestart(() => res()));
      await client.request('ping', {});
      // The worker answers, then throws on its next turn: the answer may or may not get out first.
      void client.request('crash', { how: 'throw' }).catch(() => undefined);
      await restarted;
      assert.match(reasons[0], /crash requested/);
      const pid = client.workerPid;
      assert.ok(pid && pid !== process.pid, 'the worker is a separate process');
      restarted = new Promise<void>((res) => client.onRestart(() => res()));
      await client.killWorkerForTest();
      await restarted;
      assert.match(reasons[1], /SIGKILL/);
      assert.notEqual(client.workerPid, pid);
      assert.equal((await client.request('ping', {})).pid, client.workerPid);
    } finally {
      await client.dispose();
    }
  });
});

describe('worker: execution provider and precision', function () {
  this.timeout(180000);

  it('auto is planned by the engine: the provider in use and every skipped one (with its reason) are reported', async () => {
    const client = new EngineClient({ workerPath: WORKER });
    try {
      const info = await client.load({ modelDir: MODEL_DIR, executionProvider: 'auto' });
      const order = autoOrder(platformInfo());
      assert.ok(order.includes(info.provider), info.provider);
      assert.deepEqual(
        info.skippedProviders.map((s) => s.name),
        order.slice(0, order.indexOf(info.provider)),
      );
      for (const s of info.skippedProviders) assert.ok(s.reason.length > 0);
    } finally {
      await client.dispose();
    }
  });

  it('a precision variant the folder lacks fails the load clearly', async () => {
    const client = new EngineClient({ workerPath: WORKER });
    try {
      await assert.rejects(
        client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu', variant: 'fp16' }),
        /ONNX model not found: .*model_fp16\.onnx/,
      );
      const info = await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu', variant: 'fp32' });
      assert.equal(info.provider, 'cpu');
    } finally {
      await client.dispose();
    }
  });
});

describe('worker: incremental document scoring', function () {
  this.timeout(180000);
  let client: EngineClient;

  before(async () => {
    client = new EngineClient({ workerPath: WORKER });
  });
  after(async () => client.dispose());

  it('an edit rescores only the blocks it touches, and the result equals a full rescore', async () => {
    const info = await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu' });
    // Paragraphs longer than a block's left context (the model's window), so an edit reaches at most the next block.
    const long = (p: string) => `${p} ${p} ${p} ${p}`;
    const doc = [...PARAS.map(long), ...PARAS.map((p) => long(`Later, ${p.charAt(0).toLowerCase()}${p.slice(1)}`))].join('\n\n') + '\n';
    const inc = new DocumentScorer(client);
    inc.setModel(info);
    const first = await inc.score(doc, 'markdown');
    assert.equal(first.rescored, first.blocks.length);
    assert.ok(first.blocks.length >= 8);
    const at = doc.indexOf('vegetables');
    const edited = doc.slice(0, at) + 'apples' + doc.slice(at + 'vegetables'.length);
    const second = await inc.score(edited, 'markdown');
    assert.ok(second.rescored >= 1 && second.rescored <= 2, `rescored ${second.rescored}`);
    assert.equal(second.reused, second.blocks.length - second.rescored);

    const full = new DocumentScorer(client);
    full.setModel(info);
    const fresh = await full.score(edited, 'markdown');
    assert.equal(fresh.blocks.length, second.blocks.length);
    for (let i = 0; i < fresh.blocks.length; i++) {
      const a = fresh.blocks[i].score;
      const b = second.blocks[i].score;
      assert.deepEqual(Array.from(a.starts), Array.from(b.starts));
      for (let j = 0; j < a.bits.length; j++) assert.ok(Math.abs(a.bits[j] - b.bits[j]) < 1e-3);
    }
    assert.deepEqual(
      fresh.findings.map((f) => [f.start, f.end]),
      second.findings.map((f) => [f.start, f.end]),
    );
    // Hover details for a token of the edited word.
    const t = inc.tokenAt(edited.indexOf('apples') + 1);
    assert.ok(t && t.alternatives.length > 0 && t.sentence.tokens > 0);
    inc.clear();
    assert.equal(inc.cachedBlocks, 0);
  });
});
