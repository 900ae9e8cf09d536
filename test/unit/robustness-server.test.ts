/**
 * Robustness, part 2 (real model, the real language server `node dist/cli.js lsp --stdio`, no mocks): a typing storm
 * over LSP, and broken model folders (in process, as the CLI loads them, and through the server). A server killed in
 * the middle of a request is restarted by the editor's client (vscode-languageclient), tested in e2e.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../src/core/engine';
import { ModelLoadError } from '../../src/core/errors';
import { preflightModelDir } from '../../src/core/model/modelCheck';
import { validateModelDir } from '../../src/core/model/validateModel';
import { MODEL_DIR } from './helpers';
import { LspClient } from './lspClient';

/** Resident and peak resident memory of a process in MB, from /proc/<pid>/status (Linux). */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const PARAS = [
  'The committee reviewed the proposal before the meeting, and the council published its report on Tuesday.',
  'Our team visited the harbour after a long week. The boats were quiet and the water was calm.',
  'A young doctor explained the results of the survey in the spring, with great care and few words.',
  'The museum opened a new room for the winter, and every student remembered the history of the town.',
];

describe('robustness: typing storm through the language server', function () {
  this.timeout(600_000);
  let client: LspClient;

  before(async () => {
    client = await LspClient.start();
  });
  after(async () => {
    if (client) assert.equal(await client.stop(), 0);
  });

  it('edits in bursts of 25: only the newest version of each burst is published, findings stay inside the text, memory stays bounded', async function () {
    if (process.platform !== 'linux') this.skip(); // /proc/<pid>/status
    const uri = pathToFileURL(join(tmpdir(), 'storm.md')).href;
    let text = PARAS.join('\n\n') + '\n';
    client.open(uri, text);
    await client.diagnostics(uri);
    const words = ['river', 'bright', 'quickly', 'table', 'seven', 'under', 'garden', 'letter'];
    let k = 1;
    /** One keystroke-sized edit: insert or delete a word at a pseudo-random place (the document stays bounded). */
    const edit = () => {
      k = (k * 1103515245 + 12345) >>> 0;
      const pos = k % text.length;
      const sp = text.indexOf(' ', pos);
      if (sp > 0 && (k & 1) === 0 && text.length < 900) text = text.slice(0, sp) + ' ' + words[k % words.length] + text.slice(sp);
      else if (sp > 0) {
        const e = text.indexOf(' ', sp + 1);
        if (e > sp && text.length > 300) text = text.slice(0, sp) + text.slice(e);
      }
    };
    /** `bursts` bursts of `edits` edits each, sent at once; waits for the diagnostics of each burst's last version. */
    const storm = async (bursts: number, edits: number) => {
      let published = 0;
      for (let i = 0; i < bursts; i++) {
        const from = client.notifications.length;
        let version = 0;
        for (let j = 0; j < edits; j++) {
          edit();
          version = client.change(uri, text);
        }
        const diagnostics = await client.diagnostics(uri, version);
        const versions = client.notifications
          .slice(from)
          .filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri)
          .map((n) => n.params.version);
        assert.deepEqual(versions, [version], 'the passes of older versions were cancelled or dropped');
        const lines = text.split('\n');
        for (const d of diagnostics) {
          assert.ok(d.range.end.line < lines.length && d.range.end.character <= lines[d.range.end.line].length, JSON.stringify(d.range));
          assert.ok(d.data.start < d.data.end && d.data.end <= text.length);
        }
        published += versions.length;
      }
      return published;
    };
    // Warm-up until the bounded caches are full (score and KV prefix caches, the runtime's arenas: about 50 passes
    // here), then the measured storm of 500 more edits in 20 passes.
    await storm(50, 25);
    const before = memoryMb(client.proc.pid!);
    assert.equal(await storm(20, 25), 20);
    const after = memoryMb(client.proc.pid!);
    // The server is not backlogged: it answers a request, and the newest text's diagnostics are published.
    const rows = await client.request('workspace/executeCommand', { command: 'plausibility.rank', arguments: [{ context: 'The boats were', candidates: [' quiet', ' blue'] }] });
    assert.equal(rows.length, 2);
    assert.ok(after.rss - before.rss < 20, `RSS ${before.rss.toFixed(1)} -> ${after.rss.toFixed(1)} MB`);
    assert.ok(after.peak - before.peak < 20, `peak RSS ${before.peak.toFixed(1)} -> ${after.peak.toFixed(1)} MB`);
  });
});

describe('robustness: missing, corrupt or truncated model files', function () {
  this.timeout(600_000);
  const FILES = ['onnx/model.onnx', 'tokenizer.json', 'config.json'] as const;
  const DAMAGE = ['missing', 'corrupt', 'truncated'] as const;
  let tmp: string;
  let client: LspClient;

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

  /** Points the server at a model folder; resolves with its next plausibility/model state other than loading. */
  async function useModel(dir: string): Promise<{ state: string; dir: string; message?: string; provider?: string; shown?: string }> {
    const from = client.notifications.length;
    client.configuration = { model: dir, executionProvider: 'cpu' };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const n = await client.waitFor((x) => client.notifications.indexOf(x) >= from && x.method === 'plausibility/model' && x.params.dir === dir && x.params.state !== 'loading', `the state of ${dir}`);
    const shown = client.notifications.slice(from).find((x) => x.method === 'window/showMessage' && x.params.type === 1)?.params.message;
    return { ...n.params, shown };
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-badmodel-'));
    client = await LspClient.start();
    await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state === 'ready', 'the bundled model');
  });
  after(async () => {
    if (client) assert.equal(await client.stop(), 0);
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
          assert.match(e.code ?? '', /^MODEL_/);
          message = e.message;
        }
        assert.ok(message.includes(name), `message names ${name}: ${message}`);
        assert.ok(!message.includes('\n'), `one line: ${message}`);
        assert.ok(message.length < 400, message);
        // Through the language server (the editor): an error message naming the folder and the file, and the
        // model's state `error` with the same kind of message.
        const r = await useModel(dir);
        assert.equal(r.state, 'error', JSON.stringify(r));
        const stateMessage = r.message ?? '';
        assert.ok(stateMessage.includes(name), `state message names ${name}: ${stateMessage}`);
        assert.ok(!stateMessage.includes('\n') && stateMessage.length < 400, stateMessage);
        assert.ok(r.shown?.includes(dir) && r.shown.includes(name), `shown: ${r.shown}`);
      });
    }
  }

  it('after all those failures the same server loads the good model and lints', async () => {
    const pid = client.proc.pid;
    const r = await useModel(MODEL_DIR);
    assert.equal(r.state, 'ready', JSON.stringify(r));
    assert.equal(r.provider, 'cpu');
    const uri = pathToFileURL(join(tmp, 'after.md')).href;
    client.open(uri, 'I got a letter form the council about the new road. It was a beatiful day for a walk.\n');
    assert.deepEqual(
      (await client.diagnostics(uri)).map((d) => d.code),
      ['plausibility/word-choice', 'plausibility/spelling'],
    );
    assert.equal(client.proc.pid, pid);
    assert.equal(client.proc.exitCode, null, 'no failure stopped the server');
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
    // The server's plausibility.validateModel answers with the same problem, and with none for the real model.
    assert.deepEqual(await client.request('workspace/executeCommand', { command: 'plausibility.validateModel', arguments: [{ dir: MODEL_DIR }] }), {});
    const bad = await client.request('workspace/executeCommand', { command: 'plausibility.validateModel', arguments: [{ dir }] });
    assert.match(bad.problem, /lacks tokenizer\.json/);
  });
});
