import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dualBalancing as dbMtl } from '../../src/weighting/dbMtl.js';
import { methodStateFromJson, methodStateToJson } from '../../src/weighting/stateJson.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run, runSteps } from './helpers.js';

test('db-mtl: two steps, hand-computed (losses 1 and 2)', () => {
  // Log-loss gradients g/L = (1, 0) and (−0.25, 0.5) (L + 1e-8). Step 1: ĝ = 0.1·(g/L) (buffer 0).
  // Norms 0.1 and 0.1·√0.3125 → α = (1, 1/√0.3125); d = α₁ĝ₁ + α₂ĝ₂ = 0.1·((1, 0) + (−0.25, 0.5)/√0.3125).
  const [first, second] = runSteps(dbMtl, { rows: examples.conflicting, losses: [1, 2] }, 2);
  const s = Math.sqrt(0.3125);
  assertClose(first!.weights, [1, 1 / s], 1e-6);
  assertClose(Array.from(first!.direction!), [0.1 * (1 - 0.25 / s), 0.1 * (0.5 / s)], 1e-6);
  // numpy reference: [0.05527863789721734, 0.08944270220556734].
  assertClose(Array.from(first!.direction!), [0.05527863789721734, 0.08944270220556734], 1e-7);
  // Step 2: ĝ = 0.1·g/L + 0.9·0.1·g/L = 0.19·g/L: same α, d scaled by 1.9.
  assertClose(Array.from(second!.direction!), [0.10502941380471356, 0.16994114859057396], 1e-7);
  assert.equal(second!.state.step, 2);
  // The heads follow ∇ log(L_t + 1e-8): their gradients scaled by 1/(L_t + 1e-8).
  assertClose(first!.taskGradientScales!, [1 / (1 + 1e-8), 1 / (2 + 1e-8)], 1e-12);
});

test('db-mtl: three tasks with a huge loss gap are balanced to the largest log-gradient norm', () => {
  const out = run(dbMtl, { rows: examples.three, losses: [1e3, 1, 1e-3] });
  const buffer = out.state.buffer!;
  const norms = buffer.map((b) => Math.hypot(...Array.from(b)));
  const scaled = norms.map((n, t) => n * out.weights[t]!);
  // α_t = max‖ĝ‖/(‖ĝ_t‖ + 1e-8): exact up to the 1e-8 (‖ĝ₁‖ ≈ 1e-4 here, so 1e-4 relative).
  assertClose(scaled, scaled.map(() => Math.max(...norms)), 2e-4 * Math.max(...norms));
  assert.deepEqual(methodStateFromJson(JSON.parse(JSON.stringify(methodStateToJson(out.state)))), out.state);
});

test('db-mtl: a state whose buffer rows are plain numbers (a checkpoint from before typed rows) gives the same step', () => {
  const first = run(dbMtl, { rows: examples.three, losses: [3, 1, 0.5] });
  const plain = { ...first.state, buffer: first.state.buffer!.map((row) => Array.from(row)) };
  const typed = run(dbMtl, { rows: examples.three, losses: [2, 1, 0.25], state: first.state });
  const fromPlain = run(dbMtl, { rows: examples.three, losses: [2, 1, 0.25], state: plain });
  assert.deepEqual(fromPlain, typed);
});
