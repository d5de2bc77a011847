import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamicWeightAverage } from '../../src/weighting/dwa.js';
import { MtlError } from '../../src/errors.js';
import { assertClose } from '../linalg/assertions.js';
import { contextFor } from './helpers.js';

function afterEpochs(epochs: number[][], options?: Record<string, unknown>) {
  const t = epochs[0]?.length ?? 2;
  const o = dynamicWeightAverage.resolveOptions(options, contextFor(t));
  let state = dynamicWeightAverage.init(contextFor(t), o);
  for (const e of epochs) state = dynamicWeightAverage.endEpoch!(e, state, o);
  return (losses: number[]) => dynamicWeightAverage.update({ losses, epoch: epochs.length, step: 0 }, state, o).weights;
}

test('dwa: λ = 1 during the first two epochs', () => {
  assert.deepEqual(afterEpochs([])([1, 2]), [1, 1]);
  assert.deepEqual(afterEpochs([[1, 2]])([1, 2]), [1, 1]);
});

test('dwa: two tasks, hand-computed', () => {
  // r = (0.5/1, 2/2) = (0.5, 1); λ = 2·softmax(r/2) = 2·(e^0.25, e^0.5)/(e^0.25 + e^0.5).
  const e1 = Math.exp(0.25);
  const e2 = Math.exp(0.5);
  assertClose(afterEpochs([[1, 2], [0.5, 2]])([9, 9]), [(2 * e1) / (e1 + e2), (2 * e2) / (e1 + e2)], 1e-12);
  // Only the last two epochs count.
  assertClose(afterEpochs([[7, 7], [1, 2], [0.5, 2]])([9, 9]), [(2 * e1) / (e1 + e2), (2 * e2) / (e1 + e2)], 1e-12);
});

test('dwa: three tasks, temperature 1, hand-computed', () => {
  // r = (1, 0.5, 2): λ = 3·softmax(r) = 3·(e, e^0.5, e²)/(e + e^0.5 + e²).
  const e = [Math.E, Math.exp(0.5), Math.exp(2)];
  const s = e[0]! + e[1]! + e[2]!;
  assertClose(afterEpochs([[1, 2, 1], [1, 1, 2]], { temperature: 1 })([1, 1, 1]), e.map((v) => (3 * v) / s), 1e-12);
});

test('dwa: scale-free (huge loss gap), equal ratios give 1, a zero denominator gives ratio 1', () => {
  assertClose(afterEpochs([[1e6, 1e-3], [5e5, 5e-4]])([1, 1]), [1, 1], 1e-12);
  assertClose(afterEpochs([[0, 1], [0, 1]])([1, 1]), [1, 1], 1e-12);
});

test('dwa: a bad temperature is a coded error', () => {
  assert.throws(() => dynamicWeightAverage.resolveOptions({ temperature: 0 }, contextFor(2)), (e: unknown) => e instanceof MtlError && e.code === 'weighting.bad_option');
  assert.throws(() => dynamicWeightAverage.resolveOptions({ temprature: 2 }, contextFor(2)), (e: unknown) => e instanceof MtlError && /temperature/.test(e.fix ?? ''));
});
