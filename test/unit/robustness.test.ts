/**
 * Robustness, part 1 (real model, no mocks): random Unicode documents must give ranges that lie inside the document
 * and map exactly to their tokens' characters; huge documents are turned away cheaply with a notice.
 *
 * The ranges checked are the ones the editor gets from the language server: diagnostics come from DocumentLinter
 * findings (document offsets), heatmap decorations from the `plausibility/heatmap` token triples, which the server
 * computes with heatmapTokens (block.start + the block's token offsets, leading whitespace trimmed) and the client
 * (src/client/heatmap.ts) only maps to positions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8Bytes } from '../../src/core/text/bytes';
import { Engine } from '../../src/core/engine';
import { splitBlocks } from '../../src/core/text/blocks';
import { DocumentLinter, LintResult } from '../../src/core/lint/linter';
import { BlockScore, PrefixCache, scoreItemsInGroups } from '../../src/core/scoring/blockScore';
import { heatmapTokens } from '../../src/core/scoring/heatmap';
import { skipReason } from '../../src/core/text/limits';
import { CLI, engine, MODEL_DIR, randomUnicode, rng } from './helpers';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** True when offset `i` falls between the two halves of a surrogate pair or of a CRLF. */
function splitsPair(text: string, i: number): boolean {
  if (i <= 0 || i >= text.length) return false;
  const a = text.charCodeAt(i - 1);
  const b = text.charCodeAt(i);
  return (isHigh(a) && isLow(b)) || (a === 13 && b === 10);
}

/**
 * Independent check of token offsets against the tokens' bytes: the bytes of the tokens, concatenated, are the
 * text's UTF-8 (lone surrogates as U+FFFD), and token i covers exactly the code points whose first byte lies in its
 * bytes (a token that holds only continuation bytes of a character covers nothing).
 */
function checkTokenChars(e: Engine, text: string, ids: number[], starts: ArrayLike<number>, ends: ArrayLike<number>): void {
  const bytes = utf8Bytes(text);
  // UTF-16 index of each code point and the byte offset where it starts.
  const cpStart: number[] = [];
  const cpByte: number[] = [];
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const pair = isHigh(c) && i + 1 < text.length && isLow(text.charCodeAt(i + 1));
    cpStart.push(i);
    cpByte.push(b);
    b += c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    i += pair ? 2 : 1;
  }
  assert.equal(b, bytes.length);
  const firstAtOrAfter = (byte: number) => {
    let k = 0;
    while (k < cpByte.length && cpByte[k] < byte) k++;
    return k < cpStart.length ? cpStart[k] : text.length;
  };
  let pos = 0;
  for (let i = 0; i < ids.length; i++) {
    const tb = e.tokenizer.tokenBytes(ids[i]);
    for (let j = 0; j < tb.length; j++) assert.equal(tb[j], bytes[pos + j], `token ${i} byte ${j}`);
    assert.equal(starts[i], firstAtOrAfter(pos), `token ${i} start`);
    pos += tb.length;
    assert.equal(ends[i], i + 1 < ids.length ? firstAtOrAfter(pos) : text.length, `token ${i} end`);
  }
  assert.equal(pos, bytes.length, 'tokens cover every byte');
}

/** Random documents: helpers' Unicode mix plus NUL, lone surrogates, CRLF paragraphs and Markdown. */
function randomDocument(r: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    let p = randomUnicode(r, 60);
    if (r() < 0.3) p += '\u0000';
    if (r() < 0.3) p = '\ud800' + p + '\udfff';
    if (r() < 0.2) p = '```\ncode 👩‍💻\n```\n' + p;
    if (r() < 0.3) p += ' the cat sat on the mat and then it went home.';
    parts.push(p);
  }
  return parts.join(r() < 0.5 ? '\r\n\r\n' : '\n\n');
}

/** Everything the editor gets from a result (diagnostics, heatmap triples) must lie inside the document and respect its characters. */
function checkResult(eng: Engine, text: string, res: LintResult): number {
  let ranges = 0;
  for (const { block, score } of res.blocks) {
    assert.ok(block.start >= 0 && block.start + block.text.length <= text.length, 'block inside the document');
    const n = score.starts.length;
    if (n === 0) continue;
    assert.equal(score.starts[0], 0, 'first token starts the block');
    assert.equal(score.ends[n - 1], block.text.length, 'last token ends the block');
    for (let i = 0; i < n; i++) {
      assert.ok(score.starts[i] <= score.ends[i]);
      if (i + 1 < n) assert.equal(score.ends[i], score.starts[i + 1], 'tokens tile the block');
      // The range a heatmap triple would give this token (every token may be coloured).
      let s = block.start + score.starts[i];
      const e = block.start + score.ends[i];
      while (s < e && /\s/.test(text[s])) s++;
      if (s >= e) continue;
      assert.ok(s >= 0 && e <= text.length, `decoration [${s}, ${e}) inside the document`);
      assert.ok(!splitsPair(text, s) && !splitsPair(text, e), `decoration [${s}, ${e}) splits a character`);
      ranges++;
    }
  }
  // The triples the server sends (plausibility/heatmap), with the model's calibration and the document's own.
  for (const [mode, stats] of [['rank', eng.stats], ['percentile', undefined]] as const) {
    const t = heatmapTokens(text, res.blocks, mode, stats);
    assert.equal(t.length % 3, 0);
    for (let i = 0; i < t.length; i += 3) {
      assert.ok(t[i] >= 0 && t[i] < t[i + 1] && t[i + 1] <= text.length, `heatmap [${t[i]}, ${t[i + 1]}) inside the document`);
      assert.ok(!/\s/.test(text[t[i]]), 'heatmap ranges start after the leading whitespace');
      assert.ok(!splitsPair(text, t[i]) && !splitsPair(text, t[i + 1]), `heatmap [${t[i]}, ${t[i + 1]}) splits a character`);
      assert.ok([0, 1, 2, 3].includes(t[i + 2]));
      ranges++;
    }
  }
  for (const f of res.findings) {
    assert.ok(f.start >= 0 && f.start < f.end && f.end <= text.length, `finding [${f.start}, ${f.end}) inside`);
    assert.ok(!splitsPair(text, f.start) && !splitsPair(text, f.end), 'finding splits a character');
    assert.equal(text.slice(f.start, f.end), f.text, 'the finding quotes exactly the characters it marks');
    assert.ok(f.replacement === undefined || typeof f.replacement === 'string');
    // It covers the characters of at least one token, within one block.
    const sb = res.blocks.find((b) => b.block.start <= f.start && f.end <= b.block.start + b.block.text.length);
    assert.ok(sb, 'finding within one block');
    const rel0 = f.start - sb.block.start;
    const rel1 = f.end - sb.block.start;
    let covered = false;
    for (let i = 0; i < sb.score.starts.length; i++) {
      const a = sb.score.starts[i];
      const z = sb.score.ends[i];
      if (z > a && a < rel1 && z > rel0) covered = true;
    }
    assert.ok(covered, 'finding overlaps its tokens');
    ranges++;
  }
  return ranges;
}

describe('robustness: random Unicode documents (linter + engine)', function () {
  // Generous: the work is small, but CI machines may be shared.
  this.timeout(300_000);

  it('engine offsets map exactly to the tokens\' bytes (60 random strings)', async () => {
    const e = await engine();
    const r = rng(1234);
    for (let k = 0; k < 60; k++) {
      const text = randomDocument(r);
      const t = e.tokenize(text);
      checkTokenChars(e, text, t.ids, t.starts, t.ends);
    }
  });

  it('block scores: offsets after a left context equal the engine\'s, clipped to the text (batch and KV prefix paths)', async () => {
    const e = await engine();
    const r = rng(99);
    const items = Array.from({ length: 6 }, (_, k) => ({ key: `k${k}`, context: randomUnicode(r, 30), text: randomDocument(r) }));
    /** Scores items as the linter does: groups of 8, and up to 3 items through the KV prefix path. */
    const score = async (these: typeof items) => {
      const out: BlockScore[] = [];
      await scoreItemsInGroups(e, new PrefixCache(e), these, 2, { batch: 8, prefixMaxItems: 3, throwIfCancelled: () => undefined, onBlock: (b) => out.push(b) });
      return out;
    };
    const batched = await score(items);
    assert.equal(batched.length, items.length);
    for (const [k, it] of items.entries()) {
      const [single] = await score([it]);
      const t = e.tokenize(it.context + it.text);
      checkTokenChars(e, it.context + it.text, t.ids, t.starts, t.ends);
      let first = 0;
      while (first < t.ids.length && t.ends[first] <= it.context.length) first++;
      for (const b of [batched[k], single]) {
        assert.equal(b.key, it.key);
        assert.equal(b.starts.length, t.ids.length - first, `item ${k}: reported tokens`);
        for (let i = 0; i < b.starts.length; i++) {
          assert.equal(b.starts[i], Math.max(0, t.starts[first + i] - it.context.length));
          assert.equal(b.ends[i], t.ends[first + i] - it.context.length);
          assert.ok(Number.isFinite(b.bits[i]) && b.bits[i] >= 0);
        }
      }
    }
  });

  it('document findings and decorations lie inside the document and never split a character (10 documents)', async () => {
    const e = await engine();
    const r = rng(4242);
    let ranges = 0;
    let findings = 0;
    for (let k = 0; k < 10; k++) {
      const text = randomDocument(r);
      const languageId = k % 3 === 0 ? 'plaintext' : 'markdown';
      // A low threshold so that there are many findings to check.
      const settings = { surprise: { enabled: true, thresholdBits: 3 } };
      const linter = new DocumentLinter(e);
      const res = await linter.lint(text, languageId, settings);
      ranges += checkResult(e, text, res);
      findings += res.findings.length;
      // An edit that inserts an emoji before the first character: the incremental result is still consistent.
      const edited = '👨‍👩‍👧 ' + text;
      ranges += checkResult(e, edited, await linter.lint(edited, languageId, settings));
    }
    assert.ok(findings > 5, `the fuzz exercised findings (${findings})`);
    assert.ok(ranges > 100, `ranges checked: ${ranges}`);
  });
});

describe('robustness: huge documents are turned away cheaply, with a notice', function () {
  this.timeout(300_000);
  const DEFAULT_MAX = 200_000; // package.json: plausibility.maxFileLength

  it('a 10 MB document is skipped as too long (the language server\'s gate), in bounded time and memory', () => {
    const line = 'The quick brown fox jumps over the lazy dog near the bank of the river.\n';
    const text = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const reason = skipReason(text, DEFAULT_MAX);
    const ms = performance.now() - t0;
    assert.deepEqual(reason, { kind: 'too-long', length: text.length, max: DEFAULT_MAX });
    assert.ok(ms < 1000, `${ms} ms`); // O(1): the length check comes first
    assert.ok(process.memoryUsage().heapUsed - heap0 < 5 * 1024 * 1024);
    // Even a user who raises the limit gets it turned away only if it is binary or has a huge line; otherwise it is
    // split into bounded blocks (windowed), never one giant request item.
    assert.equal(skipReason(text, 50_000_000), undefined);
    const blocks = splitBlocks(text.slice(0, 2_000_000), 1200);
    assert.ok(blocks.every((b) => b.text.length <= 1200));
  });

  it('a 1 MB single-line document is skipped as a huge line even under a raised limit', () => {
    const text = 'word '.repeat(200_000) + 'end';
    assert.equal(skipReason(text, DEFAULT_MAX)?.kind, 'too-long');
    const t0 = performance.now();
    assert.deepEqual(skipReason(text, 50_000_000), { kind: 'huge-line' });
    assert.ok(performance.now() - t0 < 2000);
    // And a document with NUL characters is binary.
    assert.deepEqual(skipReason('abc\u0000def', DEFAULT_MAX), { kind: 'binary' });
  });

  it('the CLI skips a 10 MB file and a 1 MB single-line file over --max-bytes with a notice, reading neither', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plausibility-huge-'));
    try {
      const big = join(dir, 'big.md');
      writeFileSync(big, 'A plain sentence about the weather in the hills.\n'.repeat(220_000));
      const line = join(dir, 'line.txt');
      writeFileSync(line, 'word '.repeat(210_000));
      // A preload that reports the CLI's peak RSS on exit: VmHWM, this process image's own high-water mark.
      // (getrusage's maxRSS also counts the forked copy of the parent before exec: the test runner's memory.)
      const preload = join(dir, 'rss.js');
      writeFileSync(
        preload,
        "const fs = require('fs'); process.on('exit', () => { let kb = process.resourceUsage().maxRSS; " +
          "try { kb = Number(/VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch {} " +
          "process.stderr.write(`\\nmaxrss_kb=${kb}\\n`); });",
      );
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['--require', preload, CLI, 'lint', big, line, '--max-bytes', '1000000', '--skip-large', '--model', MODEL_DIR], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /big\.md.*10\.\d MB, over the --max-bytes limit.*skipped/);
      assert.match(r.stderr, /line\.txt.*1\.\d MB, over the --max-bytes limit.*skipped/);
      const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
      assert.ok(rss > 0 && rss < 600 * 1024, `peak RSS ${rss} kB`);
      assert.ok(Date.now() - t0 < 120_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
