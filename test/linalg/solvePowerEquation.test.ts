import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solvePowerEquation } from '../../src/linalg/solvePowerEquation.js';
import { matVec } from '../../src/linalg/matrix.js';
import { assertClose, randomGramian } from './assertions.js';

test('solvePowerEquation: diagonal Gramians in closed form', () => {
  // M = diag(1, 4), p = 1: w1² = 1, 4w2² = 1 → (1, ½).
  assertClose(solvePowerEquation([[1, 0], [0, 4]], 1).w, [1, 0.5], 1e-12);
  // p = ½: m w = w^{-½} → w = m^{-2/3}: (1, 4^{-2/3}).
  assertClose(solvePowerEquation([[1, 0], [0, 4]], 0.5).w, [1, Math.pow(4, -2 / 3)], 1e-12);
});

test('solvePowerEquation: two identical gradients (M = a·11ᵀ) share the weight', () => {
  // a(w1 + w2) = 1/w1 = 1/w2 → w = 1/sqrt(2a).
  const a = 2;
  assertClose(solvePowerEquation([[a, a], [a, a]], 1).w, [0.5, 0.5], 1e-12);
});

test('solvePowerEquation: random Gramians satisfy M w = w^{-p} to 1e-10', () => {
  for (let seed = 0; seed < 30; seed++) {
    const t = 2 + (seed % 5);
    const m = randomGramian(600 + seed, t, t + 3);
    for (const p of [1, 0.5, 2]) {
      const { w, ridge } = solvePowerEquation(m, p);
      assert.equal(ridge, 0);
      const mw = matVec(m, w);
      w.forEach((wi, i) => {
        assert.ok(wi > 0);
        assert.ok(Math.abs(mw[i]! - Math.pow(wi, -p)) <= 1e-10 * Math.pow(wi, -p), `seed ${seed} p ${p} task ${i}`);
      });
    }
  }
});

test('solvePowerEquation: a zero gradient gets weight 0; opposite gradients need a ridge', () => {
  const { w } = solvePowerEquation([[0, 0], [0, 4]], 1);
  assertClose(w, [0, 0.5], 1e-12);
  const opposite = solvePowerEquation([[1, -1], [-1, 1]], 1);
  assert.ok(opposite.ridge > 0);
  assert.ok(opposite.w.every((x) => Number.isFinite(x) && x > 0));
});
