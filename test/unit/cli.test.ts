import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, MODEL_DIR, ROOT } from './helpers';

const SAMPLE = join(ROOT, 'samples', 'sample.md');

describe('CLI', function () {
  this.timeout(600000); // generous: the machines running CI may be heavily shared
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'plaus-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, data: string | Uint8Array): string => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    return p;
  };
  const noStack = (s: string) => assert.ok(!/\n\s+at .+\(.+:\d+:\d+\)/.test(s), `stack trace in output:\n${s}`);

  it('--help and --version', () => {
    const r = cli(['--help'], { noModel: true });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /plausibility <command>/);
    assert.equal(cli(['--version'], { noModel: true }).code, 0);
  });

  it('score --format json: only JSON on stdout, no BOS row, text equals slice', () => {
    const text = 'Naïve café 😀 — the cat sat on the mat.\r\nSecond line.';
    const p = file('score.txt', text);
    const r = cli(['score', p, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(typeof j.model === 'string');
    assert.ok(j.tokens.length > 0);
    let rebuilt = '';
    for (const t of j.tokens) {
      assert.equal(t.text, text.slice(t.start, t.end));
      assert.ok(Number.isFinite(t.nll));
      assert.ok(t.prob > 0 && t.prob <= 1);
      assert.ok(t.rank >= 1);
      assert.ok(Number.isFinite(t.entropy));
      assert.ok(Array.isArray(t.top) && t.top.length > 0 && typeof t.top[0].token === 'string');
      rebuilt += t.text;
    }
    assert.equal(rebuilt, text);
    assert.ok(Number.isFinite(j.nll) && Number.isFinite(j.perplexity));
    const sum = j.tokens.reduce((a: number, t: { nll: number }) => a + t.nll, 0);
    assert.ok(Math.abs(sum - j.nll) < 1e-6);
  });

  it('score reads stdin and prints text rows', () => {
    const r = cli(['score', '-'], { input: 'Hello world.' });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.match(rows[0], /line:col/);
    assert.match(rows[1], /^\s+1\s+1:1\s/);
    assert.match(rows[rows.length - 1], /^tokens \d+ .*perplexity/);
  });

  it('rank puts "The cat sat on the mat." above "The mat sat on cat the."', () => {
    const r = cli(['rank', '--context', '', 'The mat sat on cat the.', 'The cat sat on the mat.', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.length, 2);
    assert.equal(j[0].text, 'The cat sat on the mat.');
    assert.ok(j[0].nll < j[1].nll);
    for (const x of j) {
      assert.deepEqual(Object.keys(x).sort(), ['nll', 'nll_per_token', 'text', 'tokens']);
      assert.ok(x.tokens > 0);
    }
    const pt = cli(['rank', '--context', 'My favourite animal is the', ' cat', ' hippopotamus', ' of', '--per-token', '--format', 'json']);
    assert.equal(pt.code, 0, pt.stderr);
    const pj = JSON.parse(pt.stdout);
    for (let i = 1; i < pj.length; i++) assert.ok(pj[i - 1].nll_per_token <= pj[i].nll_per_token);
    const txt = cli(['rank', '--context', 'Hello', ' world', ' there']);
    assert.equal(txt.code, 0);
    assert.match(txt.stdout, /1\. nll=/);
  });

  it('perplexity json', () => {
    const r = cli(['perplexity', SAMPLE, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.tokens > 50 && j.perplexity > 1 && j.bits_per_byte > 0 && j.word_perplexity > j.perplexity);
  });

  it('lint: findings exit 1 with line:col text output; json and sarif formats', () => {
    const r = cli(['lint', SAMPLE]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 1);
    for (const l of lines) assert.match(l, /^samples\/sample\.md:\d+:\d+: (error|warning|info|hint): .+ \[plausibility\/[a-z-]+\]$/);
    const sampleLines = readFileSync(SAMPLE, 'utf8').split('\n');
    // The sample's planted errors: a misspelling and a real word in the wrong place, each flagged on its line.
    for (const planted of ['famillies', 'letter form the']) {
      const plantedLine = sampleLines.findIndex((l) => l.includes(planted)) + 1;
      assert.ok(lines.some((l) => l.startsWith(`samples/sample.md:${plantedLine}:`)), `${planted}: ${r.stdout}`);
    }

    const j = cli(['lint', SAMPLE, '--format', 'json']);
    assert.equal(j.code, 1);
    const o = JSON.parse(j.stdout);
    assert.equal(o.files.length, 1);
    assert.ok(o.findings >= 1);
    const f = o.files[0].findings[0];
    for (const k of ['line', 'column', 'endLine', 'endColumn', 'start', 'end', 'text', 'rule', 'message', 'severity', 'replacement', 'gain_bits', 'suggestions'])
      assert.ok(k in f, k);
    assert.equal(typeof f.replacement, 'string');
    assert.ok(f.gain_bits > 0);

    const s = cli(['lint', SAMPLE, '--format', 'sarif']);
    assert.equal(s.code, 1);
    const sarif = JSON.parse(s.stdout);
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0].tool.driver.name, 'plausibility');
    assert.ok(sarif.runs[0].results.length >= 1);
    assert.ok(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine >= 1);
  });

  it('lint: clean text exits 0; a huge --threshold silences findings', () => {
    const p = file('clean.md', 'The cat sat on the mat.\n');
    const r = cli(['lint', p, '--threshold', '1000']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
  });

  it('lint: empty, whitespace-only and binary files are skipped with a warning and count as no findings', () => {
    const empty = file('empty.md', '');
    const ws = file('ws.md', '  \n\t\n');
    const bin = file('bin.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]));
    for (const p of [empty, ws, bin]) {
      const r = cli(['lint', p]);
      assert.equal(r.code, 0, `${p}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /warning/);
      noStack(r.stderr);
      const j = cli(['lint', p, '--format', 'json']);
      assert.equal(j.code, 0);
      const o = JSON.parse(j.stdout);
      assert.equal(o.findings, 0);
      assert.ok(o.files[0].skipped);
    }
  });

  it('nonexistent path: clear message, exit 2, no stack trace; other files still linted', () => {
    const r = cli(['lint', join(tmp, 'does-not-exist.md')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such file/);
    noStack(r.stderr);
    const both = cli(['lint', join(tmp, 'nope.md'), SAMPLE, '--format', 'json']);
    assert.equal(both.code, 2);
    const o = JSON.parse(both.stdout);
    assert.equal(o.files.length, 2);
    assert.ok(o.files[1].findings.length >= 1);
    for (const cmd of [['score'], ['perplexity']]) {
      const x = cli([...cmd, join(tmp, 'nope.md')]);
      assert.equal(x.code, 2);
      assert.match(x.stderr, /no such file/);
      noStack(x.stderr);
    }
  });

  it('invalid UTF-8 is decoded with a warning', () => {
    const p = file('bad.txt', Buffer.concat([Buffer.from('The cat sat on '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(' the mat.')]));
    const r = cli(['score', p, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /invalid UTF-8/);
    JSON.parse(r.stdout);
  });

  it('an unreadable model: exit 2 with a clear message', () => {
    const bad = join(tmp, 'badmodel');
    mkdirSync(bad);
    writeFileSync(join(bad, 'config.json'), '{');
    writeFileSync(join(bad, 'tokenizer.json'), '{}');
    const r = cli(['lint', SAMPLE, '--model', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.json is not valid JSON/);
    noStack(r.stderr);
    const m = cli(['score', SAMPLE, '--model', join(tmp, 'missing-model')]);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /model folder not found/);
  });

  it('--variant picks the ONNX file by precision; a missing variant is a clear error', () => {
    const absent = cli(['score', SAMPLE, '--variant', 'fp16', '--format', 'json']);
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /ONNX model not found: .*model_fp16\.onnx/);
    noStack(absent.stderr);
    // A folder whose quantized slot holds the fp32 graph: the variant loads and scores exactly like fp32.
    const dir = join(tmp, 'variant-model');
    mkdirSync(join(dir, 'onnx'), { recursive: true });
    for (const f of readdirSync(MODEL_DIR)) if (f !== 'onnx') symlinkSync(join(MODEL_DIR, f), join(dir, f));
    symlinkSync(join(MODEL_DIR, 'onnx', 'model.onnx'), join(dir, 'onnx', 'model_quantized.onnx'));
    const q = cli(['score', SAMPLE, '--model', dir, '--variant', 'quantized', '--format', 'json', '--verbose']);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stderr, /\[onnx\/model_quantized\.onnx\]/);
    const ref = cli(['score', SAMPLE, '--format', 'json']);
    assert.equal(JSON.parse(q.stdout).nll, JSON.parse(ref.stdout).nll);
  });

  it('usage errors exit 2', () => {
    assert.equal(cli(['bogus']).code, 2);
    assert.equal(cli(['lint']).code, 2);
    assert.equal(cli(['lint', SAMPLE, '--format', 'xml']).code, 2);
    assert.equal(cli(['score', SAMPLE, '--format', 'sarif']).code, 2);
    assert.equal(cli(['lint', SAMPLE, '--no-such-flag']).code, 2);
    assert.equal(cli(['rank', 'a']).code, 2);
  });

  it('a 10 MB file is skipped quickly with a notice (bounded memory); --max-bytes 0 streams it in chunks', () => {
    const p = join(tmp, 'big.md');
    const fd = openSync(p, 'w');
    const para = 'The river ran past the mill and under the old stone bridge toward the sea. '.repeat(12) + '\n\n';
    const chunk = para.repeat(Math.ceil(1_000_000 / para.length));
    for (let i = 0; i < 10; i++) writeSync(fd, chunk);
    closeSync(fd);
    const t0 = Date.now();
    const r = cli(['lint', p]);
    assert.equal(r.code, 2, r.stderr); // an unchecked file fails CI unless --skip-large
    assert.match(r.stderr, /over the --max-bytes limit.*--skip-large/);
    const skip = cli(['lint', p, '--skip-large']);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stderr, /over the --max-bytes limit/);
    assert.ok(Date.now() - t0 < 120000); // no scoring happened: only process start and model load
    // A smaller long file processed fully in chunks.
    const mid = file('mid.md', para.repeat(Math.ceil(90_000 / para.length)));
    const m = cli(['perplexity', mid, '--format', 'json', '--max-bytes', '0']);
    assert.equal(m.code, 0, m.stderr);
    const j = JSON.parse(m.stdout);
    assert.ok(j.tokens > 10000);
  });

  it('eval blimp: batched accuracy with per-paradigm breakdown', () => {
    const d = join(tmp, 'blimp');
    mkdirSync(d);
    const pairs = [
      ['The cat sat on the mat.', 'The mat sat on cat the.'],
      ['She has eaten the apple.', 'She have eaten the apple.'],
      ['Many people were there.', 'Many people was there.'],
    ];
    writeFileSync(join(d, 'a.jsonl'), pairs.map(([g, b]) => JSON.stringify({ sentence_good: g, sentence_bad: b })).join('\n') + '\n');
    writeFileSync(join(d, 'b.jsonl'), JSON.stringify({ sentence_good: 'Dogs bark.', sentence_bad: 'Dogs barks.', UID: 'x' }) + '\n');
    const r = cli(['eval', 'blimp', d, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.pairs, 4);
    assert.ok(j.accuracy >= 0 && j.accuracy <= 1);
    assert.deepEqual(Object.keys(j.per_paradigm).sort(), ['a', 'b']);
    assert.equal(j.per_paradigm.a.pairs, 3);
    const bad = cli(['eval', 'blimp', join(tmp, 'nope'), '--format', 'json']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
  });
});
