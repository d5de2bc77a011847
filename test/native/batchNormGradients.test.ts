import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { originalGradient, uninstallNative } from '../../src/backend/native.js';
import { fusedBatchNormGradient } from '../../src/backend/native/gradients/fusedBatchNorm.js';
import { meanGradient } from '../../src/backend/native/gradients/mean.js';
import { assertClose, installNative, randomTensor, randomValues, skipNative } from './helpers.js';

const NAMES = ['FusedBatchNorm', 'Mean'];

/** Runs `fn` with tfjs's own gradients for FusedBatchNorm and Mean, then puts the native path's back. */
function onTfjsGradients<T>(fn: () => T): T {
  const ours = NAMES.map((name) => tf.getGradient(name));
  for (const name of NAMES) tf.registerGradient(originalGradient(name)!);
  try {
    return fn();
  } finally {
    for (const config of ours) tf.registerGradient(config);
  }
}

const copy = (t: tf.Tensor) => Float32Array.from(t.dataSync());

/**
 * Asserts `run` gives the same values with the native path's gradients as with tfjs's
 * (rtol 1e-5 at each tensor's RMS scale) and leaks no tensors either way.
 */
function assertSameAsTfjs(run: () => Float32Array[], names: string[], what: string, rtol = 1e-5): void {
  const before = tf.memory().numTensors;
  const want = onTfjsGradients(run);
  const got = run();
  assert.equal(got.length, names.length, `${what}: outputs`);
  names.forEach((name, i) => assertClose(got[i]!, want[i]!, rtol, `${what} ${name}`));
  assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
}

/** The five FusedBatchNorm inputs and an upstream weight w (y·w summed is the loss). */
function batchNormInputs(shape: number[], paramShape: number[], seed: number) {
  return {
    x: randomTensor(shape, seed, -3, 3),
    mean: randomTensor(paramShape, seed + 1),
    variance: randomTensor(paramShape, seed + 2, 0.1, 2),
    offset: randomTensor(paramShape, seed + 3),
    scale: randomTensor(paramShape, seed + 4, 0.5, 2),
    w: randomTensor(shape, seed + 5),
  };
}

/** Gradients of sum(tf.batchNorm(...)·w) on all five inputs, plus y. */
function batchNormGradients(shape: number[], paramShape: number[], seed: number, epsilon?: number): Float32Array[] {
  return tf.tidy(() => {
    const t = batchNormInputs(shape, paramShape, seed);
    const loss = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(x, mean, variance, offset, scale, epsilon), t.w));
    const y = tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, epsilon);
    return [y, ...tf.grads(loss)([t.x, t.mean, t.variance, t.offset, t.scale])].map(copy);
  });
}

const BATCH_NORM_OUTPUTS = ['y', 'dx', 'dmean', 'dvariance', 'doffset', 'dscale'];

describe('native-path gradients for FusedBatchNorm and Mean', { skip: skipNative }, () => {
  before(async () => {
    await installNative();
    for (const name of NAMES) assert.notEqual(tf.getGradient(name), originalGradient(name), `${name}: our gradient is registered`);
  });

  test('tf.batchNorm: all five gradients match tfjs\'s for per-channel parameters and parameters shaped like x', () => {
    const cases: Array<[number[], number[], number | undefined]> = [
      [[37, 13], [13], 1e-3], [[5, 6, 7], [7], 1e-5], [[3, 9, 9, 16], [16], undefined], [[2, 3, 4, 100], [100], 1e-3],
      [[11], [11], 1e-3], [[1, 1, 1, 4], [4], 0.1], [[6, 1, 1, 3], [3], 1e-3],
      [[37, 13], [37, 13], 1e-3], [[4, 6, 10], [4, 6, 10], 1e-5], [[3, 5, 7, 11], [3, 5, 7, 11], 1e-3],
    ];
    let seed = 1;
    for (const [shape, paramShape, epsilon] of cases) {
      const s = (seed += 10);
      assertSameAsTfjs(() => batchNormGradients(shape, paramShape, s, epsilon), BATCH_NORM_OUTPUTS,
        `[${shape}] params [${paramShape}] epsilon ${epsilon}`);
    }
  });

  test('broadcasts tfjs\'s gradient cannot take match the derivative of the formula written in ops', () => {
    // tfjs's gradient reshapes a full-size product to the parameter's shape (throws for
    // [1, 1, 1, C] or [H, C] parameters) and tiles r to rank 4 (throws for a 2-D x).
    const formula = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
      tf.add(offset, tf.mul(tf.mul(tf.sub(x, mean), scale), tf.rsqrt(tf.add(variance, 1e-3))));
    const fused = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
      tf.engine().runKernel('FusedBatchNorm', { x, mean, variance, offset, scale }, { varianceEpsilon: 1e-3 }) as tf.Tensor;
    const viaBatchNorm = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
      tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
    const cases: Array<[number[], number[], typeof fused]> = [
      [[3, 5, 5, 6], [1, 1, 1, 6], viaBatchNorm], [[4, 6, 10], [6, 10], viaBatchNorm], [[2, 3, 4, 5], [1, 4, 5], viaBatchNorm],
      [[6, 5], [5], fused], [[4, 3, 7], [7], fused], [[2, 2, 3, 2, 4], [4], fused], [[0, 5], [5], fused],
    ];
    let seed = 300;
    for (const [shape, paramShape, op] of cases) {
      const s = (seed += 10);
      const run = (f: typeof fused) => tf.tidy(() => {
        const t = batchNormInputs(shape, paramShape, s);
        const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...(args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), t.w));
        const inputs = [t.x, t.mean, t.variance, t.offset, t.scale];
        return [f(t.x, t.mean, t.variance, t.offset, t.scale), ...tf.grads(loss)(inputs)].map(copy);
      });
      const before = tf.memory().numTensors;
      const want = run(formula);
      const got = run(op);
      BATCH_NORM_OUTPUTS.forEach((name, i) => assertClose(got[i]!, want[i]!, 1e-5, `[${shape}] params [${paramShape}] ${name}`));
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    }
  });

  test('without scale: the gradient functions agree when called directly', () => {
    // tfjs's engine cannot record FusedBatchNorm without scale or offset (it clones the
    // missing input), so the gradient functions are compared outside the tape.
    const ours = tf.getGradient('FusedBatchNorm');
    const theirs = originalGradient('FusedBatchNorm')!;
    const before = tf.memory().numTensors;
    for (const [shape, withScale] of [[[2, 4, 4, 3], false], [[2, 4, 4, 3], true], [[1, 1, 9, 5], false]] as const) {
      const evaluate = (config: tf.GradConfig) => tf.tidy(() => {
        const t = batchNormInputs([...shape], [shape[3]], 400);
        const saved = [t.x, t.mean, t.variance, withScale ? t.scale : undefined] as tf.Tensor[];
        const grads = config.gradFunc(t.w, saved, { varianceEpsilon: 1e-3 });
        return ['x', 'mean', 'variance', 'offset', ...(withScale ? ['scale'] : [])].map((name) => copy(grads[name]!()));
      });
      const want = evaluate(theirs);
      const got = evaluate(ours);
      want.forEach((w, i) => assertClose(got[i]!, w, 1e-5, `[${shape}] scale ${withScale} input ${i}`));
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });

  test('inputs it does not cover go to tfjs\'s gradient', () => {
    // int32 statistics.
    assertSameAsTfjs(() => tf.tidy(() => {
      const x = randomTensor([2, 3, 3, 3], 500);
      const mean = tf.tensor([0, 1, 2], [3], 'int32');
      const variance = tf.tensor([1, 2, 3], [3], 'int32');
      return [copy(tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.batchNorm(v, mean, variance, randomTensor([3], 501), randomTensor([3], 502)))))(x))];
    }), ['dx'], 'int32 statistics');
    // A [3, 1] mean on [1, 2, 3, 4] is repeated along x's flat order by tfjs's kernel, not
    // broadcast: the gradient is whatever tfjs's computes, errors included.
    const outcome = (config: tf.GradConfig, name: string) => {
      try {
        return tf.tidy(() => {
          const saved = [randomTensor([1, 2, 3, 4], 503), randomTensor([3, 1], 504), randomTensor([3, 1], 505, 0.5, 2), randomTensor([3, 1], 506)];
          return copy(config.gradFunc(randomTensor([1, 2, 3, 4], 507), saved, { varianceEpsilon: 1e-3 })[name]!());
        });
      } catch (error) {
        return String(error);
      }
    };
    const before = tf.memory().numTensors;
    for (const name of ['x', 'mean', 'variance', 'scale', 'offset']) {
      assert.deepEqual(outcome(tf.getGradient('FusedBatchNorm'), name), outcome(originalGradient('FusedBatchNorm')!, name), name);
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });

  test('tf.mean: any axis, negative axes, keepDims, size-1 and empty axes, rank 5, int32 input', () => {
    const cases: Array<[number[], number | number[] | undefined]> = [
      [[4, 5, 6], undefined], [[4, 5, 6], 0], [[4, 5, 6], 1], [[4, 5, 6], 2], [[4, 5, 6], -1], [[4, 5, 6], -2],
      [[4, 5, 6], [0, 2]], [[4, 5, 6], [-1, 0]], [[4, 5, 6], [0, 1, 2]], [[7], 0], [[], undefined], [[3, 1, 4], 1],
      [[3, 1, 4], [0, 1]], [[2, 3, 2, 2, 3], [0, 2, 4]], [[0, 3], 0], [[3, 0], 0], [[128, 7, 7, 16], [0, 1, 2]],
    ];
    let seed = 600;
    for (const [shape, axis] of cases) {
      for (const keepDims of [false, true]) {
        const s = (seed += 10);
        assertSameAsTfjs(() => tf.tidy(() => {
          const x = randomTensor(shape, s, -2, 2);
          const w = randomTensor(tf.mean(x, axis, keepDims).shape, s + 1);
          return [copy(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mean(v, axis, keepDims), w)))(x))];
        }), ['dx'], `[${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
      }
    }
    assertSameAsTfjs(() => tf.tidy(() => {
      const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mean(v, 1), tf.tensor([2, -1]))))(x);
      assert.equal(g.dtype, 'float32');
      return [copy(g)];
    }), ['dx'], 'int32 x');
  });

  test('tf.layers.batchNormalization training step: gradients for x, gamma and beta match tfjs\'s', () => {
    for (const [shape, seed] of [[[8, 6, 6, 5], 700], [[16, 7], 710], [[4, 3, 10], 720], [[2, 9, 9, 32], 730]] as const) {
      const run = () => {
        const layer = tf.layers.batchNormalization({ momentum: 0.9 });
        const x = tf.tidy(() => tf.variable(randomTensor([...shape], seed, -2, 3)));
        const w = randomTensor([...shape], seed + 1);
        layer.build([...shape]);
        const channels = shape[shape.length - 1]!;
        const initial = [
          tf.tensor(randomValues(channels, seed + 2, 0.5, 2)), tf.tensor(randomValues(channels, seed + 3)),
          tf.tensor(randomValues(channels, seed + 4)), tf.tensor(randomValues(channels, seed + 5, 0.5, 2)),
        ];
        layer.setWeights(initial);
        tf.dispose(initial);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar);
        const out = [value, grads[x.name]!, ...layer.trainableWeights.map((v) => grads[v.name]!), ...layer.getWeights()].map(copy);
        tf.dispose([value, ...Object.values(grads), x, w]);
        for (const v of layer.weights) v.dispose();
        return out;
      };
      assertSameAsTfjs(run, ['loss', 'dx', 'dgamma', 'dbeta', 'gamma', 'beta', 'moving mean', 'moving variance'], `[${shape}]`);
    }
  });

  test('second-order gradients (the gradient of a gradient norm) match tfjs\'s', () => {
    for (const [shape, seed] of [[[4, 3, 3, 5], 800], [[12, 6], 810]] as const) {
      assertSameAsTfjs(() => tf.tidy(() => {
        const channels = shape[shape.length - 1]!;
        const x = randomTensor([...shape], seed, -2, 3);
        const gamma = randomTensor([channels], seed + 1, 0.5, 2);
        const beta = randomTensor([channels], seed + 2);
        const w = randomTensor([...shape], seed + 3);
        const axes = shape.map((_, i) => i).slice(0, -1);
        // Training-mode batch norm as tf.layers builds it: tf.moments, then tf.batchNorm.
        const loss = (v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(v, axes);
          return tf.sum(tf.mul(tf.batchNorm(v, mean, variance, b, g, 1e-3), w));
        };
        // (The gradients do not depend on beta, so there is no second derivative on it.)
        const gradientNorm = (v: tf.Tensor, g: tf.Tensor) =>
          tf.addN(tf.grads(loss)([v, g, beta]).map((d) => tf.sum(tf.square(d))));
        return tf.grads(gradientNorm)([x, gamma]).map(copy);
      }), ['d²x', 'd²gamma'], `[${shape}]`);
    }
    // Rank 5: tfjs's Tile gradient stops at rank 4, so the Mean gradient must not need it.
    assertSameAsTfjs(() => tf.tidy(() => {
      const x = randomTensor([2, 3, 2, 2, 3], 820);
      const f = (v: tf.Tensor) => tf.sum(tf.square(tf.mean(tf.square(v), [0, 2, 4], true)));
      return [copy(tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(v))))(x))];
    }), ['d²x'], 'rank-5 mean');
  });

  test('uninstalling the native path restores tfjs\'s gradient config objects; reinstalling replaces them again', async () => {
    uninstallNative();
    const stock = NAMES.map((name) => tf.getGradient(name));
    try {
      await installNative();
      NAMES.forEach((name, i) => {
        assert.notEqual(tf.getGradient(name), stock[i], `${name}: replaced`);
        assert.equal(originalGradient(name), stock[i], `${name}: original kept`);
        assert.deepEqual(tf.getGradient(name).inputsToSave, stock[i]!.inputsToSave, `${name}: same saved inputs`);
      });
      uninstallNative();
      NAMES.forEach((name, i) => assert.equal(tf.getGradient(name), stock[i], `${name}: restored`));
    } finally {
      await installNative();
    }
  });

  test('a gradient registered with another saved-tensor contract is left alone', () => {
    const other: tf.GradConfig = { kernelName: 'FusedBatchNorm', inputsToSave: ['x'], gradFunc: () => ({}) };
    assert.equal(fusedBatchNormGradient.replace(other), null);
    assert.equal(meanGradient.replace({ kernelName: 'Mean', outputsToSave: [true], inputsToSave: ['x'], gradFunc: () => ({}) }), null);
    assert.notEqual(meanGradient.replace(originalGradient('Mean')!), null);
  });
});
