/**
 * The lint pipeline's scoring and incremental passes (src/core/lint/linter.ts, src/core/scoring/blockScore.ts), as
 * the CLI and the language server run them: block scores after a left context, blocks cached by context and text so
 * that an edit rescores only what it touches (with the same result as a full pass), and cancellation between
 * batches. The real bundled model.
 */
import assert from 'node:assert/strict';
import { DocumentLinter, LintCancelledError } from '../../src/core/lint/linter';
import { BlockScore, PrefixCache, scoreItems, scoreItemsInGroups } from '../../src/core/scoring/blockScore';
import { tokenAt } from '../../src/core/scoring/tokenDetail';
import { engine } from './helpers';

const PARAS = [
  'The fishing boats came back to the harbour early this morning. The sea was calm, and the sky was clear.',
  'Most of the crew went straight home to sleep after the long night at sea. The captain stayed behind to check the nets.',
  'In the afternoon the market was busy. People bought fresh fish, bread and vegetables near the water.',
  'By the evening the wind had turned, and the boats were tied up safely for the night.',
];

/** Scores items as the linter does (groups of 8; up to 3 items take the KV prefix path). */
async function scoreGroups(items: { key: string; context: string; text: string }[], k: number): Promise<BlockScore[]> {
  const e = await engine();
  const out: BlockScore[] = [];
  await scoreItemsInGroups(e, new PrefixCache(e), items, k, { batch: 8, prefixMaxItems: 3, throwIfCancelled: () => undefined, onBlock: (b) => out.push(b) });
  return out;
}

describe('scoring: blocks after a left context', function () {
  this.timeout(180_000);

  it('scores items after their context; offsets tile the text exactly (KV prefix path and batch path agree)', async () => {
    const e = await engine();
    const text = 'The sea was calm, and the sky was clear. Émilie 👩‍💻 wrote «ceci» — 漢字.';
    const item = { key: 'k', context: `${PARAS[0]}\n\n`, text };
    const [b] = await scoreGroups([item], 5);
    assert.equal(b.key, 'k');
    let rebuilt = '';
    for (let i = 0; i < b.starts.length; i++) {
      if (i > 0) assert.equal(b.starts[i], b.ends[i - 1]);
      rebuilt += text.slice(b.starts[i], b.ends[i]);
      assert.ok(Number.isFinite(b.bits[i]) && b.bits[i] >= 0);
      assert.ok(b.ranks[i] >= 1);
      assert.ok(b.positions[i] > 10, 'positions count the context tokens');
      assert.ok(b.topIds[i * 5] >= 0 && b.vocab[b.topIds[i * 5]] !== undefined);
    }
    assert.equal(rebuilt, text);
    // The same item scored in one padded batch (no KV prefix) gives the same tokens and scores.
    const [full] = await scoreItems(e, [item], 5);
    assert.deepEqual(Array.from(full.starts), Array.from(b.starts));
    assert.deepEqual(Array.from(full.ends), Array.from(b.ends));
    assert.deepEqual(Array.from(full.positions), Array.from(b.positions));
    for (let i = 0; i < b.bits.length; i++) assert.ok(Math.abs(full.bits[i] - b.bits[i]) < 1e-3, `token ${i}: ${full.bits[i]} vs ${b.bits[i]}`);
  });

  it('a pass cancelled between batches throws LintCancelledError, keeps the blocks it scored, and the next pass completes', async () => {
    const e = await engine();
    const text = Array.from({ length: 48 }, (_, i) => `${PARAS[i % 4]} (${i})`).join('\n\n') + '\n';
    const linter = new DocumentLinter(e);
    const ac = new AbortController();
    // Abort once the first block is back, so the pass is surely still running, however fast the machine.
    await assert.rejects(linter.lint(text, 'plaintext', {}, { signal: ac.signal, onBlock: () => ac.abort() }), LintCancelledError);
    const kept = linter.cachedBlocks;
    assert.ok(kept > 0 && kept < 48, `blocks scored before the cancellation stay cached (${kept})`);
    // A caller sizing its progress sees the blocks still to score, and can hand the prepared document back.
    const prepared = linter.prepare(text, 'plaintext');
    const pending = linter.unscoredBlocks(prepared);
    assert.equal(pending, new Set(prepared.blocks.map((b) => b.key)).size - kept);
    let scored = 0;
    const done = await linter.lint(text, 'plaintext', {}, { prepared, onBlock: () => scored++ });
    assert.equal(scored, pending, 'one progress step per block still to score');
    assert.equal(linter.unscoredBlocks(prepared), 0);
    assert.ok(done.blocks.length >= 48);
    assert.equal(done.reused, kept, 'the blocks scored before the cancellation are reused');
    const fresh = await new DocumentLinter(e).lint(text, 'plaintext');
    assert.equal(done.tokens, fresh.tokens);
    assert.ok(Math.abs(done.nllNats - fresh.nllNats) < 1e-3 * fresh.tokens);
    assert.deepEqual(
      done.findings.map((f) => [f.start, f.end, f.rule, f.message]),
      fresh.findings.map((f) => [f.start, f.end, f.rule, f.message]),
    );
  });
});

describe('lint: incremental document passes', function () {
  this.timeout(180_000);

  it('an edit rescores only the blocks it touches, and the result equals a full rescore', async () => {
    const e = await engine();
    // Paragraphs longer than a block's left context (the model's window), so an edit reaches at most the next block.
    const long = (p: string) => `${p} ${p} ${p} ${p}`;
    const doc = [...PARAS.map(long), ...PARAS.map((p) => long(`Later, ${p.charAt(0).toLowerCase()}${p.slice(1)}`))].join('\n\n') + '\n';
    const inc = new DocumentLinter(e);
    const first = await inc.lint(doc, 'markdown');
    assert.equal(first.rescored, first.blocks.length);
    assert.ok(first.blocks.length >= 8);
    // The same text again: every block comes from the cache.
    const again = await inc.lint(doc, 'markdown');
    assert.equal(again.rescored, 0);
    assert.equal(again.reused, again.blocks.length);
    const at = doc.indexOf('vegetables');
    const edited = doc.slice(0, at) + 'apples' + doc.slice(at + 'vegetables'.length);
    const second = await inc.lint(edited, 'markdown');
    assert.ok(second.rescored >= 1 && second.rescored <= 2, `rescored ${second.rescored}`);
    assert.equal(second.reused, second.blocks.length - second.rescored);

    const fresh = await new DocumentLinter(e).lint(edited, 'markdown');
    assert.equal(fresh.blocks.length, second.blocks.length);
    for (let i = 0; i < fresh.blocks.length; i++) {
      assert.equal(fresh.blocks[i].block.start, second.blocks[i].block.start);
      const a = fresh.blocks[i].score;
      const b = second.blocks[i].score;
      assert.deepEqual(Array.from(a.starts), Array.from(b.starts));
      for (let j = 0; j < a.bits.length; j++) assert.ok(Math.abs(a.bits[j] - b.bits[j]) < 1e-3);
    }
    assert.deepEqual(
      fresh.findings.map((f) => [f.start, f.end, f.rule, f.message]),
      second.findings.map((f) => [f.start, f.end, f.rule, f.message]),
    );
    // Hover details for a token of the edited word (the server's token hover reads the same blocks).
    const t = tokenAt(second.blocks, edited.indexOf('apples') + 1);
    assert.ok(t && t.alternatives.length > 0 && t.sentence.tokens > 0);
    assert.ok(t.start <= edited.indexOf('apples') + 1 && edited.indexOf('apples') + 1 < t.end);
    inc.clear();
    assert.equal(inc.cachedBlocks, 0);
    assert.equal(inc.result, undefined);
  });
});
