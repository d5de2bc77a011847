import * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, type KernelArgs, type NativeKernel } from '../cpuTensors.js';
import { fusedActivation } from './activation.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The addon's 15-int geometry for a tfjs Conv2DInfo (see NativeAddon). */
export function convGeometry(info: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  );
}

/** Whether the attrs describe the NHWC layout the addon implements. */
function isChannelsLast(attrs: tf.NamedAttrMap): boolean {
  const format = attrs['dataFormat'];
  return format === undefined || format === 'NHWC' || format === 'channelsLast';
}

function convInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dilations: number | [number, number]) {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4, filterShape as Shape4, attrs['strides'] as number | [number, number], dilations,
    attrs['pad'] as Pad, attrs['dimRoundingMode'] as Rounding, false, 'channelsLast',
  );
}

function runConv(args: KernelArgs, addon: Parameters<NativeKernel['run']>[1], fused: boolean): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const xValues = float32Values(args.backend, x);
  const wValues = float32Values(args.backend, filter);
  if (!x || !filter || !xValues || !wValues || !isChannelsLast(args.attrs)) return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const info = convInfo(x.shape, filter.shape, args.attrs, (args.attrs['dilations'] ?? 1) as number | [number, number]);
  let act = 0;
  let alpha = 0;
  let biasValues: Float32Array | null = null;
  if (fused) {
    const activation = fusedActivation(args.attrs, preluActivationWeights);
    if (activation === null) return null;
    ({ act, alpha } = activation);
    if (bias !== undefined) {
      biasValues = float32Values(args.backend, bias);
      if (!biasValues) return null;
      if (biasValues.length === 1 && info.outChannels !== 1) {
        biasValues = new Float32Array(info.outChannels).fill(biasValues[0]!);
      } else if (biasValues.length !== info.outChannels || bias.shape.length > 4) {
        return null;
      }
    }
  }
  const geometry = convGeometry(info);
  return makeOutput(args.backend, [...info.outShape], (out) =>
    addon.conv2d(xValues, wValues, out, geometry, biasValues, act, alpha),
  );
}

/** `Conv2D` (NHWC, any stride, padding same/valid/explicit, any dilation) via im2col + sgemm. */
export const conv2dKernel: NativeKernel = {
  kernelName: 'Conv2D',
  run: (args, addon) => runConv(args, addon, false),
};

/** `FusedConv2D` (tf.fused.conv2d, used by tf.layers.conv2d): per-channel bias and activation fused. */
export const fusedConv2dKernel: NativeKernel = {
  kernelName: 'FusedConv2D',
  run: (args, addon) => runConv(args, addon, true),
};

/** `Conv2DBackpropInput` (gradient of conv2d for its input) via sgemm + col2im. */
export const conv2dBackpropInputKernel: NativeKernel = {
  kernelName: 'Conv2DBackpropInput',
  run(args, addon) {
    const { dy, filter } = args.inputs;
    const dyValues = float32Values(args.backend, dy);
    const wValues = float32Values(args.backend, filter);
    const inputShape = args.attrs['inputShape'] as number[] | undefined;
    if (!dy || !filter || !dyValues || !wValues || !inputShape || !isChannelsLast(args.attrs)) return null;
    if (inputShape.length !== 4 || filter.shape.length !== 4) return null;
    const info = convInfo(inputShape, filter.shape, args.attrs, 1);
    const geometry = convGeometry(info);
    return makeOutput(args.backend, [...inputShape], (out) =>
      addon.conv2dBackpropInput(dyValues, wValues, out, geometry),
    );
  },
};

/** `Conv2DBackpropFilter` (gradient of conv2d for its filter) via im2col + sgemm. */
export const conv2dBackpropFilterKernel: NativeKernel = {
  kernelName: 'Conv2DBackpropFilter',
  run(args, addon) {
    const { x, dy } = args.inputs;
    const xValues = float32Values(args.backend, x);
    const dyValues = float32Values(args.backend, dy);
    const filterShape = args.attrs['filterShape'] as number[] | undefined;
    if (!x || !dy || !xValues || !dyValues || !filterShape || !isChannelsLast(args.attrs)) return null;
    if (x.shape.length !== 4 || filterShape.length !== 4) return null;
    const info = convInfo(x.shape, filterShape, args.attrs, 1);
    const geometry = convGeometry(info);
    return makeOutput(args.backend, [...filterShape], (out) =>
      addon.conv2dBackpropFilter(xValues, dyValues, out, geometry),
    );
  },
};
