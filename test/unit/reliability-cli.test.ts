/** Defects a hostile test found in the CLI (issue 22): argv size, folders and globs, pipes, numeric options, SARIF. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { InputError } from '../../src/core/errors';
import { expandInputs, globToRegExp } from '../../src/cli/files';
import { readInputWith } from '../../src/cli/input';
import { NUMERIC_OPTIONS, parseNumericOption, validateNumericOptions } from '../../src/cli/options';
import { artifactUri } from '../../src/cli/sarif';
import { cli, CLI, MODEL_DIR, ROOT } from './helpers';

const SAMPLE = join(ROOT, 'samples', 'sample.md');
const quiet = { maxBytes: 0, warn: () => undefined };

describe('reliability: CLI', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-rel-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a command line over 29 KB does not crash onnxruntime (lint of 1,100 absolute paths)', () => {
    const args = ['lint', ...Array.from({ length: 1100 }, () => SAMPLE), '--format', 'json'];
    assert.ok(args.join(' ').length > 29_000);
    const r = cli(args);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).files.length, 1, 'duplicates are linted once');
  });

  it('folders are walked for prose files; quoted globs with ** are expanded', () => {
    const root = join(tmp, 'tree');
    for (const d of ['sub/deeper', '.git', 'node_modules/pkg', '.hidden']) mkdirSync(join(root, d), { recursive: true });
    const files = ['a.md', 'sub/b.txt', 'sub/deeper/c.rst', 'sub/deeper/d.markdown', 'e.tex', 'f.js', '.git/g.md', 'node_modules/pkg/h.md', '.hidden/i.md'];
    for (const f of files) writeFileSync(join(root, f), 'Some words.\n');
    const walked = expandInputs([root]).files.map((p) => p.slice(root.length + 1)).sort();
    assert.deepEqual(walked, ['a.md', 'e.tex', 'sub/b.txt', 'sub/deeper/c.rst', 'sub/deeper/d.markdown']);
    const globbed = expandInputs([`${root}/**/*.{md,markdown}`]).files.map((p) => p.slice(root.length + 1)).sort();
    assert.deepEqual(globbed, ['a.md', 'sub/deeper/d.markdown']);
    assert.deepEqual(expandInputs([`${root}/nothing/*.md`]).unmatched, [`${root}/nothing/*.md`]);
    assert.ok(globToRegExp('**/x?.md').test('a/b/x1.md') && globToRegExp('**/x?.md').test('x1.md'));
    assert.ok(!globToRegExp('*.md').test('a/b.md'));
    // And through the CLI, relative to the working directory.
    const r = cli(['lint', 'tree', '**/deeper/*.rst', '--format', 'json', '--threshold', '1000'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).files.map((f: { path: string }) => f.path).sort(), ['tree/a.md', 'tree/e.tex', 'tree/sub/b.txt', 'tree/sub/deeper/c.rst', 'tree/sub/deeper/d.markdown']);
  });

  it('a pipe from process substitution is read to EOF, not reported empty', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" lint <(cat "${SAMPLE}") --model "${MODEL_DIR}" --format json`], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(JSON.parse(r.stdout).findings > 0);
  });

  it('a FIFO with a writer is read to EOF with the byte limit; with no writer it times out; devices and sockets are refused', async () => {
    const fifo = join(tmp, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const writer = spawn('sh', ['-c', `sleep 0.2; printf 'Hello from a FIFO.' > "${fifo}"`]);
    const input = readInputWith(fifo, quiet);
    assert.deepEqual(input, { kind: 'text', name: fifo, text: 'Hello from a FIFO.' });
    await new Promise((res) => writer.on('close', res));
    const big = spawn('sh', ['-c', `head -c 100000 /dev/zero | tr '\\0' a > "${fifo}"`]);
    const over = readInputWith(fifo, { ...quiet, maxBytes: 1000 });
    assert.equal(over.kind === 'skip' && over.tooLarge, true);
    big.kill();
    await new Promise((res) => big.on('close', res));
    assert.throws(() => readInputWith(fifo, { ...quiet, fifoWaitMs: 300 }), (e: unknown) => e instanceof InputError && /no writer/.test(e.message));
    assert.throws(() => readInputWith('/dev/zero', quiet), /device/);
    const sock = join(tmp, 'sock');
    const server: Server = createServer();
    await new Promise<void>((res) => server.listen(sock, res));
    try {
      assert.throws(() => readInputWith(sock, quiet), /socket/);
    } finally {
      server.close();
    }
  });

  it('stdin over --max-bytes stops reading at the limit', () => {
    const r = cli(['lint', '-', '--max-bytes', '100'], { input: 'word '.repeat(1000) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /<stdin>.*over the --max-bytes limit/);
  });

  it('every numeric option rejects fractional, negative, huge and non-numeric values, naming the option, before any output', () => {
    const bad: Record<string, string[]> = {
      window: ['10.5', '-3', '1', '1e30', 'abc', ''],
      stride: ['1.5', '0', '-1', '1e30', 'x'],
      'top-k': ['2.5', '0', '-5', '1e30', 'ten'],
      percentile: ['abc', '150', '-20', '0', '100', 'Infinity'],
      threads: ['-1', '0', '1.5', '1e9', 'NaN'],
      'max-bytes': ['-1', '1.5', '1e30', '0x10'],
      temperature: ['-1', 'hot'],
      'top-p': ['0', '1.5', 'x'],
      'max-tokens': ['0', '2.5', '-1', '1e30'],
      seed: ['-1', '1.5', 'x'],
    };
    for (const [name, values] of Object.entries(bad)) {
      const spec = NUMERIC_OPTIONS[name];
      for (const v of values) assert.throws(() => parseNumericOption(name, v, spec), new RegExp(`--${name} must be`), `--${name} ${v}`);
    }
    assert.equal(parseNumericOption('percentile', '99.5', NUMERIC_OPTIONS.percentile), 99.5);
    assert.equal(validateNumericOptions(new Map([['top-k', '0']]), 'generate').get('top-k'), 0);
    assert.throws(() => validateNumericOptions(new Map([['window', '8'], ['stride', '9']])), /--stride/);
    // Through the CLI: exit 2, nothing on stdout, the option named.
    for (const [cmd, args] of [
      ['score', ['--top-k', '2.5', '--format', 'json']],
      ['score', ['--window', '10.5']],
      ['lint', ['--percentile', 'abc']],
      ['lint', ['--threads', '-1']],
      ['perplexity', ['--stride', '1.5']],
    ] as const) {
      const r = cli([cmd, SAMPLE, ...args]);
      assert.equal(r.code, 2, `${cmd} ${args.join(' ')}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`error: ${args[0]} must be`));
    }
    assert.equal(cli(['generate', '--max-tokens', '2.5']).code, 2);
  });

  it('--top-k above the vocabulary and --window above the context are errors, not clamped', () => {
    // One more than the bundled model's vocabulary.
    const vocab = JSON.parse(readFileSync(join(ROOT, 'models', 'default', 'config.json'), 'utf8')).vocab_size as number;
    const k = cli(['score', SAMPLE, '--top-k', String(vocab + 1), '--format', 'json']);
    assert.equal(k.code, 2);
    assert.equal(k.stdout, '');
    assert.match(k.stderr, /--top-k must be at most the model's vocabulary size/);
    const w = cli(['perplexity', SAMPLE, '--window', '100000']);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /--window must be an integer from 2 to the model's context length/);
  });

  it('SARIF: percent-encoded URIs, stdin not written raw, every file in artifacts, valid against the 2.1.0 schema', () => {
    const odd = join(tmp, 'odd name #1 100%.md');
    writeFileSync(odd, readFileSync(SAMPLE));
    const clean = join(tmp, 'clean.md');
    writeFileSync(clean, 'The cat sat on the mat.\n');
    const r = cli(['lint', 'odd name #1 100%.md', 'clean.md', '-', '--format', 'sarif'], { cwd: tmp, input: readFileSync(SAMPLE, 'utf8') });
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    const uris = log.runs[0].artifacts.map((a: { location: { uri: string } }) => a.location.uri);
    assert.deepEqual(uris, ['odd%20name%20%231%20100%25.md', 'clean.md', '%3Cstdin%3E']);
    for (const res of log.runs[0].results) {
      const loc = res.locations[0].physicalLocation.artifactLocation;
      assert.equal(loc.uri, uris[loc.index]);
      assert.ok(!/[<> #%]/.test(decodeURIComponent(loc.uri)) || /%/.test(loc.uri));
    }
    assert.ok(!r.stdout.includes('"<stdin>"'));
    assert.equal(artifactUri('a:b/c d.md'), 'a%3Ab/c%20d.md');
    assert.equal(artifactUri('/abs/x y.md'), 'file:///abs/x%20y.md');
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    // The schema is draft-04: ajv 8 reads it once the draft-04 `id` and `$schema` keywords are restated.
    delete schema.$schema;
    schema.$id = schema.id;
    delete schema.id;
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  });

  it('a file over --max-bytes fails lint (exit 2) unless --skip-large', () => {
    const r = cli(['lint', SAMPLE, '--max-bytes', '10']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /over the --max-bytes limit.*--skip-large/);
    const s = cli(['lint', SAMPLE, '--max-bytes', '10', '--skip-large', '--format', 'json']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(JSON.parse(s.stdout).files[0].skipped, /over the --max-bytes limit/);
  });
});
