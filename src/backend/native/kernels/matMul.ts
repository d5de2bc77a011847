import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from '../addon.js';
import { float32Values, makeOutput, sizeOf, type KernelArgs, type NativeKernel } from '../cpuTensors.js';
import { biasMode, fusedActivation } from './activation.js';

interface MatMulPlan {
  outShape: number[];
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

/** Shapes of a (batched) matmul as tfjs's cpu kernel computes them; null for batch broadcasts it cannot map. */
function plan(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulPlan | null {
  const ra = aShape.length, rb = bShape.length;
  if (ra < 2 || rb < 2) return null;
  const k = transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const kb = transposeB ? bShape[rb - 1]! : bShape[rb - 2]!;
  if (k !== kb) return null;  // the original kernel throws the proper error
  const m = transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const n = transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const batchA = sizeOf(aShape.slice(0, -2));
  const batchB = sizeOf(bShape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  return { outShape: [...outer, m, n], batchA, batchB, m, n, k };
}

function run(args: KernelArgs, addon: NativeAddon, fused: boolean): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const transposeA = args.attrs['transposeA'] === true;
  const transposeB = args.attrs['transposeB'] === true;
  const aValues = float32Values(args.backend, a);
  const bValues = float32Values(args.backend, b);
  if (!aValues || !bValues || !a || !b) return null;
  const p = plan(a.shape, b.shape, transposeA, transposeB);
  if (!p) return null;
  let act = 0;
  let alpha = 0;
  let mode = 0;
  let biasValues: Float32Array | null = null;
  if (fused) {
    const activation = fusedActivation(args.attrs, preluActivationWeights);
    if (activation === null) return null;
    ({ act, alpha } = activation);
    if (bias !== undefined) {
      biasValues = float32Values(args.backend, bias);
      const m = biasMode(bias.shape, p.n, p.outShape.length);
      if (!biasValues || m === null) return null;
      mode = m;
    }
  }
  return makeOutput(args.backend, p.outShape, (out) =>
    addon.matMul(aValues, bValues, out, p.batchA, p.batchB, p.m, p.n, p.k, transposeA, transposeB,
      biasValues, mode, act, alpha),
  );
}

/** `BatchMatMul` through cblas_sgemm: both transposes, batches, a batch of 1 broadcast. */
export const batchMatMulKernel: NativeKernel = {
  kernelName: 'BatchMatMul',
  run: (args, addon) => run(args, addon, false),
};

/** `_FusedMatMul` (tf.fused.matMul, used by tf.layers.dense): bias and linear/relu/relu6/leakyrelu/sigmoid fused. */
export const fusedMatMulKernel: NativeKernel = {
  kernelName: '_FusedMatMul',
  run: (args, addon) => run(args, addon, true),
};
