import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { nativeKernelCounts } from '../../src/backend/native.js';
import { assertClose, compareKernel, installNative, onStockCpu, randomTensor, randomValues, skipNative } from './helpers.js';

/** FusedBatchNorm inputs: x of `shape`, every parameter of `paramShape` (variance positive). */
function inputs(shape: number[], paramShape: number[], seed: number, withOffset: boolean, withScale: boolean) {
  return () => {
    const result: Record<string, tf.Tensor> = {
      x: randomTensor(shape, seed, -3, 3),
      mean: randomTensor(paramShape, seed + 1, -1, 1),
      variance: randomTensor(paramShape, seed + 2, 0.1, 2),
    };
    if (withOffset) result['offset'] = randomTensor(paramShape, seed + 3, -1, 1);
    if (withScale) result['scale'] = randomTensor(paramShape, seed + 4, 0.5, 2);
    return result;
  };
}

const optional: Array<[boolean, boolean]> = [[true, true], [false, false], [true, false], [false, true]];

describe('native FusedBatchNorm vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  test('2-D and 4-D inputs with per-channel parameters, with and without offset and scale', async () => {
    const cases: Array<[number[], number[]]> = [
      [[37, 13], [13]], [[1, 1, 37, 13], [13]], [[3, 5, 7, 11], [11]], [[2, 9, 9, 16], [1, 1, 1, 16]], [[4, 3], [1]],
      [[5, 1], [1]], [[2, 3, 4, 1000], [1000]],
    ];
    let seed = 1;
    for (const [shape, paramShape] of cases) {
      for (const [withOffset, withScale] of optional) {
        const s = (seed += 10);
        await compareKernel('FusedBatchNorm', inputs(shape, paramShape, s, withOffset, withScale), { varianceEpsilon: 1e-3 },
          `[${shape}] params [${paramShape}] offset ${withOffset} scale ${withScale}`);
      }
    }
  });

  test('parameters shaped like x, or like its trailing dims (short and long periods)', async () => {
    const cases: Array<[number[], number[]]> = [
      [[3, 5, 7], [3, 5, 7]], [[4, 6, 10], [6, 10]], [[2, 3, 4, 5], [1, 4, 5]], [[3, 300, 400], [300, 400]], [[2, 70000], [2, 70000]],
    ];
    let seed = 200;
    for (const [shape, paramShape] of cases) {
      for (const [withOffset, withScale] of [[true, true], [false, false]] as const) {
        const s = (seed += 10);
        await compareKernel('FusedBatchNorm', inputs(shape, paramShape, s, withOffset, withScale), { varianceEpsilon: 1e-5 },
          `[${shape}] params [${paramShape}] offset ${withOffset} scale ${withScale}`);
      }
    }
  });

  test('a large input runs on several threads', async () => {
    await compareKernel('FusedBatchNorm', inputs([64, 32, 32, 16], [16], 7, true, true), { varianceEpsilon: 1e-3 }, 'large');
    await compareKernel('FusedBatchNorm', inputs([64, 32, 32, 3], [3], 8, false, true), { varianceEpsilon: 1e-3 }, 'large, 3 channels');
  });

  test('the default epsilon, and an empty input', async () => {
    await compareKernel('FusedBatchNorm', inputs([6, 7], [7], 9, true, true), {}, 'default epsilon');
    await compareKernel('FusedBatchNorm', inputs([0, 5], [5], 10, true, true), { varianceEpsilon: 1e-3 }, 'empty');
    await compareKernel('FusedBatchNorm', inputs([2, 0, 3, 4], [4], 11, false, false), { varianceEpsilon: 1e-3 }, 'empty 4-D');
  });

  test('parameters that do not broadcast along the trailing dims, and other dtypes, use the original kernel', async () => {
    // tfjs's kernel repeats a [4, 1] mean along x's flat order; the original gives that.
    await compareKernel('FusedBatchNorm', inputs([3, 4], [4, 1], 12, true, true), { varianceEpsilon: 1e-3 }, '[4, 1] on [3, 4]', 1e-5, 'fallback');
    await compareKernel('FusedBatchNorm', inputs([2, 3, 4], [3, 1], 13, true, true), { varianceEpsilon: 1e-3 }, '[3, 1] on [2, 3, 4]', 1e-5, 'fallback');
    await compareKernel('FusedBatchNorm', () => ({
      x: randomTensor([2, 3], 14),
      mean: tf.tensor([0, 1, 2], [3], 'int32'),
      variance: tf.tensor([1, 2, 3], [3], 'int32'),
    }), { varianceEpsilon: 1e-3 }, 'int32 statistics', 1e-5, 'fallback');
  });

  test('tf.batchNorm of 2-D to 4-D tensors, and its gradient for every input', async () => {
    for (const [shape, channels] of [[[37, 13], 13], [[5, 6, 7], 7], [[3, 9, 9, 16], 16]] as const) {
      const make = () => ({
        x: randomTensor([...shape], 21, -3, 3), mean: randomTensor([channels], 22), variance: randomTensor([channels], 23, 0.1, 2),
        offset: randomTensor([channels], 24), scale: randomTensor([channels], 25, 0.5, 2), dy: randomTensor([...shape], 26),
      });
      const run = () => tf.tidy(() => {
        const t = make();
        const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
          tf.batchNorm(x, mean, variance, offset, scale, 1e-3).mul(t.dy).sum();
        const y = tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 1e-3);
        const grads = tf.grads(f)([t.x, t.mean, t.variance, t.offset, t.scale]);
        return [y, ...grads].map((g) => Float32Array.from(g.dataSync()));
      });
      const before = tf.memory().numTensors;
      const want = await onStockCpu(run);
      const counted = nativeKernelCounts()['FusedBatchNorm']!.native;
      const got = run();
      assert.ok(nativeKernelCounts()['FusedBatchNorm']!.native > counted, 'FusedBatchNorm did not run natively');
      ['y', 'dx', 'dmean', 'dvariance', 'doffset', 'dscale'].forEach((name, i) => assertClose(got[i]!, want[i]!, 1e-5, `[${shape}] ${name}`));
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    }
  });

  test('tf.layers.batchNormalization in training mode: same output, gradients and moving statistics', async () => {
    const shape = [8, 6, 6, 5];
    const run = () => {
      const layer = tf.layers.batchNormalization({ momentum: 0.9 });
      const x = tf.tidy(() => tf.variable(randomTensor(shape, 31, -2, 3)));
      const w = randomTensor(shape, 32);
      layer.build(shape);
      const channels = shape[3]!;
      const initial = [
        tf.tensor(randomValues(channels, 33, 0.5, 2)), tf.tensor(randomValues(channels, 34)),
        tf.tensor(randomValues(channels, 35)), tf.tensor(randomValues(channels, 36, 0.5, 2)),
      ];
      layer.setWeights(initial);
      tf.dispose(initial);
      const { value, grads } = tf.variableGrads(() => (layer.apply(x, { training: true }) as tf.Tensor).mul(w).sum() as tf.Scalar);
      const out = [value, grads[x.name]!, ...layer.trainableWeights.map((v) => grads[v.name]!), ...layer.getWeights()]
        .map((t) => Float32Array.from(t.dataSync()));
      tf.dispose([value, ...Object.values(grads), x, w]);
      for (const v of layer.weights) v.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    const want = await onStockCpu(run);
    const counted = nativeKernelCounts()['FusedBatchNorm']!.native;
    const got = run();
    assert.ok(nativeKernelCounts()['FusedBatchNorm']!.native > counted, 'FusedBatchNorm did not run natively');
    ['loss', 'dx', 'dgamma', 'dbeta', 'gamma', 'beta', 'moving mean', 'moving variance']
      .forEach((name, i) => assertClose(got[i]!, want[i]!, 1e-5, name));
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });
});
