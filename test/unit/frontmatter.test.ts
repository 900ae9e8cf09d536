import assert from 'node:assert/strict';
import { declaredCondition, FrontMatterError, parseFrontMatter } from '../../src/core';

describe('front matter', () => {
  it('reads top-level tags in flow, plain and block style', () => {
    assert.deepEqual(declaredCondition('---\ntags: [fiction, mystery]\n---\nText')?.tags, ['fiction', 'mystery']);
    assert.deepEqual(declaredCondition('---\ntitle: A walk\ntags: news, editorial\n---\nText')?.tags, ['news', 'editorial']);
    assert.deepEqual(declaredCondition('---\ntags:\n  - "science fiction"\n  - humor # funny\n---\n')?.tags, ['science fiction', 'humor']);
    assert.deepEqual(declaredCondition('---\ntags:\n- lore\n---\n')?.tags, ['lore']);
  });

  it('reads plausibility: { tags, synopsis } in block and flow style, which wins over tags', () => {
    const a = declaredCondition('---\ntags: [x]\nplausibility:\n  tags: [news]\n  synopsis: A vote on the budget.\n---\nBody');
    assert.deepEqual(a, { tags: ['news'], synopsis: 'A vote on the budget.', source: 'front-matter' });
    const b = declaredCondition("---\nplausibility: { tags: [romance, 'belles lettres'], synopsis: \"Two, people\" }\n---\n");
    assert.deepEqual(b?.tags, ['romance', 'belles lettres']);
    assert.equal(b?.synopsis, 'Two, people');
    const c = declaredCondition('---\nplausibility:\n  synopsis: >\n    folded\n    text\n  tags: [a]\n---\n');
    assert.equal(c?.synopsis, 'folded text');
  });

  it('no front matter, or none declaring tags, gives undefined; the range covers the fences', () => {
    assert.equal(declaredCondition('# Title\n\ntags: [x]\n'), undefined);
    assert.equal(declaredCondition('---\ntitle: x\n---\n'), undefined);
    const fm = parseFrontMatter('---\r\ntags: [a]\r\n---\r\nBody');
    assert.equal(fm?.end, '---\r\ntags: [a]\r\n---\r\n'.length);
  });

  it('YAML errors give a clear message with the line', () => {
    const cases: [string, RegExp][] = [
      ['---\ntags: [a, b\n---\n', /line 2: unterminated list/],
      ['---\ntags: [a]\n', /no closing "---"/],
      ['---\ntitle: x\n\ttags: [a]\n---\n', /line 3: tabs are not allowed/],
      ['---\ntags: [a]\ntags: [b]\n---\n', /line 3: duplicate key "tags"/],
      ['---\nplausibility: "open\n---\n', /line 2: unterminated string/],
      ['---\njust some words\n---\n', /line 2: expected "key: value"/],
      ['---\ntitle: x\n    nested: y\n---\n', /line 3: bad indentation/],
      ['---\nplausibility: [a]\n---\n', /"plausibility" must be a mapping/],
    ];
    for (const [src, re] of cases) {
      assert.throws(() => declaredCondition(src), (e: Error) => e instanceof FrontMatterError && re.test(e.message), src);
    }
  });
});
