/** KKT checks for the bounded QPs, used as independent certificates of optimality in the tests. */
import assert from 'node:assert/strict';
import type { Matrix } from '../../src/linalg/matrix.js';

/** Check x minimises ½xᵀQx + cᵀx on the simplex: feasible, and (Qx + c)_i = μ on the support, ≥ μ off it. */
export function assertSimplexKKT(q: Matrix, c: readonly number[], x: readonly number[], tolerance = 1e-9): void {
  assert.ok(x.every((v) => v >= -1e-15), `infeasible: [${x.join(', ')}]`);
  assert.ok(Math.abs(x.reduce((s, v) => s + v, 0) - 1) < 1e-12, 'Σx ≠ 1');
  const g = q.map((row, i) => row.reduce((s, v, j) => s + v * x[j]!, c[i]!));
  const scale = 1 + Math.max(...g.map(Math.abs));
  const mu = Math.min(...g);
  for (let i = 0; i < x.length; i++) {
    if (x[i]! > 1e-10) assert.ok(g[i]! - mu <= tolerance * scale, `KKT: g[${i}] = ${g[i]} on the support, min = ${mu}`);
  }
}

/** Check x minimises ½xᵀQx + cᵀx subject to x ≥ lower: feasible, (Qx + c)_i = 0 where x_i > l_i, ≥ 0 where x_i = l_i. */
export function assertBoxKKT(q: Matrix, c: readonly number[], lower: readonly number[], x: readonly number[], tolerance = 1e-9): void {
  const g = q.map((row, i) => row.reduce((s, v, j) => s + v * x[j]!, c[i]!));
  const scale = 1 + Math.max(...q.flat().map(Math.abs)) * (1 + Math.max(...x.map(Math.abs)));
  for (let i = 0; i < x.length; i++) {
    assert.ok(x[i]! >= lower[i]! - 1e-15, `x[${i}] = ${x[i]} < ${lower[i]}`);
    assert.ok(g[i]! >= -tolerance * scale, `KKT: multiplier g[${i}] = ${g[i]} < 0`);
    if (x[i]! > lower[i]! + 1e-10) assert.ok(Math.abs(g[i]!) <= tolerance * scale, `KKT: g[${i}] = ${g[i]} ≠ 0 off the bound`);
  }
}
