import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectingConflictingGradients as pcgrad } from '../../src/weighting/pcgrad.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomRows } from '../linalg/assertions.js';
import { combine, examples, run } from './helpers.js';

test('pcgrad: two tasks, hand-computed', () => {
  // g1·g2 = −0.5: g1' = g1 + (0.5/1.25) g2, g2' = g2 + (0.5/1) g1 → weights (1 + 0.5, 1 + 0.4).
  assertClose(run(pcgrad, { rows: examples.conflicting }).weights, [1.5, 1.4], 1e-15);
  // No conflict: the plain sum.
  assertClose(run(pcgrad, { rows: examples.aligned }).weights, [1, 1], 0);
  assertClose(run(pcgrad, { rows: examples.zero }).weights, [1, 1], 0);
  assertClose(run(pcgrad, { rows: examples.identical }).weights, [1, 1], 0);
  // Huge gap: g1·g2 = −1: g1' = g1 + (1/2e-6) g2, g2' = g2 + (1/1e6) g1.
  assertClose(run(pcgrad, { rows: examples.scaleGap }).weights, [1 + 1e-6, 1 + 5e5], 1e-6);
});

/** The paper's algorithm on the vectors themselves, with the same seeded orders. */
function pcgradOnVectors(rows: number[][], seed: number): number[] {
  const r = new Random(seed);
  const out = rows.map((row) => [...row]);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
  for (let i = 0; i < rows.length; i++) {
    for (const j of r.permutation(rows.length)) {
      const inner = dot(out[i]!, rows[j]!);
      const nn = dot(rows[j]!, rows[j]!);
      if (nn > 0 && inner < 0) out[i] = out[i]!.map((v, k) => v - (inner / nn) * rows[j]![k]!);
    }
  }
  return rows[0]!.map((_, k) => out.reduce((s, row) => s + row[k]!, 0));
}

test('pcgrad: three or more tasks: the Gramian coefficients reproduce the vector algorithm with the same orders', () => {
  for (let seed = 0; seed < 20; seed++) {
    const rows = randomRows(700 + seed, 3 + (seed % 3), 4);
    const out = run(pcgrad, { rows, seed });
    assertClose(combine(rows, out.weights), pcgradOnVectors(rows, seed), 1e-12);
  }
  const three = [...examples.three].map((r) => [...r]);
  assertClose(combine(three, run(pcgrad, { rows: three, seed: 5 }).weights), pcgradOnVectors(three, 5), 1e-14);
});

test('pcgrad: the order comes from the JSON state', () => {
  const rows = randomRows(1, 4, 3);
  const first = run(pcgrad, { rows });
  const again = run(pcgrad, { rows, state: JSON.parse(JSON.stringify(first.state)) });
  assert.deepEqual(run(pcgrad, { rows, state: first.state }).weights, again.weights);
});
