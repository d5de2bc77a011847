import type * as tf from '@tensorflow/tfjs';

import { FUSED_ADAM_KERNEL, FUSED_SGD_KERNEL, type FusedAdamAttrs, type FusedSgdAttrs } from '../../../training/optimizers/fusedUpdates.js';
import type { NativeAddon } from '../addon.js';
import { float32Values, makeOutput, sizeOf, type CpuBackend } from '../cpuTensors.js';

/** A kernel the native path adds to the cpu backend (it replaces nothing): one output, or several as an array. */
export interface NativeAddedKernel {
  kernelName: string;
  run(args: { inputs: tf.NamedTensorInfoMap; backend: CpuBackend; attrs: tf.NamedAttrMap }, addon: NativeAddon): tf.TensorInfo | tf.TensorInfo[];
}

function values(backend: CpuBackend, inputs: tf.NamedTensorInfoMap, name: string, kernel: string, size: number): Float32Array {
  const t = inputs[name];
  const v = float32Values(backend, t);
  if (!t || !v || v.length !== size) {
    throw new Error(`${kernel}: input '${name}' must be a float32 tensor of ${size} values on the cpu backend, found ${t ? `${t.dtype} [${t.shape.join(', ')}]` : 'nothing'}`);
  }
  return v;
}

/** One-pass Adam/AdamW update ({@link FusedAdamAttrs}). */
export const adamUpdateKernel: NativeAddedKernel = {
  kernelName: FUSED_ADAM_KERNEL,
  run({ inputs, backend, attrs }, addon) {
    const shape = [...inputs['variable']!.shape];
    const n = sizeOf(shape);
    const theta = values(backend, inputs, 'variable', FUSED_ADAM_KERNEL, n);
    const grad = values(backend, inputs, 'gradient', FUSED_ADAM_KERNEL, n);
    const m = values(backend, inputs, 'm', FUSED_ADAM_KERNEL, n);
    const v = values(backend, inputs, 'v', FUSED_ADAM_KERNEL, n);
    const a = attrs as unknown as FusedAdamAttrs;
    const params = Float32Array.of(a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.stepSize, a.epsilonHat, a.weightDecay, a.decayFactor);
    let mOut!: Float32Array;
    let vOut!: Float32Array;
    const mInfo = makeOutput(backend, shape, (out) => (mOut = out));
    const vInfo = makeOutput(backend, shape, (out) => (vOut = out));
    const thetaInfo = makeOutput(backend, shape, (thetaOut) => addon.adamUpdate(theta, grad, m, v, thetaOut, mOut, vOut, n, params));
    return [thetaInfo, mInfo, vInfo];
  },
};

/** One-pass SGD update with optional (Nesterov) momentum ({@link FusedSgdAttrs}). */
export const sgdUpdateKernel: NativeAddedKernel = {
  kernelName: FUSED_SGD_KERNEL,
  run({ inputs, backend, attrs }, addon) {
    const shape = [...inputs['variable']!.shape];
    const n = sizeOf(shape);
    const theta = values(backend, inputs, 'variable', FUSED_SGD_KERNEL, n);
    const grad = values(backend, inputs, 'gradient', FUSED_SGD_KERNEL, n);
    const a = attrs as unknown as FusedSgdAttrs;
    if (a.momentum > 0) {
      const buffer = values(backend, inputs, 'buffer', FUSED_SGD_KERNEL, n);
      let bufferOut!: Float32Array;
      const bufferInfo = makeOutput(backend, shape, (out) => (bufferOut = out));
      const thetaInfo = makeOutput(backend, shape, (thetaOut) =>
        addon.sgdUpdate(theta, grad, buffer, thetaOut, bufferOut, n, a.learningRate, a.weightDecay, a.momentum, a.nesterov, a.firstStep),
      );
      return [thetaInfo, bufferInfo];
    }
    return [makeOutput(backend, shape, (thetaOut) => addon.sgdUpdate(theta, grad, null, thetaOut, null, n, a.learningRate, a.weightDecay, 0, false, a.firstStep))];
  },
};

/** Kernels the native path adds to the cpu backend (the fused dense layer lives in ../fusedDense.ts). */
export const NATIVE_ADDED_KERNELS: readonly NativeAddedKernel[] = [adamUpdateKernel, sgdUpdateKernel];
