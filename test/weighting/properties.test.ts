/**
 * Shared property suite over the Gramian methods (TorchJD-style), each property run only on the methods whose
 * paper claims it: permutation equivariance, scale behaviour w(cM) = c^e·w(M), non-conflict (g_tᵀd ≥ 0 for
 * every t, checked as (Mw)_t ≥ 0), PCGrad's per-pair guarantee, and MGDA's min-norm optimality.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightingMethods } from '../../src/weighting/registry.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { gramianOf, matVec, permuteSymmetric, quadraticForm } from '../../src/linalg/matrix.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomRows } from '../linalg/assertions.js';
import { assertSimplexKKT } from '../linalg/kkt.js';
import { contextFor } from './helpers.js';

interface Case {
  method: string;
  options?: Record<string, unknown>;
  /** Task counts to test (T = 2 only for the methods whose random order matters beyond two tasks). */
  sizes?: number[];
  tolerance?: number;
}

function weights(name: string, gramian: number[][], losses: number[], options?: Record<string, unknown>, seed = 1): number[] {
  const method = weightingMethods[name]! as WeightingMethod<unknown, unknown>;
  const context = contextFor(gramian.length, seed);
  const resolved = method.resolveOptions(options, context);
  return method.update({ losses, gramian, epoch: 0, step: 0 }, method.init(context, resolved), resolved).weights;
}

const equivariant: Case[] = [
  { method: 'mgda', options: { solver: 'exact' } },
  { method: 'mgda', tolerance: 1e-6 },
  { method: 'mgda', options: { normalizer: 'loss+' }, tolerance: 1e-6 },
  { method: 'cagrad', tolerance: 1e-8 },
  { method: 'imtl-g' },
  { method: 'imtl' },
  { method: 'nash-mtl' },
  { method: 'fairgrad', options: { fairness: 3 } },
  { method: 'aligned-mtl' },
  { method: 'upgrad' },
  { method: 'sdmgrad' },
  { method: 'sdmgrad', options: { solver: 'exact' } },
  { method: 'modo' },
  { method: 'gradnorm' },
  { method: 'pcgrad', sizes: [2] },
  { method: 'gradvac', sizes: [2] },
];

test('property: permutation equivariance — permuting the tasks permutes the weights', () => {
  const r = new Random(21);
  for (const c of equivariant) {
    for (const t of c.sizes ?? [2, 3, 4, 5]) {
      for (let trial = 0; trial < 4; trial++) {
        const rows = randomRows(1100 + 10 * t + trial, t, 6);
        const m = gramianOf(rows);
        const losses = rows.map(() => 0.5 + r.next());
        const order = Array.from(r.permutation(t));
        const base = weights(c.method, m, losses, c.options);
        const permuted = weights(c.method, permuteSymmetric(m, order), order.map((i) => losses[i]!), c.options);
        const scale = Math.max(1, ...base.map(Math.abs));
        assertClose(permuted, order.map((i) => base[i]!), (c.tolerance ?? 1e-9) * scale, `${c.method} ${JSON.stringify(c.options ?? {})} T=${t}`);
      }
    }
  }
});

/** w(cM) = c^exponent · w(M). */
const scaling: (Case & { exponent: number })[] = [
  { method: 'mgda', options: { solver: 'exact' }, exponent: 0 },
  { method: 'mgda', exponent: 0, tolerance: 1e-6 },
  { method: 'cagrad', exponent: 0, tolerance: 1e-8 },
  { method: 'imtl-g', exponent: 0 },
  { method: 'aligned-mtl', exponent: 0 },
  { method: 'upgrad', exponent: 0 },
  { method: 'pcgrad', exponent: 0, sizes: [2] },
  { method: 'gradvac', exponent: 0, sizes: [2], tolerance: 1e-6 },
  { method: 'nash-mtl', exponent: -0.5 },
  { method: 'nash-mtl', options: { normalizeGramian: true }, exponent: -0.5 },
  { method: 'fairgrad', options: { fairness: 3 }, exponent: -3 / 4 },
];

test('property: scale behaviour — scale-free methods ignore c·M; Nash-MTL (either mode) scales as c^{-1/2}, FairGrad as c^{-α/(1+α)}', () => {
  for (const c of scaling) {
    for (const t of c.sizes ?? [2, 3, 4]) {
      const rows = randomRows(1200 + t, t, 6);
      const m = gramianOf(rows);
      const losses = rows.map((_, i) => 1 + i);
      const base = weights(c.method, m, losses, c.options);
      for (const factor of [1e-2, 37, 1e3]) {
        const scaled = weights(c.method, m.map((row) => row.map((v) => v * factor)), losses, c.options);
        const expected = base.map((w) => w * Math.pow(factor, c.exponent));
        const scale = Math.max(...expected.map(Math.abs));
        assertClose(scaled, expected, (c.tolerance ?? 1e-9) * scale, `${c.method} ×${factor}`);
      }
    }
  }
});

/** (Mw)_t ≥ −tolerance·scale: the combined update d = Gᵀw does not conflict with any task. */
const nonConflicting: (Case & { slack?: (m: number[][], w: number[]) => number; fullRank?: boolean })[] = [
  { method: 'mgda', options: { solver: 'exact' } },
  { method: 'mgda', tolerance: 5e-3 }, // Frank-Wolfe stops at 1e-5 change, not at the optimum
  { method: 'upgrad', options: { regularization: 0 } },
  // With the 1e-4·I regularisation the guarantee is g_tᵀd ≥ −1e-4·trace(M)·Σ_u v_u,t.
  { method: 'upgrad', slack: (m, w) => 1e-4 * m.reduce((s, row, i) => s + row[i]!, 0) * Math.max(...w) * (1 + 1e-9) },
  // Nash-MTL and FairGrad have a solution only when 0 is not in the convex hull (full-rank G here); at a
  // Pareto-stationary point they fall back to a ridge and promise nothing.
  { method: 'nash-mtl', fullRank: true },
  { method: 'fairgrad', options: { fairness: 0.5 }, fullRank: true },
  { method: 'fairgrad', options: { fairness: 4 }, fullRank: true },
  { method: 'pcgrad', sizes: [2] },
];

test('property: non-conflict — g_tᵀd ≥ 0 for every task (MGDA, UPGrad, Nash-MTL, FairGrad, PCGrad for T = 2)', () => {
  for (const c of nonConflicting) {
    for (const t of c.sizes ?? [2, 3, 4, 6]) {
      for (let trial = 0; trial < 6; trial++) {
        // Strongly conflicting random gradients: d < T so that the hull often contains directions near 0.
        const rows = randomRows(1300 + 10 * t + trial, t, c.fullRank ? t + 2 : Math.max(2, t - 1));
        const m = gramianOf(rows);
        const w = weights(c.method, m, rows.map(() => 1), c.options);
        const mw = matVec(m, w);
        const scale = Math.max(...m.map((row, i) => row[i]!)) * Math.max(1, ...w.map(Math.abs));
        const allowed = c.slack ? c.slack(m, w) : (c.tolerance ?? 1e-9) * scale;
        mw.forEach((v, i) => assert.ok(v >= -allowed, `${c.method} T=${t} trial ${trial}: g_${i}ᵀd = ${v} < −${allowed}`));
      }
    }
  }
});

test('property: MGDA — g_tᵀd ≥ ‖d‖² for every task, and d is the min-norm point of the hull (KKT, brute force)', () => {
  for (let trial = 0; trial < 12; trial++) {
    const t = 2 + (trial % 4);
    const rows = randomRows(1400 + trial, t, 3);
    const m = gramianOf(rows);
    const w = weights('mgda', m, rows.map(() => 1), { solver: 'exact' });
    const norm2 = quadraticForm(m, w);
    matVec(m, w).forEach((v) => assert.ok(v >= norm2 - 1e-10 * (1 + norm2)));
    assertSimplexKKT(m, new Array<number>(t).fill(0), w, 1e-10);
    if (t === 3) {
      let best = Infinity;
      for (let i = 0; i <= 200; i++) for (let j = 0; i + j <= 200; j++) best = Math.min(best, quadraticForm(m, [i / 200, j / 200, (200 - i - j) / 200]));
      assert.ok(norm2 <= best + 1e-12 && best - norm2 < 1e-3 * (1 + best));
    }
    // The reference Frank-Wolfe solver lands close to it (its 0.999 clipping keeps nudging, so it is only
    // within ~1e-3 of the largest squared gradient norm after 250 iterations).
    const fw = weights('mgda', m, rows.map(() => 1));
    assert.ok(quadraticForm(m, fw) - norm2 < 2e-3 * Math.max(...m.map((row, i) => row[i]!)));
  }
});

test("property: PCGrad's per-pair guarantee — for T = 2 each projected gradient no longer conflicts with the other", () => {
  for (let trial = 0; trial < 20; trial++) {
    const rows = randomRows(1500 + trial, 2, 3);
    const m = gramianOf(rows);
    const w = weights('pcgrad', m, [1, 1]);
    // C = [[1, a], [b, 1]] with the weights (1 + b, 1 + a): g1' = g1 + a g2, g2' = g2 + b g1.
    const a = w[1]! - 1;
    const b = w[0]! - 1;
    const g1g2 = (1 * m[0]![1]! + a * m[1]![1]!);
    const g2g1 = (1 * m[1]![0]! + b * m[0]![0]!);
    const scale = Math.max(m[0]![0]!, m[1]![1]!);
    assert.ok(g1g2 >= -1e-12 * scale && g2g1 >= -1e-12 * scale);
    if (m[0]![1]! < 0) {
      // Conflicting pair: both become exactly orthogonal to the other's original gradient.
      assertClose([g1g2, g2g1], [0, 0], 1e-12 * scale);
    } else {
      assertClose(w, [1, 1], 0);
    }
  }
});

test('property: known equivalences — FairGrad(α = 1) = Nash-MTL, MGDA-UB = MGDA, Aligned-MTL-UB = Aligned-MTL, UPGrad = mean without conflict', () => {
  for (let trial = 0; trial < 6; trial++) {
    const rows = randomRows(1600 + trial, 3, 5);
    const m = gramianOf(rows);
    assertClose(weights('fairgrad', m, [1, 1, 1]), weights('nash-mtl', m, [1, 1, 1]), 1e-9);
    assert.deepEqual(weights('mgda-ub', m, [1, 2, 3]), weights('mgda', m, [1, 2, 3]));
    assert.deepEqual(weights('aligned-mtl-ub', m, [1, 2, 3]), weights('aligned-mtl', m, [1, 2, 3]));
    // Gradients in one open half-space with pairwise non-negative products: no conflict anywhere.
    const positive = rows.map((row) => row.map(Math.abs));
    assertClose(weights('upgrad', gramianOf(positive), [1, 1, 1]), [1 / 3, 1 / 3, 1 / 3], 1e-12);
    assertClose(weights('pcgrad', gramianOf(positive), [1, 1, 1]), [1, 1, 1], 0);
  }
});
