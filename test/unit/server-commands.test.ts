/**
 * The language server's own commands and notifications over real JSON-RPC (`node dist/cli.js lsp --stdio`, the real
 * bundled model): ranking the options of a `{a|b}` selection, completions at the end of a line, the token report,
 * the token hover of the heatmap, `plausibility/model`, and what a settings change makes stale.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rankOptions } from '../../src/core/generation/rewrite';
import { autoOrder, platformInfo } from '../../src/core/model/providers';
import { parseAlternatives } from '../../src/core/text/alternatives';
import { engine } from './helpers';
import { LspClient, Notification } from './lspClient';

const PROSE = 'I got a letter form the council about the new road. It was a beatiful day for a walk.';
const PARAS = [
  'The fishing boats came back to the harbour early this morning. The sea was calm, and the sky was clear.',
  'Most of the crew went straight home to sleep after the long night at sea. The captain stayed behind to check the nets.',
];

const execute = (client: LspClient, command: string, args: unknown[]) => client.request('workspace/executeCommand', { command, arguments: args });
/** Notifications recorded from index `from` on. */
const since = (client: LspClient, from: number) => client.notifications.slice(from);

describe('language server commands', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'lsp-commands-'));
  const uriOf = (name: string) => pathToFileURL(join(dir, name)).href;
  let client: LspClient;

  before(async () => {
    client = await LspClient.start({ folder: dir });
  });
  after(async () => {
    assert.equal(await client.stop(), 0);
  });

  it('sends plausibility/model: loading, then ready with the provider in use', async () => {
    const ready = await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state !== 'loading', 'the model state');
    const states = client.notifications.filter((n) => n.method === 'plausibility/model').map((n) => n.params);
    assert.deepEqual(
      states.map((s) => s.state),
      ['loading', 'ready'],
    );
    assert.equal(ready.params.state, 'ready');
    assert.equal(states[0].dir, ready.params.dir);
    assert.equal(ready.params.name, 'default', 'the bundled model');
    assert.ok(autoOrder(platformInfo()).includes(ready.params.provider), ready.params.provider);
  });

  it('plausibility.rankOptions ranks the options of a {a|b} selection in context, best first', async () => {
    const uri = uriOf('options.md');
    const text = `${PARAS[0]}\n\nThe captain {stayed behind|banana purple|went home} to check the nets before the storm.\n`;
    client.open(uri, text);
    await client.diagnostics(uri);
    const start = text.indexOf('{');
    const end = text.indexOf('}') + 1;
    const rows: { text: string; nll: number; tokens: number; nllPerToken: number }[] = await execute(client, 'plausibility.rankOptions', [{ uri, start, end }]);
    assert.deepEqual(rows.map((r) => r.text).sort(), ['banana purple', 'stayed behind', 'went home']);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].nll <= rows[i].nll, 'best (lowest NLL) first');
    for (const r of rows) assert.ok(r.tokens > 0 && Math.abs(r.nllPerToken - r.nll / r.tokens) < 1e-9);
    assert.equal(rows[rows.length - 1].text, 'banana purple', 'the nonsense option reads worst');
    // The same ranking as the engine's, in this process, on the text around the selection.
    const e = await engine();
    const local = await rankOptions(e, text.slice(0, start), text.slice(end), parseAlternatives(text.slice(start, end)));
    assert.deepEqual(
      rows.map((r) => r.text),
      local.map((r) => r.text),
    );
    rows.forEach((r, i) => assert.ok(Math.abs(r.nll - local[i].nll) < 1e-3, `${r.nll} vs ${local[i].nll}`));
    // One option is nothing to rank: an error response, not an empty list.
    const one = text.replace('{stayed behind|banana purple|went home}', '{stayed behind}');
    const version = client.change(uri, one);
    await client.diagnostics(uri, version);
    await assert.rejects(execute(client, 'plausibility.rankOptions', [{ uri, start, end: one.indexOf('}') + 1 }]), /only one option/);
  });

  it('plausibility.complete offers continuations at the end of a line, none in the middle of one', async () => {
    const uri = uriOf('complete.md');
    const text = `${PARAS[0]}\n\nAfter the long night at sea, the crew\nThe end.\n`;
    client.open(uri, text);
    await client.diagnostics(uri);
    const eol = text.indexOf('the crew') + 'the crew'.length;
    const rows: { text: string; nllPerToken: number }[] = await execute(client, 'plausibility.complete', [{ uri, offset: eol }]);
    assert.ok(Array.isArray(rows) && rows.length > 0 && rows.length <= 4, JSON.stringify(rows));
    for (const r of rows) {
      assert.equal(typeof r.text, 'string');
      assert.ok(r.text.trim().length > 0, JSON.stringify(r.text));
      assert.ok(Number.isFinite(r.nllPerToken) && r.nllPerToken > 0);
    }
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].nllPerToken <= rows[i].nllPerToken, 'ranked, best first');
    // Mid-line (words follow the cursor on its line): nothing.
    assert.deepEqual(await execute(client, 'plausibility.complete', [{ uri, offset: text.indexOf('the crew') }]), []);
    assert.deepEqual(await execute(client, 'plausibility.complete', [{ uri, offset: 4 }]), []);
  });

  it('serves textDocument/inlineCompletion to clients that announce it, only while the setting is on', async () => {
    const c = await LspClient.start({ folder: dir, inlineCompletion: true, configuration: { inlineCompletions: { enabled: true } } });
    try {
      assert.equal(c.capabilities.inlineCompletionProvider, true);
      assert.equal(client.capabilities.inlineCompletionProvider, undefined, 'not offered to a client without inline completions');
      const uri = uriOf('inline.md');
      const text = `${PARAS[0]}\n\nAfter the long night at sea, the crew`;
      c.open(uri, text);
      await c.diagnostics(uri);
      const lines = text.split('\n');
      const position = { line: lines.length - 1, character: lines[lines.length - 1].length };
      const items: { insertText: string; range: unknown }[] = await c.request('textDocument/inlineCompletion', {
        textDocument: { uri },
        position,
        context: { triggerKind: 1 },
      });
      assert.ok(items.length > 0 && items.length <= 4, JSON.stringify(items));
      for (const i of items) {
        assert.ok(i.insertText.trim().length > 0);
        assert.deepEqual(i.range, { start: position, end: position });
      }
      c.configuration = { inlineCompletions: { enabled: false } };
      const from = c.notifications.length;
      c.notify('workspace/didChangeConfiguration', { settings: null });
      // The setting only republishes: wait for that, so the server has read it.
      await c.waitFor((n) => c.notifications.indexOf(n) >= from && n.method === 'plausibility/status' && n.params.uri === uri, 'a republish');
      const off = await c.request('textDocument/inlineCompletion', { textDocument: { uri }, position, context: { triggerKind: 1 } });
      assert.deepEqual(off, []);
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });

  it('plausibility.report: histogram, rank buckets and sentences inside the document; findings as published', async () => {
    const uri = uriOf('report.md');
    const text = `# A report\n\n${PROSE}\n\n${PARAS[0]}\n\n${PARAS[1]}\n\nWe went to the the station.\n`;
    await assert.rejects(execute(client, 'plausibility.report', [{ uri }]), /is not open/);
    client.open(uri, text);
    const diagnostics = await client.diagnostics(uri);
    assert.ok(diagnostics.length >= 3, JSON.stringify(diagnostics.map((d) => d.code)));
    const r = await execute(client, 'plausibility.report', [{ uri }]);
    assert.equal(r.findings, diagnostics.length);
    assert.ok(r.tokens > 40 && Number.isFinite(r.perplexity) && r.perplexity > 1, `${r.tokens} tokens, perplexity ${r.perplexity}`);
    const sum = (xs: { count: number }[]) => xs.reduce((a, x) => a + x.count, 0);
    assert.equal(sum(r.histogram), r.tokens, 'every token is in one histogram bin');
    assert.equal(sum(r.ranks), r.tokens, 'every token is in one rank bucket');
    r.histogram.forEach((b: { from: number; to: number | null }, i: number) => {
      assert.equal(b.from, i);
      assert.equal(b.to, i < r.histogram.length - 1 ? i + 1 : null);
    });
    assert.deepEqual(
      r.ranks.map((b: { label: string }) => b.label),
      ['top 10', 'top 100', 'top 1000', 'beyond'],
    );
    const lines = text.split('\n');
    assert.ok(r.sentences.length >= 6, `${r.sentences.length} sentences`);
    let tokens = 0;
    for (const s of r.sentences) {
      assert.ok(Number.isInteger(s.line) && s.line >= 0 && s.line < lines.length - 1, `line ${s.line}`);
      assert.ok(lines[s.line].includes(s.label.replace(/…$/, '').trim()), `“${s.label}” is on line ${s.line}`);
      assert.ok(s.tokens > 0 && Number.isFinite(s.perplexity) && s.perplexity >= 1);
      tokens += s.tokens;
    }
    assert.ok(tokens <= r.tokens);
    assert.ok(r.sentences.some((s: { label: string }) => s.label.includes('the the station')));
    // A document edited since its last pass has no report of the stale scores, and a new one after the next pass.
    const version = client.change(uri, text + '\nOne more line.\n');
    const next = await execute(client, 'plausibility.report', [{ uri }]);
    assert.ok(next === null || next.tokens > r.tokens, 'no report of stale scores');
    await client.diagnostics(uri, version);
    const after = await execute(client, 'plausibility.report', [{ uri }]);
    assert.ok(after.tokens > r.tokens);
  });

  it('hovers an ordinary word with its token details while the heatmap is on, and with nothing while it is off', async () => {
    const uri = uriOf('hover.md');
    // A short paragraph (under the length for inferred tags), so that only the token hover can answer.
    const text = 'The cat sat on the mat.\n';
    client.open(uri, text);
    await client.diagnostics(uri);
    const at = { textDocument: { uri }, position: { line: 0, character: 5 } };
    assert.equal(await client.request('textDocument/hover', at), null, 'heatmap off: no hover on an ordinary word');
    const from = client.notifications.length;
    client.configuration = { heatmap: true };
    client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor((n) => client.notifications.indexOf(n) >= from && n.method === 'plausibility/heatmap' && n.params.uri === uri, 'the heatmap');
    const hover = await client.request('textDocument/hover', at);
    assert.ok(hover, 'heatmap on: the token under the cursor');
    assert.equal(hover.contents.kind, 'markdown');
    const plain = hover.contents.value.replace(/\\(.)/g, '$1'); // document text and numbers are Markdown-escaped
    assert.match(plain, /\*\*Plausibility\*\* · “cat” is (the word the model expected here|a likely word here|an unexpected word here)\./);
    assert.match(plain, /\*Details: probability [\d.e+-]+ \([\d.]+ bits\) · rank \d+ · entropy [\d.]+ bits · sentence perplexity [\d.]+ over \d+ tokens\*/);
    assert.deepEqual(hover.range.end, { line: 0, character: 7 });
    assert.ok(hover.range.start.line === 0 && [3, 4].includes(hover.range.start.character), JSON.stringify(hover.range));
    // Off again: nothing.
    const off = client.notifications.length;
    client.configuration = null;
    client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitFor((n) => client.notifications.indexOf(n) >= off && n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri, 'the republish');
    assert.equal(await client.request('textDocument/hover', at), null);
  });
});

describe('language server: what a settings change makes stale', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'lsp-settings-'));
  const uriOf = (name: string) => pathToFileURL(join(dir, name)).href;

  it('manual: nothing is checked until a rescore asks for it', async () => {
    const client = await LspClient.start({ configuration: { checkFrequency: 'manual' } });
    try {
      const uri = uriOf('manual.md');
      client.open(uri, `${PROSE}\n`);
      await client.waitFor((n) => n.method === 'plausibility/model' && n.params.state === 'ready', 'the model');
      const from = client.notifications.length;
      await execute(client, 'plausibility.rescore', [uri]);
      const published = await client.diagnostics(uri);
      assert.ok(published.length > 0);
      assert.equal(
        client.notifications.slice(0, from).filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri).length,
        0,
        'nothing was published before the rescore',
      );
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });

  it('heatmap only republishes the last pass; dialect runs a new pass', async () => {
    // checkFrequency `save` makes a pass observable: documents are linted when opened, but an edit is not linted until
    // a save or something else asks for a pass, so diagnostics for the edited version appear only if a pass runs.
    const settings = { checkFrequency: 'save' };
    const client = await LspClient.start({ configuration: settings });
    try {
      const a = uriOf('a.md');
      const b = uriOf('b.md');
      client.open(a, `${PROSE}\n`);
      client.open(b, `${PARAS[0]} We went to the the station.\n`);
      await client.diagnostics(a);
      const bBefore = await client.diagnostics(b);
      const edited = `${PROSE}\n\nWe went to the the station.\n`;
      const v2 = client.change(a, edited);

      // heatmap: a republish of every document's last pass (b's, with the buckets); a's pass is of version 1, so
      // nothing is published for it, and no pass runs for its version 2.
      let from = client.notifications.length;
      client.configuration = { ...settings, heatmap: true };
      client.notify('workspace/didChangeConfiguration', { settings: null });
      await client.waitFor((n) => client.notifications.indexOf(n) >= from && n.method === 'plausibility/heatmap' && n.params.uri === b, 'the heatmap of b');
      const republished = since(client, from);
      const forA = republished.filter((n: Notification) => n.params?.uri === a);
      assert.deepEqual(forA, [], 'nothing for the edited document: no pass ran');
      const bDiagnostics = republished.filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === b);
      assert.equal(bDiagnostics.length, 1);
      assert.equal(bDiagnostics[0].params.version, 1);
      assert.deepEqual(bDiagnostics[0].params.diagnostics, bBefore);
      assert.ok(republished.some((n) => n.method === 'plausibility/status' && n.params.uri === b && n.params.state === 'ok'));

      // dialect: findings may change, so every open document gets a new pass, the edited one on its current text.
      from = client.notifications.length;
      client.configuration = { ...settings, heatmap: true, dialect: 'en-GB' };
      client.notify('workspace/didChangeConfiguration', { settings: null });
      const aDiagnostics = await client.diagnostics(a, v2);
      assert.ok(aDiagnostics.some((d) => d.range.start.line === 2), `the edit was linted: ${JSON.stringify(aDiagnostics)}`);
      await client.waitFor((n) => client.notifications.indexOf(n) >= from && n.method === 'plausibility/heatmap' && n.params.uri === a && n.params.version === v2, 'the heatmap of a v2');
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });
});
