/**
 * The language server over real JSON-RPC (`node dist/cli.js lsp --stdio`) with the bundled model: pushed diagnostics
 * equal `plausibility lint --format json`, hovers, quick fixes, ignore, commands, progress, the heatmap notification,
 * edits that supersede a running pass, and documents it skips.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, MODEL_DIR } from './helpers';
import { LspClient } from './lspClient';

const PROSE = 'I got a letter form the council about the new road. It was a beatiful day for a walk.';
const DOCS: Record<string, string> = {
  'plain.md': `${PROSE}\n`,
  'code.md': `# Notes\n\n${PROSE}\n\n\`\`\`python\nx = form_the(the the)  # beatiful\n\`\`\`\n\nWe went to the the station early.\n`,
  'front.md': `---\ntitle: A beatiful title\ntags: [news]\n---\n\n${PROSE}\n`,
  'crlf.md': `${PROSE}\r\n\r\nThe next meeting is on monday at ten in the morning.\r\n`,
  'emoji.md': `Great news 🎉 for the team 👩‍💻! ${PROSE}\n\nThe next meeting is on monday at ten 🙂.\n`,
  'long.md': `${PROSE}\n\n${'The committee met on a Tuesday to discuss the budget for the coming year.\n\n'.repeat(40)}We went to the the station.\n`,
};
const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

describe('language server (plausibility lsp --stdio)', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'lsp-'));
  const uriOf = (name: string) => pathToFileURL(join(dir, name)).href;
  let client: LspClient;

  before(async () => {
    client = await LspClient.start({ progress: true, folder: dir });
  });
  after(async () => {
    assert.equal(await client.stop(), 0, 'shutdown then exit ends the server with code 0');
  });

  it('pushes diagnostics whose ranges, messages, severities and rule ids equal lint --format json', async () => {
    let total = 0;
    for (const [name, text] of Object.entries(DOCS)) {
      writeFileSync(join(dir, name), text);
      client.open(uriOf(name), text);
    }
    for (const name of Object.keys(DOCS)) {
      const r = cli(['lint', join(dir, name), '--format', 'json']);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const expected = JSON.parse(r.stdout).files[0].findings.map((f: Record<string, any>) => ({
        range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.endLine - 1, character: f.endColumn - 1 } },
        message: f.message,
        severity: SEVERITY[f.severity],
        code: f.rule,
        source: 'plausibility',
      }));
      const got = (await client.diagnostics(uriOf(name))).map((d) => ({ range: d.range, message: d.message, severity: d.severity, code: d.code, source: d.source }));
      assert.deepEqual(got, expected, name);
      total += expected.length;
    }
    assert.ok(total >= 6, `the documents have planted errors (${total} findings)`);
    const rules = (await client.diagnostics(uriOf('plain.md'))).map((d) => d.code);
    assert.deepEqual(rules, ['plausibility/word-choice', 'plausibility/spelling']);
  });

  it('reports $/progress while the model loads (begin, then end)', async () => {
    assert.ok(client.requests.some((r) => r.method === 'window/workDoneProgress/create'), 'a progress token was created');
    const kinds = client.notifications.filter((n) => n.method === '$/progress').map((n) => n.params.value.kind);
    assert.ok(kinds.includes('begin') && kinds.includes('end'), kinds.join(','));
    const begin = client.notifications.find((n) => n.method === '$/progress' && n.params.value.kind === 'begin');
    assert.match(begin!.params.value.title, /loading the model/);
  });

  it('reports $/progress during a long first pass over a document', async () => {
    const uri = uriOf('book.md');
    const paragraph = 'The committee met on a Tuesday to discuss the budget for the coming year, and the chair read the minutes aloud.';
    const from = client.notifications.length;
    client.open(uri, Array.from({ length: 120 }, (_, i) => `${paragraph} Item ${i}.`).join('\n\n') + '\n');
    await client.diagnostics(uri);
    const progress = client.notifications.slice(from).filter((n) => n.method === '$/progress');
    const begin = progress.find((n) => n.params.value.kind === 'begin' && /checking the document/.test(n.params.value.title));
    assert.ok(begin, JSON.stringify(progress.map((n) => n.params.value)));
    const mine = progress.filter((n) => n.params.token === begin!.params.token).map((n) => n.params.value);
    assert.equal(mine[mine.length - 1].kind, 'end');
    assert.ok(mine.some((v) => v.kind === 'report' && v.percentage > 0));
  });

  it('answers a hover on a finding with the fix and how much more likely it makes the sentence', async () => {
    const uri = uriOf('plain.md');
    await client.diagnostics(uri);
    const hover = await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 17 } });
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /Did you mean \\"from\\"/);
    assert.match(hover.contents.value, /“form” → “from” makes the sentence (about [\d,]+ (thousand )?times|over a million times) more likely/);
    assert.match(hover.contents.value, /\*Details: .*bits/);
    assert.deepEqual(hover.range, { start: { line: 0, character: 15 }, end: { line: 0, character: 19 } });
    // Off the finding: nothing, or only the paragraph's inferred tags when the model is confident of them.
    const none = await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 2 } });
    if (none !== null) assert.match(none.contents.value, /^\*\*Plausibility\*\* · Inferred tags for this paragraph: [^\n]+$/);
  });

  it('offers quick fixes (the preferred one applies the replacement), ignore and allow-list; applying the fix clears the finding', async () => {
    const uri = uriOf('plain.md');
    const diagnostics = await client.diagnostics(uri);
    const wordChoice = diagnostics.find((d) => d.code === 'plausibility/word-choice');
    const actions: any[] = await client.request('textDocument/codeAction', { textDocument: { uri }, range: wordChoice.range, context: { diagnostics: [wordChoice] } });
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1);
    assert.equal(preferred[0].kind, 'quickfix');
    assert.deepEqual(preferred[0].edit.changes[uri], [{ range: wordChoice.range, newText: 'from' }]);
    assert.ok(actions.some((a) => a.command?.command === 'plausibility.ignoreSpan'));
    assert.ok(actions.some((a) => a.command?.command === 'plausibility.addToAllowList' && a.command.arguments[1] === 'form'));
    assert.ok(actions.filter((a) => a.edit).length > 1, 'one action per suggestion too');
    const fixed = `${PROSE.replace('form', 'from')}\n`;
    const version = client.change(uri, fixed);
    const after = await client.diagnostics(uri, version);
    assert.ok(!after.some((d) => d.code === 'plausibility/word-choice'), JSON.stringify(after));
    assert.ok(after.some((d) => d.code === 'plausibility/spelling'));
  });

  it('ignores a span in the document (plausibility.ignoreSpan) and republishes without it', async () => {
    const uri = uriOf('emoji.md');
    const before = await client.diagnostics(uri);
    // Any finding will do: the one on the planted "form".
    const target = before.find((d) => d.code === 'plausibility/word-choice');
    assert.ok(target, `emoji.md has a word-choice finding: ${JSON.stringify(before)}`);
    const text = DOCS['emoji.md'];
    const start = text.indexOf('form ');
    const published = client.notifications.length;
    await client.request('workspace/executeCommand', { command: 'plausibility.ignoreSpan', arguments: [uri, start, start + 'form'.length] });
    const n = await client.waitFor((x) => client.notifications.indexOf(x) >= published && x.method === 'textDocument/publishDiagnostics' && x.params.uri === uri);
    assert.deepEqual(
      n.params.diagnostics.map((d: any) => d.code),
      before.filter((d) => d !== target).map((d) => d.code),
    );
  });

  it('adds a phrase to the workspace allow-list file and stops flagging it', async () => {
    const uri = uriOf('code.md');
    const before = await client.diagnostics(uri);
    assert.ok(before.some((d) => d.code === 'plausibility/word-choice'));
    const published = client.notifications.length;
    const line = await client.request('workspace/executeCommand', { command: 'plausibility.addToAllowList', arguments: [uri, 'form'] });
    assert.equal(line, 'form');
    assert.match(readFileSync(join(dir, '.vscode', 'plausibility-allow.txt'), 'utf8'), /^form$/m);
    const n = await client.waitFor((x) => client.notifications.indexOf(x) >= published && x.method === 'textDocument/publishDiagnostics' && x.params.uri === uri);
    assert.ok(!n.params.diagnostics.some((d: any) => d.code === 'plausibility/word-choice'), JSON.stringify(n.params.diagnostics));
  });

  it('ranks continuations (plausibility.rank) exactly as plausibility rank --format json', async () => {
    const context = 'The cat sat on the';
    const candidates = [' mat', ' idea', ' of'];
    const rows = await client.request('workspace/executeCommand', { command: 'plausibility.rank', arguments: [{ context, candidates }] });
    const r = cli(['rank', '--context', context, ...candidates, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const expected = JSON.parse(r.stdout);
    assert.deepEqual(rows.map((x: any) => x.text), expected.map((x: any) => x.text));
    rows.forEach((x: any, i: number) => assert.ok(Math.abs(x.nll - expected[i].nll) < 1e-4, `${x.nll} vs ${expected[i].nll}`));
  });

  it('serves the editor rewrites (plausibility.rewrite): every candidate keeps the words outside the span', async () => {
    const uri = uriOf('rewrite.md');
    const text = DOCS['plain.md'];
    client.open(uri, text);
    await client.diagnostics(uri);
    const start = text.indexOf('form');
    const res = await client.request('workspace/executeCommand', { command: 'plausibility.rewrite', arguments: [{ uri, start, end: start + 4 }] });
    assert.equal(res.original, 'form');
    assert.ok(Array.isArray(res.candidates));
    for (const c of res.candidates) {
      const edited = text.slice(0, c.start) + c.text + text.slice(c.end);
      for (const w of ['letter', 'council', 'road']) assert.ok(edited.includes(w), `${w} kept in ${edited}`);
      assert.ok(c.gain > 0, 'a model rewrite is offered only when it beats the original');
    }
    const bad = client.request('workspace/executeCommand', { command: 'plausibility.rewrite', arguments: [{ uri, start: 5, end: 5 }] });
    await assert.rejects(bad, /start < end/);
  });

  it('publishes only the newest version after a burst of edits (stale passes are cancelled or dropped)', async () => {
    const uri = uriOf('long.md');
    await client.diagnostics(uri);
    let text = DOCS['long.md'];
    let version = 1;
    for (let i = 0; i < 5; i++) {
      text = text.replace('Tuesday', i % 2 ? 'Tuesday' : 'Wednesday');
      version = client.change(uri, text + ` Edit ${i}.\n`);
    }
    await client.diagnostics(uri, version);
    const after = client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri).map((n) => n.params.version);
    assert.equal(after[after.length - 1], version);
    assert.ok(after.every((v, i) => i === 0 || v >= after[i - 1]), `versions published in order: ${after}`);
  });

  it('sends plausibility/heatmap buckets once the heatmap setting is on (workspace/didChangeConfiguration)', async () => {
    client.configuration = { heatmap: true };
    const from = client.notifications.length;
    client.notify('workspace/didChangeConfiguration', { settings: null });
    const uri = uriOf('crlf.md');
    const n = await client.waitFor((x) => client.notifications.indexOf(x) >= from && x.method === 'plausibility/heatmap' && x.params.uri === uri);
    const { tokens, mode, labels, version } = n.params;
    assert.equal(mode, 'rank');
    assert.equal(labels.length, 4);
    assert.equal(version, 1);
    // Only tokens above the model's 95th percentile of surprisal are coloured.
    assert.ok(tokens.length > 0 && tokens.length % 3 === 0);
    for (let i = 0; i < tokens.length; i += 3) {
      assert.ok(tokens[i] < tokens[i + 1] && tokens[i + 1] <= DOCS['crlf.md'].length);
      assert.ok([0, 1, 2, 3].includes(tokens[i + 2]));
    }
    client.configuration = null;
  });

  it('skips binary and over-long documents with a message, and publishes no findings for them', async () => {
    const binary = uriOf('binary.md');
    client.open(binary, `${PROSE}\u0000\u0001\u0000binary`);
    assert.deepEqual(await client.diagnostics(binary), []);
    await client.waitFor((n) => n.method === 'window/showMessage' && n.params.type === 2 && n.params.message.includes(binary) && /binary/.test(n.params.message));
    const huge = uriOf('huge.md');
    client.open(huge, `${PROSE}\n\n`.repeat(2500));
    assert.deepEqual(await client.diagnostics(huge), []);
    await client.waitFor((n) => n.method === 'window/showMessage' && n.params.message.includes(huge) && /maxFileLength/.test(n.params.message));
  });
});

describe('language server with a missing or corrupt model', function () {
  this.timeout(600_000);

  it('shows an error message for a corrupt ONNX file and keeps serving', async () => {
    const corrupt = mkdtempSync(join(tmpdir(), 'corrupt-model-'));
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MODEL_DIR, f), join(corrupt, f));
    mkdirSync(join(corrupt, 'onnx'));
    writeFileSync(join(corrupt, 'onnx', 'model.onnx'), Buffer.alloc(4096, 7));
    const client = await LspClient.start({ configuration: { model: corrupt } });
    try {
      const msg = await client.waitFor((n) => n.method === 'window/showMessage' && n.params.type === 1);
      assert.ok(msg.params.message.includes(corrupt), msg.params.message);
      const rank = client.request('workspace/executeCommand', { command: 'plausibility.rank', arguments: [{ context: 'a', candidates: [' b'] }] });
      await assert.rejects(rank, /model is not loaded/);
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });

  it('shows an error message naming the model folder and keeps serving', async () => {
    const missing = join(tmpdir(), 'no-such-plausibility-model');
    const client = await LspClient.start({ configuration: { model: missing } });
    try {
      const msg = await client.waitFor((n) => n.method === 'window/showMessage' && n.params.type === 1);
      assert.ok(msg.params.message.includes(missing), msg.params.message);
      const uri = 'file:///tmp/missing-model.md';
      client.open(uri, PROSE);
      assert.deepEqual(await client.diagnostics(uri), []);
      assert.equal(await client.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 17 } }), null);
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });
});
