import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate, findSpans, lintText, percentileOf, proseView, zForPercentile } from '../../src/core';
import { engine, ROOT } from './helpers';

const PROSE =
  'On Sunday morning we walked along the river to the old mill. The path was muddy after the rain, but the air was ' +
  'fresh and the sun came out as we reached the bridge. A few families were feeding the ducks, and a man was fishing ' +
  'from the bank. We stopped for lunch at a small cafe near the church. The soup was hot and the bread was fresh.';

describe('spans', function () {
  this.timeout(120000);

  it('percentile helpers', () => {
    assert.equal(percentileOf({ '50': 5, '90': 9 }, '90'), 9);
    assert.equal(percentileOf({ '50': 5, '90': 9 }, '70'), 7);
    assert.ok(Math.abs(zForPercentile(99) - 2.326) < 0.01);
    assert.ok(Math.abs(zForPercentile(95) - 1.645) < 0.01);
  });

  it('thresholds are calibrated from the model stats and are higher for the first tokens', async () => {
    const e = await engine();
    const s = await e.scoreText(PROSE, { topK: 0 });
    const cal = calibrate(s.tokens, e.stats);
    assert.equal(cal.source, e.stats ? 'model' : 'document');
    assert.ok(cal.thresholdAt(50) > cal.median);
    if (e.stats) {
      // Each position is judged against its own bucket (first tokens have little context) and never below overall.
      const p99 = percentileOf(e.stats.percentiles, '99')!;
      for (const pos of [1, 2, 3, 5, 20, 300]) {
        assert.ok(cal.thresholdAt(pos) >= p99 - 1e-9);
        const b = e.stats.by_position?.find((x) => typeof x.to === 'number' && pos >= x.from && pos <= x.to);
        if (b) assert.ok(cal.thresholdAt(pos) >= percentileOf(b.percentiles, '99')! - 1e-9);
      }
    }
    const doc = calibrate(s.tokens, undefined, { calibration: 'document' });
    assert.ok(doc.thresholdAt(1) > doc.thresholdAt(50));
    const abs = calibrate(s.tokens, e.stats, { thresholdBits: 12 });
    assert.equal(abs.thresholdAt(100), 12);
  });

  it('ordinary prose produces few flags', async () => {
    const e = await engine();
    const s = await e.scoreText(PROSE);
    const spans = findSpans(s, e.stats);
    const words = PROSE.split(/\s+/).length;
    assert.ok(spans.length <= Math.max(3, words * 0.05), `${spans.length} flags: ${spans.map((x) => x.text).join(' | ')}`);
  });

  it('flags a planted implausible phrase in a Markdown document', async () => {
    const e = await engine();
    const text = readFileSync(join(ROOT, 'samples', 'sample.md'), 'utf8').replace('In the evening', 'Yesterday the harbour ate seventeen quietly of the under.\n\nIn the evening');
    const { spans } = await lintText(e, text);
    const planted = text.indexOf('Yesterday the harbour ate seventeen quietly of the under.');
    const plantedEnd = planted + 'Yesterday the harbour ate seventeen quietly of the under.'.length;
    const hits = spans.filter((x) => x.start >= planted && x.end <= plantedEnd);
    assert.ok(hits.length > 0, `planted phrase not flagged; flags: ${spans.map((x) => x.text).join(' | ')}`);
    // spans are ordered, non-overlapping, inside the text, and never in the code block
    const code = text.indexOf('```sh');
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i];
      assert.ok(sp.start >= 0 && sp.end <= text.length && sp.start < sp.end);
      assert.equal(sp.text, text.slice(sp.start, sp.end));
      if (i > 0) assert.ok(sp.start >= spans[i - 1].end);
      assert.ok(sp.start < code, `flag inside code block: ${sp.text}`);
      assert.ok(sp.message.length > 0);
    }
  });

  it('proseView joins soft-wrapped lines only, with exact offset mapping', () => {
    const text = '# Title\nFirst line of a\nwrapped paragraph.\r\nStill it.\n\n- item one\n- item two\n\n```\ncode\nmore\n```\n';
    const v = proseView(text);
    assert.equal(v.text.length, text.length - 1);
    assert.ok(v.text.includes('First line of a wrapped paragraph. Still it.'));
    assert.ok(v.text.includes('# Title\nFirst'));
    assert.ok(v.text.includes('- item one\n- item two'));
    assert.ok(v.text.includes('code\nmore'));
    for (const w of ['wrapped', 'Still', 'item two', 'more']) {
      const i = v.text.indexOf(w);
      assert.equal(text.slice(v.toOriginal(i), v.toOriginal(i + w.length)), w);
    }
  });

  it('flags word salad', async () => {
    const e = await engine();
    const text = PROSE + ' Whereas umbrella seventeen of quickly the banana if cathedral sings purple. ' + PROSE;
    const s = await e.scoreText(text);
    const spans = findSpans(s, e.stats);
    const a = text.indexOf('Whereas umbrella');
    const b = text.indexOf('sings purple.') + 'sings purple.'.length;
    assert.ok(spans.some((x) => x.start >= a && x.end <= b), `salad not flagged: ${spans.map((x) => x.text).join(' | ')}`);
  });

  it('disable directives suppress flags', async () => {
    const e = await engine();
    const text = PROSE + '\n\n<!-- plausibility-disable-next-line -->\nWhereas umbrella seventeen of quickly the banana if cathedral sings purple.\n';
    const s = await e.scoreText(text);
    const at = text.indexOf('Whereas');
    assert.ok(findSpans(s, e.stats).every((x) => x.end <= at));
  });

  it('per-document calibration works without model stats', async () => {
    const e = await engine();
    const text = PROSE + ' Yesterday the harbour ate seventeen quietly of the under. ' + PROSE;
    const s = await e.scoreText(text);
    const spans = findSpans(s, undefined, { calibration: 'document' });
    assert.ok(spans.length < 15);
    for (const sp of spans) assert.equal(sp.text, text.slice(sp.start, sp.end));
  });
});
