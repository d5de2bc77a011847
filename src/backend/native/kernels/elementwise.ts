import * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, type NativeKernel } from '../cpuTensors.js';

/** Unary op codes shared with native/kernels.h (`UnaryOp`), keyed by tfjs kernel name. */
export const UNARY_OPS: Readonly<Record<string, number>> = {
  Relu: 0,
  Step: 1,
  Neg: 2,
  Exp: 3,
  Log: 4,
  Sqrt: 5,
  Square: 6,
  Sigmoid: 7,
  Relu6: 8,
  Tanh: 9,
  Abs: 10,
  Rsqrt: 11,
};

/** Binary op codes shared with native/kernels.h (`BinaryOp`), keyed by tfjs kernel name. */
export const BINARY_OPS: Readonly<Record<string, number>> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};

function unaryKernel(kernelName: string, op: number): NativeKernel {
  return {
    kernelName,
    run(args, addon) {
      const { x } = args.inputs;
      const xValues = float32Values(args.backend, x);
      if (!x || !xValues) return null;
      const alpha = typeof args.attrs['alpha'] === 'number' ? args.attrs['alpha'] : 0;
      return makeOutput(args.backend, [...x.shape], (out) => addon.unary(op, xValues, out, out.length, alpha));
    },
  };
}

/**
 * Element strides of an input of `shape` for each dim of the broadcast output of rank
 * `outRank` (0 where the input is broadcast), as tfjs aligns shapes: from the right.
 */
export function broadcastStrides(shape: readonly number[], outRank: number): Int32Array {
  const strides = new Int32Array(outRank);
  let stride = 1;
  for (let i = shape.length - 1, o = outRank - 1; o >= 0; i--, o--) {
    const d = i >= 0 ? shape[i]! : 1;
    strides[o] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

function binaryKernel(kernelName: string, op: number): NativeKernel {
  return {
    kernelName,
    run(args, addon) {
      const { a, b } = args.inputs;
      const aValues = float32Values(args.backend, a);
      const bValues = float32Values(args.backend, b);
      if (!a || !b || !aValues || !bValues) return null;
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      if (outShape.length > 8) return null;
      return makeOutput(args.backend, outShape, (out) =>
        addon.binary(op, aValues, bValues, out, Int32Array.from(outShape),
          broadcastStrides(a.shape, outShape.length), broadcastStrides(b.shape, outShape.length)),
      );
    },
  };
}

/** Native float32 unary kernels (Relu, Step, Exp, Log, Sigmoid, ...); other dtypes use the originals. */
export const unaryKernels: NativeKernel[] = Object.entries(UNARY_OPS).map(([name, op]) => unaryKernel(name, op));

/** Native float32 binary kernels with broadcasting (Add, Sub, Multiply, RealDiv, ...). */
export const binaryKernels: NativeKernel[] = Object.entries(BINARY_OPS).map(([name, op]) => binaryKernel(name, op));
