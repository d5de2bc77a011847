import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smoothTchebycheff } from '../../src/weighting/stch.js';
import { assertClose } from '../linalg/assertions.js';
import { contextFor } from './helpers.js';

function withEpochs(epochs: number[][], options?: Record<string, unknown>) {
  const t = epochs[0]?.length ?? 2;
  const o = smoothTchebycheff.resolveOptions(options, contextFor(t));
  let state = smoothTchebycheff.init(contextFor(t), o);
  for (const e of epochs) state = smoothTchebycheff.endEpoch!(e, state, o);
  return { state, weights: (losses: number[]) => smoothTchebycheff.update({ losses, epoch: epochs.length, step: 0 }, state, o).weights };
}

test('stch: warm-up trains Σ log L_t, i.e. w_t = 1/L_t; the nadir is the mean loss of epoch warmupEpochs', () => {
  const { weights, state } = withEpochs([[4, 4], [3, 3]], { warmupEpochs: 1 });
  // Epochs 0 and 1 are warm-up; the nadir is epoch 1's mean.
  assert.deepEqual(state.nadir, [3, 3]);
  assert.deepEqual(withEpochs([[4, 4]], { warmupEpochs: 1 }).state.nadir, null);
  assertClose(withEpochs([[4, 4]], { warmupEpochs: 1 }).weights([2, 0.5]), [0.5, 2], 1e-12);
  // At L = n every term is log 1 = 0: softmax uniform, w_t = T·(1/T)/L_t.
  assertClose(weights([3, 3]), [1 / 3, 1 / 3], 1e-12);
});

test('stch: two tasks, hand-computed: L = (2n₁, n₂), μ = 1 → softmax(log 2, 0) = (2/3, 1/3)', () => {
  const { weights } = withEpochs([[1, 5]], { warmupEpochs: 0 });
  // w_t = T·p_t / L_t: (2·(2/3)/2, 2·(1/3)/5).
  assertClose(weights([2, 5]), [2 / 3, 2 / 15], 1e-12);
});

test('stch: the weights are the gradient of T·μ·log Σ exp(log(L_t/n_t)/μ) (3 tasks, μ = 0.3, huge scale gap)', () => {
  const nadir = [1e6, 1, 1e-3];
  const mu = 0.3;
  const { weights } = withEpochs([nadir], { warmupEpochs: 0, smoothing: mu });
  const losses = [2e6, 0.5, 1.5e-3];
  const f = (l: number[]) => 3 * mu * Math.log(l.reduce((s, v, t) => s + Math.exp(Math.log(v / nadir[t]!) / mu), 0));
  const w = weights(losses);
  losses.forEach((l, t) => {
    const h = l * 1e-6;
    const up = [...losses];
    const down = [...losses];
    up[t]! += h;
    down[t]! -= h;
    assertClose(w[t]! * l, ((f(up) - f(down)) / (2 * h)) * l, 1e-7, `task ${t}`);
  });
  // μ → 0 approaches the max: the worst normalised task (task 0, ratio 2) gets almost all of it.
  const sharp = withEpochs([nadir], { warmupEpochs: 0, smoothing: 0.01 }).weights(losses);
  assert.ok(sharp[0]! * losses[0]! > 0.99 * 3);
});
