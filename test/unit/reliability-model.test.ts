/** Damaged model folders give coded errors and exit 2 (issue 22, item 9). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModelDir, readSurprisalStats, surprisalStatsProblem } from '../../src/core/model/config';
import { ModelLoadError } from '../../src/core/errors';
import { checkModelFiles, positionTableRows } from '../../src/core/model/modelCheck';
import { cli, MODEL_DIR, ROOT } from './helpers';

const SAMPLE = join(ROOT, 'samples', 'sample.md');

describe('reliability: damaged model folders', function () {
  this.timeout(300_000);
  let tmp: string;
  let n = 0;
  /** A copy of the model with one file replaced. */
  function damaged(file: string, content: string | null): string {
    const dir = join(tmp, `m${n++}`);
    cpSync(MODEL_DIR, dir, { recursive: true });
    if (content === null) unlinkSync(join(dir, file));
    else writeFileSync(join(dir, file), content);
    return dir;
  }
  const coded = (code: string) => (e: unknown) => e instanceof ModelLoadError && e.code === code;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-model-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('config.json that is null, or an array, is MODEL_BAD_CONFIG; the CLI exits 2 without "unexpected error"', () => {
    const dir = damaged('config.json', 'null');
    assert.throws(() => checkModelDir(dir), coded('MODEL_BAD_CONFIG'));
    assert.throws(() => checkModelDir(damaged('config.json', '[1]')), coded('MODEL_BAD_CONFIG'));
    const r = cli(['lint', SAMPLE, '--model', dir]);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /unexpected error/);
    assert.match(r.stderr, /config\.json must hold a JSON object \(got null\)/);
  });

  it('surprisal_stats.json of the wrong shape is MODEL_CORRUPT_FILE, and lint exits 2', () => {
    const good = JSON.parse(readFileSync(join(MODEL_DIR, 'surprisal_stats.json'), 'utf8'));
    assert.equal(surprisalStatsProblem(good), undefined);
    for (const bad of [[], 'x', { percentiles: [] }, { ...good, percentiles: { 99: 'high' } }, { ...good, mean: null }, { ...good, by_position: {} }, { ...good, by_position: [{ from: 1 }] }])
      assert.ok(surprisalStatsProblem(bad), JSON.stringify(bad).slice(0, 80));
    const dir = damaged('surprisal_stats.json', JSON.stringify({ ...good, by_position: [{ from: 'a', percentiles: 3 }] }));
    assert.throws(() => readSurprisalStats(dir), coded('MODEL_CORRUPT_FILE'));
    const r = cli(['lint', SAMPLE, '--model', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /surprisal_stats\.json has a by_position\[0\]/);
  });

  it('a vocab_size smaller than the tokenizer is refused; n_positions beyond the position table is refused', () => {
    const cfg = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
    const small = damaged('config.json', JSON.stringify({ ...cfg, vocab_size: 4000 }));
    assert.throws(() => checkModelDir(small), coded('MODEL_BAD_CONFIG'));
    const r = cli(['score', SAMPLE, '--model', small]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /vocab_size 4000.*tokenizer/);
    assert.equal(positionTableRows(readFileSync(join(MODEL_DIR, 'onnx', 'model.onnx'))), cfg.n_positions);
    const long = damaged('config.json', JSON.stringify({ ...cfg, n_positions: cfg.n_positions * 4 }));
    assert.throws(() => checkModelFiles(long), coded('MODEL_BAD_CONFIG'));
    const p = cli(['perplexity', SAMPLE, '--model', long]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /position table has \d+ rows/);
    checkModelFiles(MODEL_DIR); // the shipped model passes
  });

  it('a FIFO in place of tokenizer.json is refused instead of hanging', () => {
    const dir = damaged('tokenizer.json', null);
    assert.equal(spawnSync('mkfifo', [join(dir, 'tokenizer.json')]).status, 0);
    assert.throws(() => checkModelDir(dir), coded('MODEL_CORRUPT_FILE'));
  });
});
