/**
 * One pipeline: `plausibility lint --format json` and the language server the editor runs (`plausibility lsp
 * --stdio`) give the same findings (ranges, rule ids, messages, severities, fixes) for the same documents and default
 * settings.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from './helpers';
import { LspClient } from './lspClient';

const PROSE = 'I got a letter form the council about the new road. It was a beatiful day for a walk.';
const DOCS: Record<string, string> = {
  'code.md': `# Notes\n\n${PROSE}\n\n\`\`\`python\nx = form_the(the the)  # beatiful\n\`\`\`\n\nWe went to the the station early.\n`,
  'directives.md': `${PROSE}\n\n<!-- plausibility-disable-next-line -->\nIt was a beatiful day.\n\nWe went to the the station. <!-- plausibility-disable-line -->\n`,
  'front.md': `---\ntitle: A beatiful title\nauthor: A. Writer\ntags: [news]\n---\n\n${PROSE}\n`,
  'crlf.md': `${PROSE}\r\n\r\nThe next meeting is on monday at ten in the morning.\r\n`,
  'emoji.md': `Great news 🎉 for the team 👩‍💻! ${PROSE}\n\nThe next meeting is on monday at ten 🙂.\n`,
  'long.md': `${PROSE}\n\n\`\`\`text\n${'the the form beatiful\n'.repeat(6000)}\`\`\`\n\nThe next meeting is on monday at ten in the morning.\n`,
};
const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

describe('lint: the CLI and the language server agree', function () {
  this.timeout(600_000);

  it('on Markdown with code, directives, front matter, CRLF, emoji and a file over 100,000 characters', async () => {
    assert.ok(DOCS['long.md'].length > 100_000);
    const dir = mkdtempSync(join(tmpdir(), 'parity-'));
    // No workspace folder: no allow-list applies on either side.
    const client = await LspClient.start();
    try {
      let total = 0;
      let fixes = 0;
      for (const [name, text] of Object.entries(DOCS)) {
        const file = join(dir, name);
        writeFileSync(file, text);
        client.open(pathToFileURL(file).href, text);
      }
      for (const [name, text] of Object.entries(DOCS)) {
        const file = join(dir, name);
        const uri = pathToFileURL(file).href;
        const r = cli(['lint', file, '--format', 'json']);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        const fromCli = JSON.parse(r.stdout).files[0].findings.map((f: Record<string, any>) => ({
          range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.endLine - 1, character: f.endColumn - 1 } },
          offsets: [f.start, f.end],
          code: f.rule,
          message: f.message,
          severity: SEVERITY[f.severity],
          replacement: f.replacement,
        }));
        const fromServer = [];
        for (const d of await client.diagnostics(uri)) {
          // The fix is the preferred quick fix's replacement of the diagnostic's range.
          const actions: any[] = await client.request('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
          // The preferred quick fix of this diagnostic (the range may hold other findings' fixes too).
          const mine = (a: any) => (a.diagnostics ?? []).some((x: any) => x.code === d.code && JSON.stringify(x.range) === JSON.stringify(d.range));
          const preferred = actions.filter((a) => a.isPreferred && a.edit && mine(a));
          assert.ok(preferred.length <= 1);
          const edits = preferred[0]?.edit.changes[uri];
          if (edits) assert.deepEqual(edits.map((e: any) => e.range), [d.range]);
          fromServer.push({
            range: d.range,
            offsets: [d.data.start, d.data.end],
            code: d.code,
            message: d.message,
            severity: d.severity,
            replacement: edits ? edits[0].newText : null,
          });
          assert.equal(d.source, 'plausibility');
        }
        assert.deepEqual(fromServer, fromCli, name);
        for (const f of fromServer) assert.ok(f.offsets[0] < f.offsets[1] && f.offsets[1] <= text.length);
        total += fromCli.length;
        fixes += fromCli.filter((f: { replacement: string | null }) => f.replacement !== null).length;
      }
      assert.ok(total >= 6, `the documents have planted errors (${total} findings)`);
      assert.ok(fixes >= 6, `and fixes for them (${fixes})`);
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });
});

describe('lint: the workspace allow-list applies in the CLI as in the editor', function () {
  this.timeout(120_000);

  it('a phrase in the nearest .vscode/plausibility-allow.txt is not flagged', () => {
    const root = mkdtempSync(join(tmpdir(), 'allow-'));
    const docs = join(root, 'docs');
    mkdirSync(join(root, '.vscode'), { recursive: true });
    mkdirSync(docs);
    const file = join(docs, 'a.md');
    writeFileSync(file, 'It was a beatiful day. The goverment met.\n');
    const before = JSON.parse(cli(['lint', file, '--format', 'json']).stdout).files[0].findings.map((f: { text: string }) => f.text);
    assert.deepEqual(before, ['beatiful', 'goverment']);
    writeFileSync(join(root, '.vscode', 'plausibility-allow.txt'), '# names we use\nBeatiful\n');
    const after = JSON.parse(cli(['lint', file, '--format', 'json']).stdout).files[0].findings.map((f: { text: string }) => f.text);
    assert.deepEqual(after, ['goverment']);
  });
});
