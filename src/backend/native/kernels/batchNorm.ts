import type * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, sizeOf, type NativeKernel } from '../cpuTensors.js';

/**
 * Whether a parameter of `shape` broadcasts onto `xShape` along x's trailing dims
 * (its shape, leading 1s dropped, is a suffix of x's): then repeating its values along
 * x's flat order, which is what tfjs's cpu kernel does for every shape, is the
 * broadcast. Rank-1 [channels], [1, 1, 1, channels], x's own shape and scalars qualify.
 */
export function broadcastsAlongTrailingDims(shape: readonly number[], xShape: readonly number[]): boolean {
  let first = 0;
  while (first < shape.length && shape[first] === 1) first++;
  const kept = shape.length - first;
  if (kept > xShape.length) return false;
  for (let i = 0; i < kept; i++) {
    if (shape[first + i] !== xShape[xShape.length - kept + i]) return false;
  }
  return true;
}

/** FusedBatchNorm's ε: its `varianceEpsilon` attribute, else the kernel's default 0.001 (tf.batchNorm always passes it). */
export function varianceEpsilon(attrs: tf.NamedAttrMap): number {
  return typeof attrs['varianceEpsilon'] === 'number' ? attrs['varianceEpsilon'] : 0.001;
}

/**
 * `FusedBatchNorm` (tf.batchNorm, tf.layers.batchNormalization): y = offset +
 * (x − mean)·scale/√(variance + ε) in one pass, for float32 inputs whose parameters
 * broadcast along x's trailing dims. Other cases (another dtype, a parameter such as
 * [channels, 1] that tfjs's kernel would repeat along the flat order instead of
 * broadcasting) run on the original kernel.
 */
export const batchNormKernel: NativeKernel = {
  kernelName: 'FusedBatchNorm',
  run(args, addon) {
    const { x, mean, variance, offset, scale } = args.inputs;
    const xValues = float32Values(args.backend, x);
    const meanValues = float32Values(args.backend, mean);
    const varianceValues = float32Values(args.backend, variance);
    if (!x || !mean || !variance || !xValues || !meanValues || !varianceValues) return null;
    const offsetValues = offset ? float32Values(args.backend, offset) : null;
    const scaleValues = scale ? float32Values(args.backend, scale) : null;
    if ((offset && !offsetValues) || (scale && !scaleValues)) return null;
    // tfjs's kernel asserts equal ranks; the original throws its own message.
    const params = [mean, variance, offset, scale].filter((p): p is tf.TensorInfo => p !== undefined);
    if (params.some((p) => p.shape.length !== mean.shape.length)) return null;
    if (!params.every((p) => broadcastsAlongTrailingDims(p.shape, x.shape))) return null;
    const size = sizeOf(x.shape);
    if (size > 0 && params.some((p) => sizeOf(p.shape) === 0)) return null;
    const epsilon = varianceEpsilon(args.attrs);
    return makeOutput(args.backend, [...x.shape], (out) =>
      addon.batchNorm(xValues, out, size, meanValues, sizeOf(mean.shape), varianceValues, sizeOf(variance.shape),
        offsetValues, offset ? sizeOf(offset.shape) : 0, scaleValues, scale ? sizeOf(scale.shape) : 0, epsilon),
    );
  },
};
