/** bench:tags' pure parts: the held-out, balanced, deterministic test set and same-token scoring rows. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tagTestCandidates } from '../../bench/common';
import { balancedTagTestSet, isHeldOutRegistryDoc, paragraphChunks, rstProse, sameTokenRows, splitHash } from '../../src/core/scoring/tagTestSet';

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** A paragraph of `n` words that names its document and index, so a chunk's origin can be read back. */
function paragraph(doc: string, i: number, n = 40): string {
  const filler = 'the river ran past the old mill and on toward the sea while birds sang'.split(' ');
  return [`${doc}-p${i}`, ...Array.from({ length: n - 1 }, (_, k) => filler[k % filler.length])].join(' ') + '.';
}

function documentText(doc: string, paragraphs = 14): string {
  return Array.from({ length: paragraphs }, (_, i) => paragraph(doc, i)).join('\n\n');
}

function writeShard(dir: string, name: string, recs: { source: string; title: string; text: string }[]): void {
  const file = join(dir, name.replace(/\.xz$/, ''));
  writeFileSync(file, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  execFileSync('xz', ['-z', '-f', file]);
}

describe('bench:tags test set', () => {
  let root: string;
  let corpus: string;
  let pythonDoc: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tags-bench-'));
    corpus = join(root, 'corpus');
    pythonDoc = join(root, '_sources');
    mkdirSync(corpus);
    const docs = (source: string, n: number, title = (i: number) => `${source} ${i}`) =>
      Array.from({ length: n }, (_, i) => ({ source, title: title(i), text: documentText(`${source}${i}`) }));
    writeShard(corpus, 'valid-enwiki.jsonl.xz', docs('enwiki', 4));
    writeShard(corpus, 'valid-wikinews.jsonl.xz', docs('wikinews', 4));
    writeShard(corpus, 'valid-simplewiki.jsonl.xz', docs('simplewiki', 2));
    writeShard(corpus, 'valid-onestopenglish.jsonl.xz', docs('onestopenglish', 2));
    // Training tags a Gutenberg title with "Essays" as essay, not fiction.
    writeShard(corpus, 'valid-gutenberg.jsonl.xz', [...docs('gutenberg', 3), { source: 'gutenberg', title: 'Essays of Elia', text: documentText('essaybook') }]);
    writeShard(corpus, 'train-enwiki-00.jsonl.xz', docs('trainonly', 4));
    // Python docs: the held-out files (by training's split_of hash) and some trained-on ones.
    const rst = (name: string) =>
      `${name}\n${'='.repeat(name.length)}\n\n.. module:: ${name}\n   :synopsis: skipped\n\n` +
      Array.from({ length: 14 }, (_, i) => paragraph(name.replace(/\W/g, ''), i)).join('\n\n') +
      '\n\nAn example follows::\n\n   >>> print("code is not prose")\n';
    for (const rel of ['c-api/bytes.rst.txt', 'library/_thread.rst.txt', 'library/os.rst.txt', 'library/time.rst.txt']) {
      mkdirSync(dirname(join(pythonDoc, rel)), { recursive: true });
      writeFileSync(join(pythonDoc, rel), rst(rel.replace(/\.rst\.txt$/, '')));
    }
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('uses the hash of training split_of (values computed by corpus.py)', () => {
    assert.ok(Math.abs(splitHash('python-doc/c-api/bytes.rst.txt') - 0.02220498538161744) < 1e-12);
    assert.ok(Math.abs(splitHash('python-doc/library/_thread.rst.txt') - 0.07901645709737587) < 1e-12);
    assert.equal(isHeldOutRegistryDoc('python-doc/library/os.rst.txt'), false);
  });

  it('reads held-out text only, labelled by source', () => {
    const found = tagTestCandidates(corpus, pythonDoc);
    assert.deepEqual(found.missing, []);
    const all = found.candidates.map((c) => c.text).join('\n');
    assert.doesNotMatch(all, /trainonly|essaybook/, 'train shards and essay-tagged books stay out');
    const pyDocs = new Set(found.candidates.filter((c) => c.source === 'python-doc').map((c) => c.doc));
    assert.deepEqual([...pyDocs].sort(), ['python-doc/c-api/bytes.rst.txt', 'python-doc/library/_thread.rst.txt', 'python-doc/library/time.rst.txt']);
    assert.doesNotMatch(all, /code is not prose|synopsis/);
    const labelOf = new Map(found.candidates.map((c) => [c.source, c.label]));
    assert.deepEqual(Object.fromEntries([...labelOf].sort()), {
      enwiki: 'encyclopedic',
      gutenberg: 'fiction',
      onestopenglish: 'simple English',
      'python-doc': 'technical documentation',
      simplewiki: 'simple English',
      wikinews: 'news',
    });
    assert.equal(tagTestCandidates(corpus, join(root, 'absent')).missing[0], 'python-doc');
  });

  it('draws the same balanced set from the same input, whatever the order', () => {
    const found = tagTestCandidates(corpus, pythonDoc);
    const a = balancedTagTestSet(found.candidates, 8);
    const b = balancedTagTestSet(tagTestCandidates(corpus, pythonDoc).candidates.reverse(), 8);
    assert.deepEqual(b, a);
    assert.deepEqual(a.labels, ['encyclopedic', 'fiction', 'news', 'simple English', 'technical documentation']);
    for (const label of a.labels) assert.equal(a.texts.filter((t) => t.label === label).length, 8, label);
    // Sources of one label take turns: simple English draws from both its sources.
    const simple = a.texts.filter((t) => t.label === 'simple English');
    assert.equal(simple.filter((t) => t.source === 'simplewiki').length, 4);
    // A label short of candidates is left out and reported, never padded (3 books and 3 doc files give 9 chunks each).
    const big = balancedTagTestSet(found.candidates, 10);
    assert.deepEqual(big.tooSmall, [
      { label: 'fiction', available: 9 },
      { label: 'technical documentation', available: 9 },
    ]);
    assert.deepEqual(big.labels, ['encyclopedic', 'news', 'simple English']);
  });

  it('cuts 150-200-word chunks of whole paragraphs', () => {
    const text = documentText('d', 20);
    const chunks = paragraphChunks(text);
    assert.ok(chunks.length >= 3);
    const paragraphs = new Set(text.split('\n\n'));
    for (const c of chunks) {
      assert.ok(words(c) >= 150 && words(c) <= 200, `${words(c)} words`);
      for (const p of c.split('\n\n')) assert.ok(paragraphs.has(p), 'a chunk holds whole paragraphs');
    }
  });

  it('turns reStructuredText into its prose paragraphs', () => {
    const prose = rstProse(
      'Title\n=====\n\nThe :func:`open` function returns a ``file object`` for the path given by the caller here.\n\n' +
        '.. note::\n\n   Directive bodies are skipped entirely by the reader.\n\nShort one.\n',
    );
    assert.equal(prose, 'The open function returns a file object for the path given by the caller here.');
  });
});

describe('bench:tags scoring rows', () => {
  it('scores every candidate on exactly the same text tokens, in one window', () => {
    const headers = [[11, 12], [21, 22, 23, 24, 25], [31, 32, 33, 34, 35, 36, 37, 38, 39]];
    const text = Array.from({ length: 300 }, (_, i) => 1000 + i);
    const { rows, textIds } = sameTokenRows(0, headers, text, 64);
    assert.equal(textIds.length, 64 - 1 - 9, 'cut to fit after the longest header');
    assert.deepEqual(textIds, text.slice(0, textIds.length));
    rows.forEach((row, k) => {
      assert.equal(row.seq, k);
      assert.ok(row.ids.length <= 64);
      assert.deepEqual(row.ids.slice(0, row.first), [0, ...headers[k]]);
      assert.deepEqual(row.ids.slice(row.first), textIds);
    });
    // A short text is scored whole by every candidate.
    assert.deepEqual(sameTokenRows(0, headers, [7, 8, 9], 64).textIds, [7, 8, 9]);
  });
});
