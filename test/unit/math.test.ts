import assert from 'node:assert/strict';
import { logSumExp, positionStats, topK } from '../../src/core';
import { expNonPositive } from '../../src/core/scoring/math';
import { rng } from './helpers';

describe('math', () => {
  it('expNonPositive matches Math.exp to 1e-9 relative', () => {
    for (let y = 0; y > -130; y -= 0.0137) {
      const a = expNonPositive(y);
      const b = Math.exp(y);
      assert.ok(Math.abs(a - b) <= 1e-9 * b + 1e-300, `y=${y}: ${a} vs ${b}`);
    }
    assert.equal(expNonPositive(-1e6), 0);
  });

  it('positionStats agrees with a naive log-softmax (logprob, rank, entropy, top-k)', () => {
    const r = rng(3);
    const V = 1000;
    const logits = new Float32Array(2 * V);
    for (let i = 0; i < logits.length; i++) logits[i] = (r() - 0.5) * 20;
    for (const off of [0, V]) {
      const row = Array.from(logits.subarray(off, off + V));
      const m = Math.max(...row);
      const z = row.reduce((a, x) => a + Math.exp(x - m), 0);
      const lp = row.map((x) => x - m - Math.log(z));
      const target = 123;
      const st = positionStats(logits, off, V, target, 5);
      assert.ok(Math.abs(st.logprob - lp[target]) < 1e-9, `${st.logprob} vs ${lp[target]}`);
      assert.ok(Math.abs(logSumExp(logits, off, V) - (m + Math.log(z))) < 1e-9);
      const order = row.map((x, i) => [x, i]).sort((a, b) => b[0] - a[0]);
      assert.equal(st.rank, order.findIndex(([, i]) => i === target) + 1);
      assert.deepEqual(st.top.map((t) => t.id), order.slice(0, 5).map(([, i]) => i));
      assert.deepEqual(topK(logits, off, V, 3), order.slice(0, 3).map(([, i]) => i));
      const H = -lp.reduce((a, l) => a + Math.exp(l) * l, 0);
      assert.ok(Math.abs(st.entropy - H) < 1e-9);
    }
  });
});
