import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nashMtl } from '../../src/weighting/nashMtl.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

// Reference values: scipy least_squares on (Mα − 1/α)·α with xtol = ftol = gtol = 1e-15, from α = 1.
test('nash-mtl: golden values (2 and 3 tasks, huge scale gap)', () => {
  assertClose(run(nashMtl, { rows: examples.conflicting }).weights, [1.3449970239279148, 1.2030019100150915], 1e-9);
  assertClose(run(nashMtl, { rows: examples.three }).weights, [1.27644736866365, 1.4218826259735577, 1.0895916670622847], 1e-9);
  assertClose(run(nashMtl, { rows: examples.scaleGap }).weights, [0.0018477590650225735, 1306.5629648763766], 1e-6);
  // normalizeGramian (the reference code's conditioning) solves the same equation.
  assertClose(run(nashMtl, { rows: examples.conflicting, options: { normalizeGramian: true } }).weights, [1.3449970239279148, 1.2030019100150915], 1e-9);
});

test('nash-mtl normalizeGramian: hand-checked, the unnormalised Mα = 1/α (the reference scales α back), not √‖M‖_F times larger', () => {
  // M = diag(4, 9): Mα = 1/α gives 4α₁² = 1, 9α₂² = 1, so α = (1/2, 1/3).
  const gramian = [[4, 0], [0, 9]];
  const input = { losses: [1, 1], gramian, epoch: 0, step: 0 };
  const plain = nashMtl.update(input, null, nashMtl.resolveOptions({}, { taskNames: ['a', 'b'], seed: 0 })).weights;
  const normalized = nashMtl.update(input, null, nashMtl.resolveOptions({ normalizeGramian: true }, { taskNames: ['a', 'b'], seed: 0 })).weights;
  assertClose(plain, [1 / 2, 1 / 3], 1e-12);
  assertClose(normalized, [1 / 2, 1 / 3], 1e-12);
  // Solving on N = M/‖M‖_F (‖M‖_F = √97) alone: (4/√97)β₁² = 1 → β₁ = 97^{1/4}/2, i.e. α·√‖M‖_F.
  const wrong = [Math.pow(97, 0.25) / 2, Math.pow(97, 0.25) / 3];
  assertClose(wrong.map((w, i) => w / normalized[i]!), [Math.sqrt(Math.sqrt(97)), Math.sqrt(Math.sqrt(97))], 1e-12);
  // A coupled 3-task Gramian: the two modes agree to the solver's tolerance and satisfy Mα = 1/α.
  const m = [[2, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 3]];
  const a = nashMtl.update({ losses: [1, 1, 1], gramian: m, epoch: 0, step: 0 }, null, { normalizeGramian: false }).weights;
  const b = nashMtl.update({ losses: [1, 1, 1], gramian: m, epoch: 0, step: 0 }, null, { normalizeGramian: true }).weights;
  assertClose(b, a, 1e-10);
  m.forEach((row, t) => assertClose(row.reduce((s, v, j) => s + v * b[j]!, 0), 1 / b[t]!, 1e-10));
});

test('nash-mtl: hand-computed: orthogonal (α_t = 1/‖g_t‖), identical (1/√(2a)), zero gradient (weight 0)', () => {
  assertClose(run(nashMtl, { rows: examples.orthogonal }).weights, [1, 0.5], 1e-12);
  assertClose(run(nashMtl, { rows: examples.identical }).weights, [0.5, 0.5], 1e-12);
  assertClose(run(nashMtl, { rows: examples.zero }).weights, [1 / Math.sqrt(5), 0], 1e-12);
  // Exactly opposed gradients: no bargaining solution; the ridge fallback gives equal finite weights (d = 0).
  const w = run(nashMtl, { rows: [[1, 0], [-1, 0]] }).weights;
  assert.ok(w.every(Number.isFinite));
  assertClose(w[0]!, w[1]!, 1e-6 * w[0]!);
});
