/**
 * The engine behind the language server (`node dist/cli.js lsp --stdio`, the real bundled model), over LSP: it keeps
 * serving after requests with bad arguments and after cancelled requests, an edit's diagnostics equal a full pass
 * over the edited text, and the execution provider and precision are reported (`plausibility/model`) or refused
 * with a clear message. Restarting a crashed server is the editor client's job (vscode-languageclient), tested in e2e.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { autoOrder, platformInfo } from '../../src/core/model/providers';
import { cli, MODEL_DIR } from './helpers';
import { LspClient } from './lspClient';

const PARAS = [
  'The fishing boats came back to the harbour early this morning. The sea was calm, and the sky was clear.',
  'Most of the crew went straight home to sleep after the long night at sea. The captain stayed behind to check the nets.',
  'In the afternoon the market was busy. People bought fresh fish, bread and vegetables near the water.',
  'By the evening the wind had turned, and the boats were tied up safely for the night.',
];
const PROSE = 'I got a letter form the council about the new road. It was a beatiful day for a walk.';
const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

const execute = (client: LspClient, command: string, args: unknown[], token?: CancellationTokenSource) =>
  client.request('workspace/executeCommand', { command, arguments: args }, token?.token);

/** The server still answers: a rank request, and diagnostics for a newly opened document. */
async function stillServes(client: LspClient, uri: string): Promise<void> {
  const rows: { text: string; nll: number }[] = await execute(client, 'plausibility.rank', [{ context: 'The cat sat on the', candidates: [' mat', ' of'] }]);
  assert.deepEqual(rows.map((r) => r.text).sort(), [' mat', ' of']);
  assert.ok(rows[0].nll <= rows[1].nll && rows.every((r) => Number.isFinite(r.nll) && r.nll > 0), 'best first');
  client.open(uri, `${PROSE}\n`);
  const codes = (await client.diagnostics(uri)).map((d) => d.code);
  assert.deepEqual(codes, ['plausibility/word-choice', 'plausibility/spelling']);
}

/** `lint --format json` of a text, as the diagnostics the server should publish for it. */
function cliDiagnostics(dir: string, name: string, text: string): unknown[] {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = cli(['lint', file, '--format', 'json']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return JSON.parse(r.stdout).files[0].findings.map((f: Record<string, any>) => ({
    range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.endLine - 1, character: f.endColumn - 1 } },
    message: f.message,
    severity: SEVERITY[f.severity],
    code: f.rule,
  }));
}

describe('language server: it keeps serving', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'lsp-serving-'));
  const uriOf = (name: string) => pathToFileURL(join(dir, name)).href;
  let client: LspClient;

  before(async () => {
    client = await LspClient.start();
  });
  after(async () => {
    assert.equal(await client.stop(), 0);
  });

  it('after requests with bad arguments, each refused with a clear message', async () => {
    const open = uriOf('open.md');
    client.open(open, `${PROSE}\n`);
    await client.diagnostics(open);
    await assert.rejects(execute(client, 'plausibility.rank', [{ context: 5, candidates: [' a'] }]), /needs a context string/);
    await assert.rejects(execute(client, 'plausibility.rank', [{ context: 'a', candidates: [] }]), /non-empty list of candidate strings/);
    await assert.rejects(execute(client, 'plausibility.rewrite', [{ uri: uriOf('not-open.md'), start: 0, end: 4 }]), /is not open/);
    await assert.rejects(execute(client, 'plausibility.rewrite', [{ uri: open, start: 9, end: 2 }]), /start < end/);
    await assert.rejects(execute(client, 'plausibility.ignoreSpan', [open]), /needs start and end offsets/);
    await assert.rejects(execute(client, 'plausibility.complete', [{ uri: open }]), /needs \{uri, offset\}/);
    await assert.rejects(execute(client, 'plausibility.rankOptions', [{ uri: open, start: 0, end: 5 }]), /select options written as \{one\|two\|three\}/);
    await assert.rejects(execute(client, 'plausibility.validateModel', [{}]), /needs \{dir\}/);
    await assert.rejects(execute(client, 'plausibility.noSuchCommand', []), /unknown command plausibility\.noSuchCommand/);
    await assert.rejects(client.request('plausibility/noSuchMethod', {}), /Unhandled method plausibility\/noSuchMethod/);
    assert.equal(await client.request('textDocument/hover', { textDocument: { uri: uriOf('not-open.md') }, position: { line: 0, character: 0 } }), null);
    assert.equal(client.proc.exitCode, null, 'the server is running');
    await stillServes(client, uriOf('after-bad.md'));
  });

  it('after cancelled requests (a completion and a rewrite)', async () => {
    const uri = uriOf('cancel.md');
    const text = `${PARAS[0]} ${PARAS[1]}\n\n${PROSE}\n`;
    client.open(uri, text);
    await client.diagnostics(uri);
    const settled: string[] = [];
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => settled.push('answered'),
        (e: Error) => settled.push(`refused: ${e.message}`),
      );
    // Cancelled as soon as sent: the server gets $/cancelRequest while the request waits for the engine or runs.
    const complete = new CancellationTokenSource();
    const a = outcome(execute(client, 'plausibility.complete', [{ uri, offset: text.indexOf('\n') }], complete));
    complete.cancel();
    const rewrite = new CancellationTokenSource();
    const start = text.indexOf('the long night');
    const b = outcome(execute(client, 'plausibility.rewrite', [{ uri, start, end: start + 'the long night'.length }], rewrite));
    rewrite.cancel();
    await Promise.all([a, b]);
    assert.equal(settled.length, 2, 'both cancelled requests were answered (a result or an error), none left hanging');
    for (const s of settled) assert.ok(s === 'answered' || /cancel/i.test(s), s);
    // The same requests, not cancelled, complete.
    const completions = await execute(client, 'plausibility.complete', [{ uri, offset: text.indexOf('\n') }]);
    assert.ok(Array.isArray(completions) && completions.length > 0);
    for (const c of completions) assert.equal(typeof c.text, 'string');
    await stillServes(client, uriOf('after-cancel.md'));
  });

  it('an edit is published with the diagnostics of a full pass over the edited text', async () => {
    const long = (p: string) => `${p} ${p} ${p} ${p}`;
    const base = [...PARAS.map(long), PROSE, ...PARAS.map((p) => long(`Later, ${p.charAt(0).toLowerCase()}${p.slice(1)}`))].join('\n\n') + '\n';
    const uri = uriOf('incremental.md');
    client.open(uri, base);
    const strip = (ds: any[]) => ds.map((d) => ({ range: d.range, message: d.message, severity: d.severity, code: d.code }));
    assert.deepEqual(strip(await client.diagnostics(uri)), cliDiagnostics(dir, 'incremental-1.md', base));
    // Edits inside one paragraph, then one that adds a planted error elsewhere.
    let text = base;
    for (const [from, to] of [
      ['vegetables', 'apples'],
      ['The captain', 'The old captain'],
      ['tied up safely', 'tied up saftly'],
    ]) {
      text = text.replace(from, to);
      const version = client.change(uri, text);
      assert.deepEqual(strip(await client.diagnostics(uri, version)), cliDiagnostics(dir, `incremental-${version}.md`, text), `after ${from} -> ${to}`);
    }
    assert.ok((await client.diagnostics(uri, 4)).some((d) => d.code === 'plausibility/spelling' && /saftly/.test(text.split('\n')[d.range.start.line])));
  });
});

describe('language server: execution provider and precision', function () {
  this.timeout(300_000);

  const modelMessages = (c: LspClient) => c.notifications.filter((n) => n.method === 'plausibility/model').map((n) => n.params);

  it('executionProvider auto: the provider the engine chose is reported in plausibility/model', async () => {
    const client = await LspClient.start({ configuration: { executionProvider: 'auto' } });
    try {
      const ready = await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state !== 'loading', 'the model state');
      assert.equal(ready.params.state, 'ready', JSON.stringify(ready.params));
      const order = autoOrder(platformInfo());
      assert.ok(order.includes(ready.params.provider), `${ready.params.provider} is one of ${order}`);
      assert.equal(modelMessages(client)[0].state, 'loading');
      await stillServes(client, 'file:///tmp/provider-auto.md');
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });

  it('a precision variant the folder lacks falls back to model.onnx, says so in the log, and lints', async () => {
    const client = await LspClient.start({ configuration: { model: MODEL_DIR, precision: 'fp16', executionProvider: 'cpu' } });
    try {
      const ready = await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state !== 'loading', 'the model state');
      assert.equal(ready.params.state, 'ready');
      const note = await client.waitFor((n) => n.method === 'window/logMessage' && /model_fp16\.onnx does not exist; loading the fp32 model\.onnx/.test(n.params.message), 'the fallback note');
      assert.ok(note);
      assert.equal(client.notifications.filter((n) => n.method === 'window/showMessage' && n.params.type === 1).length, 0, 'no error');
      const uri = 'file:///tmp/precision.md';
      client.open(uri, `${PROSE}\n`);
      assert.deepEqual(
        (await client.diagnostics(uri)).map((d: { code: string }) => d.code),
        ['plausibility/word-choice', 'plausibility/spelling'],
      );
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });

  it('a model that cannot load is an error message and a plausibility/model error; the server keeps serving', async () => {
    const client = await LspClient.start({ configuration: { model: '/nonexistent/model', executionProvider: 'cpu' } });
    try {
      const shown = await client.waitFor((n) => n.method === 'window/showMessage' && n.params.type === 1, 'an error message');
      assert.match(shown.params.message, /cannot load the model at \/nonexistent\/model/);
      const failed = await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state === 'error', 'the model error');
      assert.equal(failed.params.dir, '/nonexistent/model');
      const uri = 'file:///tmp/no-model.md';
      client.open(uri, `${PROSE}\n`);
      assert.deepEqual(await client.diagnostics(uri), []);
      await assert.rejects(execute(client, 'plausibility.rank', [{ context: 'a', candidates: [' b'] }]), /model is not loaded/);
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });
});
