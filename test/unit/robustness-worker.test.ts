/**
 * Robustness, part 2 (real model, real worker, no mocks): a typing storm through the worker protocol, a worker
 * killed in the middle of a request, and broken model folders.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine } from '../../src/core/engine';
import { ModelLoadError } from '../../src/core/errors';
import { preflightModelDir } from '../../src/core/model/modelCheck';
import { validateModelDir } from '../../src/core/model/validateModel';
import { EngineClient } from '../../src/worker/client';
import { DocumentScorer } from '../../src/worker/document';
import { CancelledError, RemoteError, WorkerCrashedError } from '../../src/worker/protocol';
import { MODEL_DIR, ROOT } from './helpers';

const WORKER = join(ROOT, 'dist', 'worker.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * RSS of this process plus the engine worker's process, after full collections of both isolates (the worker's heap
 * holds the tensors of its KV caches).
 */
async function settledRssMb(client: EngineClient): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    const p = await client.request('ping', { gc: true });
    assert.ok(p.gcRan, 'the worker isolate was collected');
    await sleep(150);
  }
  const worker = await client.request('ping', {});
  return process.memoryUsage().rss / 1048576 + worker.rssMb;
}

const PARAS = [
  'The committee reviewed the proposal before the meeting, and the council published its report on Tuesday.',
  'Our team visited the harbour after a long week. The boats were quiet and the water was calm.',
  'A young doctor explained the results of the survey in the spring, with great care and few words.',
  'The museum opened a new room for the winter, and every student remembered the history of the town.',
];

describe('robustness: typing storm through the worker protocol', function () {
  this.timeout(300_000);
  let client: EngineClient;

  before(async () => {
    client = new EngineClient({ workerPath: WORKER });
  });
  after(async () => client?.dispose());

  it('50 edits/s for 10 s: the queue stays bounded, stale passes are cancelled, RSS returns within 20 MB', async () => {
    const model = await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu', threads: 1 });
    const scorer = new DocumentScorer(client);
    scorer.setModel(model);
    let text = PARAS.join('\n\n') + '\n';
    const words = ['river', 'bright', 'quickly', 'table', 'seven', 'under', 'garden', 'letter'];
    let maxInFlight = 0;
    let passes = 0;
    let cancelled = 0;
    let completed = 0;
    const errors: unknown[] = [];
    let current: AbortController | undefined;
    let last: Promise<void> = Promise.resolve();
    const storm = async (seconds: number, seed: number) => {
      const start = Date.now();
      const total = seconds * 50; // 50 edits per second; a late timer is caught up, so exactly `total` edits happen
      let k = seed;
      let done = 0;
      while (done < total) {
        const due = Math.min(total, Math.floor((Date.now() - start) / 20) + 1);
        if (done >= due) {
          await sleep(20 - ((Date.now() - start) % 20));
          continue;
        }
        done++;
        // One keystroke-sized edit: insert or delete a word at a pseudo-random place (the document stays bounded).
        k = (k * 1103515245 + 12345) >>> 0;
        const pos = k % text.length;
        const sp = text.indexOf(' ', pos);
        if (sp > 0 && (k & 1) === 0 && text.length < 900) text = text.slice(0, sp) + ' ' + words[k % words.length] + text.slice(sp);
        else if (sp > 0) {
          const e = text.indexOf(' ', sp + 1);
          if (e > sp && text.length > 300) text = text.slice(0, sp) + text.slice(e);
        }
        // As the extension does with debounce 0: the pass for the previous version is stale, cancel it.
        current?.abort();
        const ctl = new AbortController();
        current = ctl;
        passes++;
        const snapshot = text;
        last = scorer.score(snapshot, 'markdown', ctl.signal).then(
          (res) => {
            completed++;
            for (const f of res.findings) assert.ok(f.end <= snapshot.length);
          },
          (e) => {
            if (e instanceof CancelledError) cancelled++;
            else errors.push(e);
          },
        );
        maxInFlight = Math.max(maxInFlight, client.inFlight);
      }
    };
    // Warm-up (allocations of first use: arenas, caches), then the measured storm.
    await storm(10, 1);
    await last;
    const rssBefore = await settledRssMb(client);
    passes = cancelled = completed = 0;
    maxInFlight = 0;
    const t0 = Date.now();
    await storm(10, 2);
    const stormMs = Date.now() - t0;
    // The worker is not backlogged: a ping gets through promptly once the last pass is done.
    await last;
    const p0 = Date.now();
    await client.request('ping', {});
    const pingMs = Date.now() - p0;
    // The final text is scored; the cache makes a second pass free.
    const final = await scorer.score(text, 'markdown');
    const again = await scorer.score(text, 'markdown');
    const rssAfter = await settledRssMb(client);
    assert.deepEqual(errors, []);
    assert.equal(passes, 500);
    assert.ok(stormMs < 15_000, `storm took ${stormMs} ms`);
    assert.ok(maxInFlight <= 2, `in flight at most ${maxInFlight}`);
    assert.ok(cancelled >= passes * 0.5, `cancelled ${cancelled} of ${passes}`);
    assert.equal(cancelled + completed, passes);
    assert.ok(pingMs < 5000, `ping ${pingMs} ms`);
    assert.ok(final.blocks.length > 0);
    assert.equal(again.rescored, 0);
    assert.ok(rssAfter - rssBefore < 20, `RSS ${rssBefore.toFixed(1)} -> ${rssAfter.toFixed(1)} MB`);
  });
});

describe('robustness: worker killed mid-request', function () {
  this.timeout(300_000);

  it('the request fails clearly, the worker restarts with the model, and the document is rescored', async () => {
    const client = new EngineClient({ workerPath: WORKER, initialBackoffMs: 50 });
    try {
      const model = await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu', threads: 1 });
      const scorer = new DocumentScorer(client);
      scorer.setModel(model);
      // Many distinct blocks (4 per worker batch), so the pass is still running when the kill lands, however fast the machine.
      const text = Array.from({ length: 80 }, (_, i) => `Note ${i + 1}. ${PARAS[i % PARAS.length]}`).join('\n\n');
      const crashes: string[] = [];
      client.onCrash((c) => crashes.push(c.reason));
      const restarted = new Promise<void>((resolve) => client.onRestart(() => resolve()));
      const pidBefore = client.workerPid;
      // Kill the worker as soon as the first block of the pass has arrived (the pass is mid-way).
      const pass = scorer.score(text, 'plaintext');
      while (scorer.cachedBlocks === 0) await sleep(1);
      const kill = client.killWorkerForTest();
      await assert.rejects(pass, (e: unknown) => e instanceof WorkerCrashedError && /engine stopped/.test(e.message));
      await kill;
      await restarted;
      assert.equal(crashes.length, 1);
      assert.notEqual(client.workerPid, pidBefore);
      assert.equal(client.restarts, 1);
      // Recovery: the restarted worker redoes the pass (its caches died with the old process).
      const res = await scorer.score(text, 'plaintext');
      assert.ok(res.blocks.length >= 80);
      // And equals a fresh scorer's result.
      const fresh = new DocumentScorer(client);
      fresh.setModel(model);
      const ref = await fresh.score(text, 'plaintext');
      assert.equal(res.tokens, ref.tokens);
      assert.ok(Math.abs(res.nllNats - ref.nllNats) < 1e-3 * ref.tokens);
      assert.deepEqual(
        res.findings.map((f) => [f.start, f.end]),
        ref.findings.map((f) => [f.start, f.end]),
      );
    } finally {
      await client.dispose();
    }
  });
});

describe('robustness: missing, corrupt or truncated model files', function () {
  this.timeout(300_000);
  const FILES = ['onnx/model.onnx', 'tokenizer.json', 'config.json'] as const;
  const DAMAGE = ['missing', 'corrupt', 'truncated'] as const;
  let tmp: string;
  let client: EngineClient;

  /** A model folder whose files link to the real model, except `file`, which is damaged. */
  function damaged(file: (typeof FILES)[number], how: (typeof DAMAGE)[number]): string {
    const dir = join(tmp, `${file.replace(/\W/g, '_')}-${how}`);
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'surprisal_stats.json', 'onnx/model.onnx']) {
      if (f === file) continue;
      symlinkSync(join(MODEL_DIR, f), join(dir, f));
    }
    const src = readFileSync(join(MODEL_DIR, file));
    if (how === 'corrupt') {
      const junk = Buffer.alloc(Math.min(src.length, 4096));
      for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff;
      writeFileSync(join(dir, file), junk);
    } else if (how === 'truncated') writeFileSync(join(dir, file), src.subarray(0, Math.floor(src.length / 2)));
    return dir;
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-badmodel-'));
    client = new EngineClient({ workerPath: WORKER });
  });
  after(async () => {
    await client?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const file of FILES) {
    for (const how of DAMAGE) {
      it(`${how} ${file}: one clear message naming the file`, async () => {
        const dir = damaged(file, how);
        const name = file.split('/').pop()!;
        // In process (CLI).
        let message = '';
        try {
          preflightModelDir(dir);
          await Engine.load(dir, { intraOpNumThreads: 1 }).then((e) => e.dispose());
          assert.fail('loaded a damaged model');
        } catch (e) {
          assert.ok(e instanceof ModelLoadError, String(e));
          message = e.message;
        }
        assert.ok(message.includes(name), `message names ${name}: ${message}`);
        assert.ok(!message.includes('\n'), `one line: ${message}`);
        assert.ok(message.length < 400, message);
        // Through the worker (extension): one rejection with the same kind of message and a stable code.
        let remote: RemoteError | undefined;
        await client.load({ modelDir: dir, executionProvider: 'cpu', threads: 1 }).catch((e) => (remote = e));
        assert.ok(remote instanceof RemoteError, String(remote));
        assert.match(remote.code ?? '', /^MODEL_/);
        assert.ok(remote.message.includes(name), remote.message);
      });
    }
  }

  it('after all those failures the same worker loads the good model and scores', async () => {
    await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu', threads: 1 });
    let blocks = 0;
    await client.request(
      'score',
      { items: [{ key: 'x', context: '', text: 'The cat sat on the mat.' }], topK: 0 },
      { onPartial: () => blocks++ },
    );
    assert.equal(blocks, 1);
    assert.equal(client.restarts, 0, 'no failure crashed the worker');
  });

  it('validateModelDir accepts the real model and names the problem of a broken one', async () => {
    const ok = await validateModelDir(MODEL_DIR);
    assert.ok(ok.vocabSize > 0 && ok.layers > 0);
    const dir = join(tmp, 'no-onnx');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(MODEL_DIR, 'config.json'), join(dir, 'config.json'));
    copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    await assert.rejects(validateModelDir(dir), /ONNX model not found/);
    unlinkSync(join(dir, 'tokenizer.json'));
    await assert.rejects(validateModelDir(dir), /lacks tokenizer\.json/);
  });
});
