import * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, type NativeKernel } from '../cpuTensors.js';
import { convGeometry } from './conv2d.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

function poolInfo(xShape: number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number], 1, attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/** `MaxPool` (NHWC, any window, stride and padding). */
export const maxPoolKernel: NativeKernel = {
  kernelName: 'MaxPool',
  run(args, addon) {
    const { x } = args.inputs;
    const xValues = float32Values(args.backend, x);
    if (!x || !xValues || x.shape.length !== 4) return null;
    const info = poolInfo(x.shape, args.attrs);
    const geometry = convGeometry(info);
    return makeOutput(args.backend, [...info.outShape], (out) => addon.maxPool(xValues, out, geometry));
  },
};

/** `MaxPoolGrad`: routes each dy value to its window's first maximum, as tfjs does. */
export const maxPoolGradKernel: NativeKernel = {
  kernelName: 'MaxPoolGrad',
  run(args, addon) {
    const { dy, input } = args.inputs;
    const dyValues = float32Values(args.backend, dy);
    const xValues = float32Values(args.backend, input);
    if (!dy || !input || !dyValues || !xValues || input.shape.length !== 4) return null;
    const info = poolInfo(input.shape, args.attrs);
    const geometry = convGeometry(info);
    return makeOutput(args.backend, [...input.shape], (out) => addon.maxPoolGrad(dyValues, xValues, out, geometry));
  },
};
