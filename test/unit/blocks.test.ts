/**
 * Block splitting and masking (src/core/text): what every lint pass, the CLI's and the language server's, scores.
 * Pure functions, no model.
 */
import assert from 'node:assert/strict';
import { hashKey, leftContext, looksBinaryOrHugeLine, maskDocument, splitBlocks } from '../../src/core/text/blocks';
import { splitSentences as sentences } from '../../src/core/text/sentences';

const PARAS = [
  'The fishing boats came back to the harbour early this morning. The sea was calm, and the sky was clear.',
  'Most of the crew went straight home to sleep after the long night at sea. The captain stayed behind to check the nets.',
  'In the afternoon the market was busy. People bought fresh fish, bread and vegetables near the water.',
  'By the evening the wind had turned, and the boats were tied up safely for the night.',
];

describe('blocks: masking and splitting', () => {
  it('masking keeps the length and blanks Markdown code, front matter and HTML comments', () => {
    const md = '---\ntitle: x\n---\nProse one.\n\n```js\nconst a = 1;\n```\n\nProse <!-- hidden --> two.\n';
    const m = maskDocument(md, 'markdown');
    assert.equal(m.length, md.length);
    assert.ok(!m.includes('title') && !m.includes('const') && !m.includes('hidden'));
    assert.ok(m.includes('Prose one.') && m.includes('two.'));
    const blocks = splitBlocks(m);
    assert.deepEqual(
      blocks.map((b) => md.slice(b.start, b.start + b.text.length).replace(/\s+/g, ' ').trim()),
      ['Prose one.', 'Prose <!-- hidden --> two.'],
    );
  });

  it('masking blanks reStructuredText literal and doctest blocks, code directives and adornments, and LaTeX verbatim', () => {
    const rst = [
      'Sorting HOW TO',
      '==============',
      '',
      'Use the key function like this::',
      '',
      '    sorted(students, key=lambda s: s.grade)',
      '    for i, student in decorated',
      '',
      'Prose after the literal block.',
      '',
      '>>> decorated.sort()',
      '>>> [student for grade, i, student in decorated]',
      '',
      '.. code-block:: python',
      '',
      '   with open(path) as f: pass',
      '',
      '.. note::',
      '',
      '   A note is prose.',
      '',
      '.. note:: It is strongly advised that you do not',
      '   add handlers.',
      '',
      '+--------------+--------------+',
      '| Task         | The best     |',
      '+==============+==============+',
      '| Report       | very         |',
      '+--------------+--------------+',
      '',
    ].join('\n');
    const m = maskDocument(rst, 'restructuredtext');
    assert.equal(m.length, rst.length);
    const prose = splitBlocks(m).map((b) => b.text.replace(/\s+/g, ' ').trim());
    assert.deepEqual(prose, ['Sorting HOW TO', 'Use the key function like this::', 'Prose after the literal block.', 'A note is prose.', 'It is strongly advised that you do not add handlers.']);
    const tex = 'Prose before.\n\\begin{verbatim}\nh.add_credentials(myname, mypasswd)\n\\end{verbatim}\nProse after.\n';
    const t = maskDocument(tex, 'latex');
    assert.ok(!t.includes('mypasswd') && t.includes('Prose before.') && t.includes('Prose after.'));
  });

  it('masking blanks code pasted into plain text, not indented prose', () => {
    const txt = [
      'Compile it like this:',
      '',
      '    int main(int argc, char *argv[])',
      '    {',
      '        SortCondition(NULL, NULL);',
      '    }',
      '',
      '\tCC=cc ./configure',
      '',
      '    As the poet said, the the rain falls softly on the roofs of the town',
      '    and nobody minds it at all.',
      '',
      'Prose after.',
    ].join('\n');
    const m = maskDocument(txt, 'plaintext');
    assert.equal(m.length, txt.length);
    assert.ok(!m.includes('SortCondition') && !m.includes('int main') && !m.includes('configure'));
    assert.ok(m.includes('the the rain') && m.includes('Compile it like this:') && m.includes('Prose after.'));
  });

  it('code files are checked in their comments only, with markers blanked', () => {
    const ts = '// A comment about the code.\nconst s = "// not a comment";\n/**\n * Doc comment here.\n */\nlet x = 1;\n';
    const m = maskDocument(ts, 'typescript');
    assert.equal(m.length, ts.length);
    const blocks = splitBlocks(m).map((b) => b.text.replace(/\s+/g, ' ').trim());
    assert.deepEqual(blocks, ['A comment about the code.', 'Doc comment here.']);
    const py = '# Python comment.\nx = "# no"\n';
    assert.deepEqual(splitBlocks(maskDocument(py, 'python')).map((b) => b.text.trim()), ['Python comment.']);
  });

  it('long paragraphs are cut at sentence ends; blocks map back to the document', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const doc = `${long}\n\n${PARAS[0]}\n`;
    const blocks = splitBlocks(maskDocument(doc, 'plaintext'), 300);
    assert.ok(blocks.length > 3);
    for (const b of blocks) {
      assert.ok(b.text.length <= 300);
      assert.equal(doc.slice(b.start, b.start + b.text.length), b.text);
      assert.match(b.text, /\.$/);
    }
  });

  it('left context is bounded and starts at a word boundary', () => {
    const doc = PARAS.join('\n\n');
    const masked = maskDocument(doc, 'markdown');
    const blocks = splitBlocks(masked);
    assert.equal(leftContext(masked, blocks[0].start, 100), '');
    const ctx = leftContext(masked, blocks[2].start, 60);
    assert.ok(ctx.length <= 62);
    assert.ok(ctx.endsWith('\n\n'));
    assert.ok(doc.includes(ctx.trim()));
  });

  it('hash keys differ for different inputs; binary and huge lines are detected', () => {
    assert.notEqual(hashKey('a', 'bc'), hashKey('ab', 'c'));
    assert.equal(hashKey('x', 'y'), hashKey('x', 'y'));
    assert.equal(looksBinaryOrHugeLine('ab\u0000c'), 'binary');
    assert.equal(looksBinaryOrHugeLine('x'.repeat(30_000)), 'huge-line');
    assert.equal(looksBinaryOrHugeLine('fine\ntext'), undefined);
  });

  it('sentences are found inside a block', () => {
    assert.deepEqual(
      sentences('One two. Three four! Five').map((s) => [s.start, s.end]),
      [
        [0, 8],
        [9, 20],
        [21, 25],
      ],
    );
  });
});
