import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { type BenchModel, createLeNet, createMlp } from '../../bench/kernels.js';
import {
  describeWasmKernelFixes,
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from '../../src/backend/wasmKernels.js';
import { assertClose, assertNoLeak, useWasm } from './helpers.js';

before(useWasm);

describe('installWasmKernelFixes', () => {
  test('is idempotent and uninstall restores the stock kernels', async () => {
    uninstallWasmKernelFixes();
    assert.equal(wasmKernelFixesInstalled(), false);
    const stockMatMul = tf.getKernel('BatchMatMul', 'wasm');
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'stock wasm has no Conv2DBackpropFilter');

    const first = installWasmKernelFixes();
    const fixedMatMul = tf.getKernel('BatchMatMul', 'wasm');
    const second = installWasmKernelFixes();
    assert.deepEqual(second, first);
    assert.equal(tf.getKernel('BatchMatMul', 'wasm'), fixedMatMul, 'a second install changes nothing');
    assert.notEqual(fixedMatMul, stockMatMul);
    assert.equal(wasmKernelFixesInstalled(), true);
    assert.deepEqual(describeWasmKernelFixes(), first);

    const names = first.map((fix) => fix.kernelName);
    for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']) {
      assert.ok(names.includes(name), `${name} is fixed`);
    }
    assert.equal(first.find((f) => f.kernelName === 'Conv2DBackpropFilter')?.kind, 'added');
    assert.equal(first.find((f) => f.kernelName === 'BatchMatMul')?.kind, 'replaced');

    uninstallWasmKernelFixes();
    assert.equal(tf.getKernel('BatchMatMul', 'wasm'), stockMatMul);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    installWasmKernelFixes();
  });

  test('fixes installed while wasm is already running take effect at once', async () => {
    // (selectBackend installs them before wasm initialises; every other test covers that order.)
    uninstallWasmKernelFixes();
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const stock = tf.matMul(a, a, true, false);
    installWasmKernelFixes();
    const fixed = tf.matMul(a, a, true, false);
    assert.deepEqual(Array.from(fixed.dataSync()), Array.from(stock.dataSync()));
    assert.deepEqual(Array.from(fixed.dataSync()), [35, 44, 44, 56]);
    tf.dispose([a, stock, fixed]);
  });
});

async function lossAndGradients(backend: 'cpu' | 'wasm', create: () => BenchModel): Promise<Float32Array[]> {
  if (backend === 'wasm') await useWasm();
  else await tf.setBackend('cpu');
  const model = create();
  const names = Object.keys(model.variables).sort();
  const out = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(model.loss);
    return [value, ...names.map((n) => grads[model.variables[n]!.name]!)];
  });
  const data = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  model.dispose();
  return data;
}

describe('a training step on wasm + fixes equals cpu', () => {
  test('LeNet (two heads, dropout, max pooling), batch 4: loss and every gradient', async () => {
    const create = () => createLeNet({ batch: 4, seed: 3 });
    const expected = await lossAndGradients('cpu', create);
    const actual = await lossAndGradients('wasm', create);
    expected.forEach((e, i) => assertClose(actual[i]!, e, 1e-4, `LeNet ${i === 0 ? 'loss' : `gradient ${i}`}`));
  });

  test('MLP (three heads), batch 16: loss and every gradient', async () => {
    const create = () => createMlp({ batch: 16, seed: 4 });
    const expected = await lossAndGradients('cpu', create);
    const actual = await lossAndGradients('wasm', create);
    expected.forEach((e, i) => assertClose(actual[i]!, e, 1e-4, `MLP ${i === 0 ? 'loss' : `gradient ${i}`}`));
  });

  test('a tf.layers conv net (fused conv, strides 2, same padding, batch norm, depthwise conv, dense): every gradient', async () => {
    const build = (weights?: tf.Tensor[]) => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [11, 10, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          tf.layers.batchNormalization(),
          tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'valid' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      if (weights) model.setWeights(weights);
      return model;
    };
    const run = async (backend: 'cpu' | 'wasm', weights?: Float32Array[], shapes?: number[][]) => {
      if (backend === 'wasm') await useWasm();
      else await tf.setBackend('cpu');
      const model = build(weights?.map((w, i) => tf.tensor(w, shapes![i])));
      const x = tf.tensor4d(Float32Array.from({ length: 5 * 11 * 10 * 2 }, (_, i) => Math.sin(i * 0.37)), [5, 11, 10, 2]);
      const y = tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0], 'int32'), 3);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
      const out = [value.dataSync() as Float32Array, ...model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array)];
      const initial = model.getWeights().map((w) => w.dataSync() as Float32Array);
      const initialShapes = model.getWeights().map((w) => w.shape);
      tf.dispose([value, x, y, ...Object.values(grads)]);
      model.layers.forEach((layer) => layer.dispose());
      return { out, initial, initialShapes };
    };
    const reference = await run('cpu');
    const actual = await run('wasm', reference.initial, reference.initialShapes);
    reference.out.forEach((e, i) => assertClose(actual.out[i]!, e, 1e-4, `layers model ${i === 0 ? 'loss' : `gradient ${i}`}`));
  });

  test('LeNet and MLP steps leak no tensors or wasm buffers', async () => {
    await useWasm();
    const models = [createLeNet({ batch: 2 }), createMlp({ batch: 4 })];
    for (const model of models) {
      const optimizer = tf.train.sgd(0.01);
      const step = () => tf.tidy(() => optimizer.applyGradients(tf.variableGrads(model.loss).grads));
      step(); // first step creates nothing persistent for SGD, but warms kernel caches
      assertNoLeak('training step', step);
      optimizer.dispose();
      model.dispose();
    }
  });
});
