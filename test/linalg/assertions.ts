/** Test helpers shared by the linalg and weighting tests: tolerance checks and seeded random problems. */
import assert from 'node:assert/strict';
import { Random } from '../../src/random/random.js';
import { gramianOf } from '../../src/linalg/matrix.js';

/** Assert |actual − expected| ≤ tolerance elementwise (absolute), with a readable message. */
export function assertClose(actual: number | readonly number[], expected: number | readonly number[], tolerance = 1e-9, label = ''): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${label} length: got ${a.length}, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - e[i]!) <= tolerance;
    assert.ok(ok, `${label}[${i}]: got ${a[i]}, expected ${e[i]} (±${tolerance}); all: [${a.join(', ')}] vs [${e.join(', ')}]`);
  }
}

/** T random gradient rows of dimension d (standard normal), from a seed. */
export function randomRows(seed: number, t: number, d: number): number[][] {
  const r = new Random(seed);
  return Array.from({ length: t }, () => Array.from({ length: d }, () => r.normal()));
}

/** The Gramian of T random gradients of dimension d. */
export function randomGramian(seed: number, t: number, d: number): number[][] {
  return gramianOf(randomRows(seed, t, d));
}
