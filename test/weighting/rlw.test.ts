import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomLossWeighting } from '../../src/weighting/rlw.js';
import { Random } from '../../src/random/random.js';
import { assertClose } from '../linalg/assertions.js';
import { contextFor } from './helpers.js';
import { lossRun } from './lossMethods.helpers.js';

test('rlw: weights are softmax of the seeded N(0, I) draws (2 and 3 tasks)', () => {
  for (const t of [2, 3]) {
    // Definition: z ~ N(0, I) from Random(seed), w = e^z / Σ e^z.
    const r = new Random(1);
    const z = Array.from({ length: t }, () => r.normal());
    const e = z.map(Math.exp);
    const total = e.reduce((s, v) => s + v, 0);
    const out = lossRun(randomLossWeighting, new Array<number>(t).fill(1));
    assertClose(out.weights, e.map((v) => v / total), 1e-12);
    assertClose(out.weights.reduce((s, v) => s + v, 0), 1, 1e-12);
  }
});

test('rlw: the losses do not matter (huge scale gap), a new draw every step, resumable from JSON state', () => {
  const a = lossRun(randomLossWeighting, [1e6, 1e-3]);
  const b = lossRun(randomLossWeighting, [1, 1]);
  assert.deepEqual(a.weights, b.weights);
  const second = lossRun(randomLossWeighting, [1, 1], undefined, JSON.parse(JSON.stringify(a.state)));
  assert.notDeepEqual(second.weights, a.weights);
  const again = lossRun(randomLossWeighting, [1, 1], undefined, a.state);
  assert.deepEqual(again.weights, second.weights);
  const otherSeed = randomLossWeighting.init(contextFor(2, 2), {});
  assert.notDeepEqual(otherSeed, randomLossWeighting.init(contextFor(2, 1), {}));
});
