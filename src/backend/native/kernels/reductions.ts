import * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, type KernelArgs, type NativeKernel } from '../cpuTensors.js';

function reduceKernel(kernelName: string, op: number, axisAttr: string): NativeKernel {
  return {
    kernelName,
    run(args: KernelArgs, addon) {
      const { x } = args.inputs;
      const xValues = float32Values(args.backend, x);
      if (!x || !xValues || x.shape.length > 8) return null;
      const axes = tf.util.parseAxisParam(args.attrs[axisAttr] as number | number[], x.shape);
      const flags = new Int32Array(x.shape.length);
      for (const axis of axes) flags[axis] = 1;
      const kept = x.shape.filter((_, i) => flags[i] === 0);
      const outShape = args.attrs['keepDims'] === true ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
      return makeOutput(args.backend, outShape, (out) =>
        addon.reduce(op, xValues, out, Int32Array.from(x.shape), flags),
      );
    },
  };
}

/** `Sum` over any axes of a float32 tensor (double accumulation, like tfjs). */
export const sumKernel: NativeKernel = reduceKernel('Sum', 0, 'axis');

/**
 * `Mean` over any axes: the native sum, then one scaling pass. (tfjs's cpu Mean
 * transposes the reduced axes to the end first: 25 ms for a batch-norm's moments
 * over a [256, 24, 24, 10] map, against well under 1 ms here.)
 */
export const meanKernel: NativeKernel = {
  kernelName: 'Mean',
  run(args: KernelArgs, addon) {
    const { x } = args.inputs;
    const xValues = float32Values(args.backend, x);
    if (!x || !xValues || x.shape.length > 8) return null;
    const axes = tf.util.parseAxisParam(args.attrs['axis'] as number | number[], x.shape);
    const flags = new Int32Array(x.shape.length);
    for (const axis of axes) flags[axis] = 1;
    const kept = x.shape.filter((_, i) => flags[i] === 0);
    const count = x.shape.reduce((n, d, i) => (flags[i] === 1 ? n * d : n), 1);
    const outShape = args.attrs['keepDims'] === true ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
    return makeOutput(args.backend, outShape, (out) => {
      addon.reduce(0, xValues, out, Int32Array.from(x.shape), flags);
      // Like tfjs: the sum divided by the count; a mean over an empty axis is 0.
      if (count === 0) out.fill(0);
      else for (let i = 0; i < out.length; i++) out[i] = out[i]! / count;
    });
  },
};

/** `Max` over any axes of a float32 tensor (NaN propagates, like tfjs). */
export const maxKernel: NativeKernel = reduceKernel('Max', 1, 'reductionIndices');

/** `Softmax` over the last dim. */
export const softmaxKernel: NativeKernel = {
  kernelName: 'Softmax',
  run(args, addon) {
    const { logits } = args.inputs;
    const values = float32Values(args.backend, logits);
    if (!logits || !values || logits.shape.length === 0) return null;
    const dim = args.attrs['dim'];
    if (dim !== -1 && dim !== logits.shape.length - 1) return null;
    const cols = logits.shape[logits.shape.length - 1]!;
    return makeOutput(args.backend, [...logits.shape], (out) =>
      addon.softmax(values, out, cols === 0 ? 0 : out.length / cols, cols),
    );
  },
};

/** `AddN` (gradient accumulation) over float32 tensors of one shape. */
export const addNKernel: NativeKernel = {
  kernelName: 'AddN',
  run(args, addon) {
    const tensors = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined);
    if (tensors.length === 0) return null;
    const shape = tensors[0]!.shape;
    const arrays: Float32Array[] = [];
    for (const t of tensors) {
      const values = float32Values(args.backend, t);
      if (!values || !tf.util.arraysEqual(t.shape, shape)) return null;
      arrays.push(values);
    }
    return makeOutput(args.backend, [...shape], (out) => addon.addN(arrays, out, out.length));
  },
};
