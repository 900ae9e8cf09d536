/**
 * One pipeline: `plausibility lint --format json` and the editor's engine worker give the same findings (ranges,
 * rule ids, messages, severities) for the same documents and default settings.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/worker/client';
import { DocumentScorer } from '../../src/worker/document';
import { cli, MODEL_DIR, ROOT } from './helpers';

const PROSE = 'I got a letter form the council about the new road. It was a beatiful day for a walk.';
const DOCS: Record<string, string> = {
  'code.md': `# Notes\n\n${PROSE}\n\n\`\`\`python\nx = form_the(the the)  # beatiful\n\`\`\`\n\nWe went to the the station early.\n`,
  'directives.md': `${PROSE}\n\n<!-- plausibility-disable-next-line -->\nIt was a beatiful day.\n\nWe went to the the station. <!-- plausibility-disable-line -->\n`,
  'front.md': `---\ntitle: A beatiful title\ntags: [news]\n---\n\n${PROSE}\n`,
  'crlf.md': `${PROSE}\r\n\r\nThe next meeting is on monday at ten in the morning.\r\n`,
  'emoji.md': `Great news 🎉 for the team 👩‍💻! ${PROSE}\n\nThe next meeting is on monday at ten 🙂.\n`,
  'long.md': `${PROSE}\n\n\`\`\`text\n${'the the form beatiful\n'.repeat(6000)}\`\`\`\n\nThe next meeting is on monday at ten in the morning.\n`,
};

describe('lint: the CLI and the editor worker agree', function () {
  this.timeout(600_000);

  it('on Markdown with code, directives, front matter, CRLF, emoji and a file over 100,000 characters', async () => {
    assert.ok(DOCS['long.md'].length > 100_000);
    const dir = mkdtempSync(join(tmpdir(), 'parity-'));
    const client = new EngineClient({ workerPath: join(ROOT, 'dist', 'worker.js') });
    try {
      const info = await client.load({ modelDir: MODEL_DIR, executionProvider: 'cpu' });
      let total = 0;
      for (const [name, text] of Object.entries(DOCS)) {
        const file = join(dir, name);
        writeFileSync(file, text);
        const r = cli(['lint', file, '--format', 'json']);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        const fromCli = JSON.parse(r.stdout).files[0].findings.map((f: Record<string, unknown>) => [f.start, f.end, f.rule, f.message, f.severity, f.replacement]);
        const scorer = new DocumentScorer(client);
        scorer.setModel(info);
        const fromWorker = (await scorer.score(text, 'markdown')).findings.map((f) => [f.start, f.end, f.rule, f.message, f.severity, f.replacement ?? null]);
        assert.deepEqual(fromCli, fromWorker, name);
        total += fromCli.length;
      }
      assert.ok(total >= 6, `the documents have planted errors (${total} findings)`);
    } finally {
      await client.dispose();
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
