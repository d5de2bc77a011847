import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../src/random/random.js';

test('fillUniform draws the same numbers, in order, as next(), and leaves the same state', () => {
  for (const seed of [0, 1, 123456789, 'epoch:3']) {
    const one = new Random(seed);
    const block = new Random(seed);
    for (const n of [0, 1, 5, 10_000]) {
      const filled = block.fillUniform(new Float64Array(n));
      for (let i = 0; i < n; i++) assert.ok(Object.is(filled[i], one.next()), `seed ${seed}, draw ${i}`);
      assert.deepEqual(block.state(), one.state());
    }
    // Interleaved with other draws, the stream goes on where it was.
    assert.equal(block.normal(), one.normal());
    assert.equal(block.fillUniform(new Float64Array(1))[0], one.next());
  }
});
