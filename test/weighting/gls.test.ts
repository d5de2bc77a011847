import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geometricLossStrategy } from '../../src/weighting/gls.js';
import { assertClose } from '../linalg/assertions.js';
import { lossRun } from './lossMethods.helpers.js';

test('gls: hand-computed weights (2 and 3 tasks, huge scale gap)', () => {
  // (1·4)^{1/2} = 2 → w = 2/(2·L) = (1, 0.25).
  assertClose(lossRun(geometricLossStrategy, [1, 4]).weights, [1, 0.25], 1e-14);
  // (1·2·4)^{1/3} = 2 → w = 2/(3·L) = (2/3, 1/3, 1/6).
  assertClose(lossRun(geometricLossStrategy, [1, 2, 4]).weights, [2 / 3, 1 / 3, 1 / 6], 1e-14);
  // (1e6·1e-3)^{1/2} = √1000 → w = √1000/(2·1e6), √1000/(2·1e-3).
  const g = Math.sqrt(1000);
  assertClose(lossRun(geometricLossStrategy, [1e6, 1e-3]).weights, [g / 2e6, g / 2e-3], 1e-9);
});

test('gls: the weights are the gradient of (Π L)^{1/T} (finite differences)', () => {
  const losses = [0.7, 1.9, 3.1];
  const f = (l: number[]) => Math.pow(l.reduce((p, v) => p * v, 1), 1 / l.length);
  const w = lossRun(geometricLossStrategy, losses).weights;
  losses.forEach((_, t) => {
    const h = 1e-6;
    const up = [...losses];
    const down = [...losses];
    up[t]! += h;
    down[t]! -= h;
    assertClose(w[t]!, (f(up) - f(down)) / (2 * h), 1e-8);
  });
});

test('gls: equal losses give 1/T each; a zero loss stays finite (floored at 1e-12)', () => {
  assertClose(lossRun(geometricLossStrategy, [3, 3]).weights, [0.5, 0.5], 1e-14);
  const w = lossRun(geometricLossStrategy, [0, 1]).weights;
  assert.ok(w.every(Number.isFinite));
  assertClose(w, [Math.sqrt(1e-12) / 2e-12, Math.sqrt(1e-12) / 2], 1e-3);
});
