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
  // normalizeGramian (reference code): M/‖M‖_F.
  assertClose(run(nashMtl, { rows: examples.conflicting, options: { normalizeGramian: true } }).weights, [1.7792638197176265, 1.5914219403178174], 1e-9);
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
