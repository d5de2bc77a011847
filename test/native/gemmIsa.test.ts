import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { compareKernel, installNative, randomTensor, skipNative } from './helpers.js';

/**
 * The addon's GEMM on every path this machine can run: the own kernels for each
 * instruction set the CPU has (AVX-512, AVX2+FMA, portable) and OpenBLAS where the
 * build has it, each against tfjs's stock cpu kernels on shapes that hit the packed
 * kernel's edges: 1×1, primes, sizes one off the register tiles (6/8/12/16/32), depths
 * across several packed blocks (256), outputs across several B blocks (2,048 columns),
 * both transposes, zero sizes, batches, fused bias and activation, narrow products
 * (at most 4 columns or rows), and convolutions (direct and im2col).
 */
const load = loadAddon();
const addon = load.ok ? load.addon : null;
const info = addon?.info();
const paths: Array<{ isa: string | null; gemm: string }> = [];
for (const isa of info?.isasUsable?.split(',') ?? []) paths.push({ isa, gemm: 'own' });
if (info?.blas) paths.push({ isa: null, gemm: 'openblas' });

const sizes: Array<[number, number, number]> = [
  [1, 1, 1], [7, 11, 13], [13, 17, 19], [5, 300, 3], [6, 8, 16], [11, 31, 33], [12, 257, 32],
  [25, 20, 49], [3, 513, 7], [97, 5, 2049],
];

describe('the GEMM on each instruction set and BLAS vs stock cpu', { skip: skipNative || !addon?.setGemm }, () => {
  before(installNative);
  after(() => {
    // Back to what the addon picked at load time.
    addon!.setGemm!(info!.isa ?? null, info!.gemm ?? null);
  });

  test('every path this build holds reports itself, and bad requests change nothing', () => {
    assert.ok(info!.isasCompiled!.split(',').includes('portable'), 'the portable kernels are always built');
    assert.ok(info!.isasUsable!.split(',').includes(info!.isa!), 'the ISA in use runs on this CPU');
    assert.equal(addon!.setGemm!('sse9', null), false);
    assert.equal(addon!.setGemm!(null, 'mkl'), false);
    assert.equal(addon!.info().isa, info!.isa);
    assert.equal(addon!.info().gemm, info!.gemm);
    if (!info!.blas) assert.equal(addon!.setGemm!(null, 'openblas'), false, 'no OpenBLAS in this build');
  });

  test('MTL_NATIVE_ISA picks the instruction set at load time; one the CPU lacks falls back to the best', () => {
    const isaWith = (value: string) => {
      const child = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(load.ok ? load.path : '')}).info().isa)`], {
        env: { ...process.env, MTL_NATIVE_ISA: value }, encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      return child.stdout.trim();
    };
    const usable = info!.isasUsable!.split(',');
    for (const isa of usable) assert.equal(isaWith(isa), isa);
    assert.equal(isaWith('not-an-isa'), usable[0], 'the best usable one (the list is best first)');
  });

  for (const path of paths) {
    const name = path.gemm === 'own' ? `own ${path.isa}` : 'OpenBLAS';
    describe(name, () => {
      before(() => assert.ok(addon!.setGemm!(path.isa, path.gemm), `setGemm(${path.isa}, ${path.gemm})`));
      // The thin-product shortcut would take some shapes away from the GEMM.
      before(() => addon!.setThinMatMul(false));
      after(() => addon!.setThinMatMul(info!.thinMatMul));

      let seed = 1;
      for (const [m, k, n] of sizes) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            test(`${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
              const s = seed++;
              await compareKernel('BatchMatMul', () => ({
                a: randomTensor(transposeA ? [k, m] : [m, k], s),
                b: randomTensor(transposeB ? [n, k] : [k, n], s + 100),
              }), { transposeA, transposeB }, `${name} matmul`, 2e-5);
            });
          }
        }
      }

      test('zero sizes: m = 0, n = 0, k = 0', async () => {
        for (const [a, b] of [[[0, 4], [4, 3]], [[5, 4], [4, 0]], [[5, 0], [0, 3]]] as const) {
          await compareKernel('BatchMatMul', () => ({ a: randomTensor([...a], 1), b: randomTensor([...b], 2) }),
            { transposeA: false, transposeB: false }, `${name} [${a}]x[${b}]`);
        }
      });

      test('batched, with a broadcast batch', async () => {
        await compareKernel('BatchMatMul', () => ({ a: randomTensor([5, 13, 29], 3), b: randomTensor([1, 29, 17], 4) }),
          { transposeA: false, transposeB: false }, `${name} batched`, 2e-5);
        await compareKernel('BatchMatMul', () => ({ a: randomTensor([3, 29, 13], 5), b: randomTensor([3, 17, 29], 6) }),
          { transposeA: true, transposeB: true }, `${name} batched, both transposed`, 2e-5);
      });

      test('narrow products (at most 4 columns or rows of C): both forms, every transpose, depths across packed blocks, fused bias', async () => {
        let s = 300;
        for (const [m, k, n] of [[256, 256, 3], [257, 33, 1], [5, 300, 4], [3, 2100, 2], [1, 17, 1], [4, 5, 1000], [2, 4099, 37], [130, 16, 2]]) {
          for (const transposeA of [false, true]) {
            for (const transposeB of [false, true]) {
              const sa = s++, sb = s++;
              await compareKernel('BatchMatMul', () => ({
                a: randomTensor(transposeA ? [k!, m!] : [m!, k!], sa),
                b: randomTensor(transposeB ? [n!, k!] : [k!, n!], sb),
              }), { transposeA, transposeB }, `${name} narrow ${m}x${k}x${n} tA=${transposeA} tB=${transposeB}`, 2e-5);
            }
          }
          const sa = s++, sb = s++, sc = s++;
          await compareKernel('_FusedMatMul', () => ({ a: randomTensor([m!, k!], sa), b: randomTensor([k!, n!], sb), bias: randomTensor([n!], sc) }),
            { transposeA: false, transposeB: false, activation: 'relu' }, `${name} narrow ${m}x${k}x${n} bias + relu`, 2e-5);
        }
      });

      test('fused bias and activations', async () => {
        for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid']) {
          await compareKernel('_FusedMatMul', () => ({
            a: randomTensor([37, 23], 7), b: randomTensor([23, 41], 8), bias: randomTensor([41], 9),
          }), { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.1 }, `${name} ${activation}`, 2e-5);
        }
      });

      test('direct convolutions (at most 32 output channels): channel counts across vector boundaries, clipped windows, strides, many row blocks', async () => {
        let s = 20;
        for (const oc of [1, 3, 7, 8, 9, 15, 16, 17, 20, 24, 31, 32, 33]) {
          for (const [x, w, strides, pad] of [
            [[2, 13, 11, 3], [3, 4, 3, oc], 1, 'valid'],
            [[3, 9, 10, 2], [5, 3, 2, oc], [2, 1], 'same'],
          ] as Array<[number[], number[], number | number[], string]>) {
            const conv = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
            const what = `${name} conv x=[${x}] w=[${w}] strides=${JSON.stringify(strides)} ${pad}`;
            await compareKernel('Conv2D', () => ({ x: randomTensor(x, s++), filter: randomTensor(w, s++) }), conv, what, 2e-5);
            await compareKernel('FusedConv2D', () => ({ x: randomTensor(x, s++), filter: randomTensor(w, s++), bias: randomTensor([oc], s++) }),
              { ...conv, activation: 'relu' }, `${what} bias + relu`, 2e-5);
            const dyShape = tf.tidy(() => tf.conv2d(tf.zeros<tf.Rank>(x) as tf.Tensor4D, tf.zeros<tf.Rank>(w) as tf.Tensor4D, strides as number, pad as 'same').shape);
            await compareKernel('Conv2DBackpropFilter', () => ({ x: randomTensor(x, s++), dy: randomTensor(dyShape, s++) }),
              { ...conv, filterShape: w }, `${what} dw`, 5e-5);
          }
        }
        // Thousands of output rows: many 128-row blocks and several parts per thread.
        const x = [9, 20, 20, 2], w = [3, 3, 2, 10];
        const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
        await compareKernel('Conv2D', () => ({ x: randomTensor(x, s++), filter: randomTensor(w, s++) }), conv, `${name} large conv`, 2e-5);
        await compareKernel('Conv2DBackpropFilter', () => ({ x: randomTensor(x, s++), dy: randomTensor([9, 20, 20, 10], s++) }),
          { ...conv, filterShape: w }, `${name} large conv dw`, 5e-5);
      });

      test('convolutions and both gradients (im2col GEMMs above 32 output channels; direct below)', async () => {
        for (const w of [[3, 5, 5, 7], [3, 5, 5, 40]]) {
          const x = [3, 11, 13, 5];
          const conv = { strides: [2, 1], pad: 'same', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
          await compareKernel('Conv2D', () => ({ x: randomTensor(x, 10), filter: randomTensor(w, 11) }), conv, `${name} conv2d [${w}]`, 2e-5);
          const dyShape = tf.tidy(() => tf.conv2d(tf.zeros<tf.Rank>(x) as tf.Tensor4D, tf.zeros<tf.Rank>(w) as tf.Tensor4D, [2, 1], 'same').shape);
          await compareKernel('Conv2DBackpropInput', () => ({ dy: randomTensor(dyShape, 12), filter: randomTensor(w, 13) }),
            { ...conv, inputShape: x }, `${name} conv2d dx [${w}]`, 2e-5);
          await compareKernel('Conv2DBackpropFilter', () => ({ x: randomTensor(x, 14), dy: randomTensor(dyShape, 15) }),
            { ...conv, filterShape: w }, `${name} conv2d dw [${w}]`, 2e-5);
        }
      });
    });
  }
});
