import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { uninstallNative } from '../../src/backend/native.js';
import { gradientSignDropout as gradDrop } from '../../src/weighting/gradDrop.js';
import { gradDropPasses, javascriptGradDropPasses } from '../../src/weighting/gradDropPasses.js';
import { installNative, randomValues, skipNative } from './helpers.js';

before(async () => {
  if (!skipNative) await installNative();
});

/** T rows and a representation of batch × features values, with exact zeros (ReLU-like) in both. */
function problem(t: number, batch: number, features: number, seed: number) {
  const n = batch * features;
  const zeroEvery = (x: Float32Array, every: number) => x.map((v, k) => (k % every === 0 ? 0 : v));
  const rows = Array.from({ length: t }, (_, i) => zeroEvery(randomValues(n, seed + i, -3, 3), 11));
  const values = randomValues(n, seed + 100, -1, 1).map((v) => (v < 0.2 ? 0 : v));
  values[1] = -0.5;
  return { rows, values };
}

test('native GradDrop passes: installed with the native path, the JavaScript ones after uninstall', { skip: skipNative }, async () => {
  assert.notEqual(gradDropPasses(), javascriptGradDropPasses);
  uninstallNative();
  try {
    assert.equal(gradDropPasses(), javascriptGradDropPasses);
  } finally {
    await installNative();
  }
  assert.notEqual(gradDropPasses(), javascriptGradDropPasses);
});

test('native GradDrop passes give the JavaScript passes\' numbers to the bit (1, 2, 3 and 5 tasks)', { skip: skipNative }, () => {
  const native = gradDropPasses();
  for (const t of [1, 2, 3, 5]) {
    const [batch, features] = [7, 33];
    const { rows, values } = problem(t, batch, features, 10 * t);
    const sums = [native, javascriptGradDropPasses].map((p) => {
      const summed = new Float64Array(Math.max(t, 3) * features);
      p.signedSums(rows, values, batch, features, summed);
      return summed;
    });
    assert.ok(sums[0]!.every((v, k) => Object.is(v, sums[1]![k])), `signed sums, ${t} tasks`);
    assert.ok(sums[0]!.some((v) => v !== 0));
    const keep = Float64Array.from({ length: Math.max(t, 3) * features }, (_, k) => (k < t * features ? [0, 0.25, 1][k % 3]! : 0));
    const masked = [native, javascriptGradDropPasses].map((p) => {
      const direction = new Float32Array(batch * features);
      const norms = Float64Array.of(1.5, 2.5);
      p.maskedSum(rows, keep, batch, features, direction, norms);
      return { direction, norms };
    });
    assert.ok(masked[0]!.direction.every((v, k) => Object.is(v, masked[1]!.direction[k])), `direction, ${t} tasks`);
    assert.deepEqual(Array.from(masked[0]!.norms), Array.from(masked[1]!.norms), `norms, ${t} tasks`);
    assert.ok(masked[0]!.norms[0]! > 1.5 && masked[0]!.norms[1]! > 2.5);
  }
});

test('GradDrop (representation) gives the same direction on the native passes as on the JavaScript ones', { skip: skipNative }, async () => {
  const [t, batch, features] = [3, 16, 64];
  const { rows, values } = problem(t, batch, features, 7);
  const context = { taskNames: ['a', 'b', 'c'], seed: 5 };
  const options = gradDrop.resolveOptions({ leak: 0.1 }, context);
  const input = { losses: [1, 1, 1], gradients: rows, representation: { values, batchSize: batch }, epoch: 0, step: 0 };
  const nativeOut = gradDrop.update(input, gradDrop.init(context, options), options);
  uninstallNative();
  let plainOut;
  try {
    plainOut = gradDrop.update(input, gradDrop.init(context, options), options);
  } finally {
    await installNative();
  }
  assert.deepEqual(nativeOut.direction, plainOut.direction);
  assert.deepEqual(nativeOut.state, plainOut.state);
});

test('native GradDrop passes: a row of the wrong length is an error, not a read past the end', { skip: skipNative }, () => {
  const native = gradDropPasses();
  const { rows, values } = problem(2, 4, 8, 1);
  assert.throws(() => native.signedSums([rows[0]!, rows[1]!.subarray(0, 31)], values, 4, 8, new Float64Array(24)), /holds 31 values, needs 32/);
  assert.throws(() => native.maskedSum(rows, new Float64Array(8), 4, 8, new Float32Array(32), new Float64Array(2)), /holds 8 values, needs 16/);
});
