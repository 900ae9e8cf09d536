import assert from 'node:assert/strict';
import { skipRegions } from '../../src/core/text/markdown';

/** Steps the inline scanners take on `text`. */
function steps(text: string): number {
  const work = { steps: 0 };
  skipRegions(text, { work });
  return work.steps;
}

/** Asserts that doubling the input at most roughly doubles the work (linear, not quadratic). */
function assertLinear(make: (n: number) => string, n: number): void {
  const small = make(n);
  const large = make(2 * n);
  assert.ok(large.length >= 1.9 * small.length, 'the larger input is about twice as long');
  const a = steps(small);
  const b = steps(large);
  assert.ok(a > 0);
  assert.ok(b <= 2.3 * a * (large.length / (2 * small.length)), `steps ${a} -> ${b} for length ${small.length} -> ${large.length}`);
  assert.ok(b <= 8 * large.length, `steps ${b} stay proportional to length ${large.length}`);
}

/** Lines of 1, 2, 3, ... backticks, about `chars` characters in all. */
function backtickStaircase(chars: number): string {
  const lines: string[] = [];
  let total = 0;
  for (let k = 1; total < chars; k++) {
    const line = '`'.repeat(Math.min(k, 1000)) + ' x';
    lines.push(line);
    total += line.length + 1;
  }
  return lines.join('\n');
}

describe('reliability: Markdown masking is linear', () => {
  it('a staircase of backtick runs', () => {
    assertLinear(backtickStaircase, 100_000);
  });

  it('95,000 lines of [ (a reference definition that never closes)', () => {
    assertLinear((n) => '[\n'.repeat(n), 95_000);
    assertLinear((n) => '[' + 'a'.repeat(n), 95_000);
  });

  it('a long run of e-mail local-part characters without a domain', () => {
    assertLinear((n) => 'a.'.repeat(n) + '@', 50_000);
    assertLinear((n) => 'a@'.repeat(n), 50_000);
    assertLinear((n) => 'x@' + 'a-.'.repeat(n), 50_000);
  });

  it('still finds inline code, reference definitions and e-mail addresses', () => {
    const doc = 'Use ``a ` b`` and `c` here.\n[id]: https://x.example/y\n[id2]:\n  /next/line\nMail jo.e+x@mail.example.org now, not a@b.';
    const r = skipRegions(doc);
    const covered = (needle: string, kind: string) => {
      const at = doc.indexOf(needle);
      return r.some((x) => x.kind === kind && x.start <= at && at + needle.length <= x.end);
    };
    assert.ok(covered('``a ` b``', 'inline-code'));
    assert.ok(covered('`c`', 'inline-code'));
    assert.ok(!covered('here', 'inline-code'));
    assert.ok(covered('[id]: https://x.example/y', 'url'));
    assert.ok(covered('/next/line', 'url'));
    assert.ok(covered('jo.e+x@mail.example.org', 'url'));
    assert.ok(!covered('now', 'url'));
    assert.ok(!covered('a@b', 'url'));
  });
});
