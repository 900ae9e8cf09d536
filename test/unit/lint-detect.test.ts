/** eval detect's metrics on a tiny fixture whose answers are known by hand, and through the CLI. */
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectMetrics, detectPairs } from '../../src/core/lint/detectEval';
import { cli } from './helpers';

const RECORDS = [
  { source: 'A letter form the council.', references: ['A letter from the council.'], spans: [{ start: 9, end: 13 }] },
  { source: 'We went to the the store.', references: ['We went to the store.'], spans: [{ start: 14, end: 18 }] },
  { source: 'Same text.', references: ['Same text.'], spans: [] },
  { source: 'It was a beatiful day.', references: ['It was a beautiful day.'], spans: [{ start: 9, end: 17 }] },
];

describe('eval detect', function () {
  this.timeout(120_000);

  it('computes sentence and span metrics as the gec-dev README defines them', () => {
    const pairs = detectPairs(RECORDS);
    assert.equal(pairs.length, 3);
    // Pair 1: source flagged on the span; pair 2: nothing; pair 3: source flagged off the span, correction flagged.
    const m = detectMetrics(pairs, [
      { source: [{ start: 9, end: 13 }], correction: [] },
      { source: [], correction: [] },
      { source: [{ start: 0, end: 2 }], correction: [{ start: 0, end: 2 }] },
    ]);
    assert.equal(m.sentence_recall, 2 / 3);
    assert.equal(m.false_alarm_rate, 1 / 3);
    assert.equal(m.sentence_precision, 2 / 3);
    assert.ok(Math.abs(m.sentence_f05 - 2 / 3) < 1e-12);
    assert.equal(m.span_precision, 1 / 2);
    assert.equal(m.span_recall, 1 / 3);
    assert.equal(m.sentences, 6);
  });

  it('runs through the CLI with the keys and exit codes of the contract', () => {
    const dir = mkdtempSync(join(tmpdir(), 'detect-'));
    const file = join(dir, 'tiny.jsonl');
    writeFileSync(file, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = cli(['eval', 'detect', file, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    for (const k of ['sentence_recall', 'false_alarm_rate', 'sentence_precision', 'sentence_f05', 'span_precision', 'span_recall', 'span_f05', 'sentences', 'cpu_seconds'])
      assert.equal(typeof m[k], 'number', k);
    assert.equal(m.sentences, 6);
    // The repeated word and the misspelling are found on their spans; the corrections are clean.
    assert.ok(m.sentence_recall >= 2 / 3, JSON.stringify(m));
    assert.ok(m.span_precision === 1, JSON.stringify(m));
    assert.equal(m.false_alarm_rate, 0);
    const bad = cli(['eval', 'detect', join(dir, 'missing.jsonl')]);
    assert.equal(bad.code, 2);
  });
});
