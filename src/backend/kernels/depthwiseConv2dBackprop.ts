/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput on
 * wasm, where both are missing (a net with a depthwise convolution cannot train).
 *
 * Both run on the host over the wasm heap, in one pass over dy per filter tap, with
 * float64 accumulation for the filter gradient. Depthwise convolutions carry few
 * multiply-adds (no sum over input channels), so a direct loop is adequate; tfjs's
 * gradient only asks for dilation 1. NHWC, channel multiplier M: output channel
 * c·M + m reads input channel c with filter [i, j, c, m].
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelFix, type PadAttr, type WasmKernelArgs, allocate, heapView, pair } from './shared.js';

function geometry(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs['dataFormat'] as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new Error(`depthwiseConv2d gradients (tfjs-multitask wasm): dataFormat '${dataFormat}' is not supported; use 'NHWC'.`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(attrs['strides'] as number | number[]),
    pair(attrs['dilations'] as number | number[] | undefined),
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
}

function backpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const info = geometry(x.shape, attrs['filterShape'] as number[], attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = outChannels / inChannels;
  const sums = new Float64Array(filterHeight * filterWidth * outChannels);
  const out = allocate(backend, [filterHeight, filterWidth, inChannels, multiplier]);
  const xs = heapView(backend, x);
  const dys = heapView(backend, dy);
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      const tap = (i * filterWidth + j) * outChannels;
      for (let b = 0; b < batchSize; b++) {
        for (let p = 0; p < outHeight; p++) {
          const row = p * strideHeight + i * dilationHeight - padInfo.top;
          if (row < 0 || row >= inHeight) continue;
          for (let q = 0; q < outWidth; q++) {
            const col = q * strideWidth + j * dilationWidth - padInfo.left;
            if (col < 0 || col >= inWidth) continue;
            const xBase = ((b * inHeight + row) * inWidth + col) * inChannels;
            const dyBase = ((b * outHeight + p) * outWidth + q) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = xs[xBase + c]!;
              for (let m = 0; m < multiplier; m++) {
                const k = c * multiplier + m;
                sums[tap + k] += xv * dys[dyBase + k]!;
              }
            }
          }
        }
      }
    }
  }
  heapView(backend, out).set(sums);
  return out;
}

function backpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const info = geometry(attrs['inputShape'] as number[], filter.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = outChannels / inChannels;
  const out = allocate(backend, [batchSize, inHeight, inWidth, inChannels]);
  const dx = heapView(backend, out);
  const dys = heapView(backend, dy);
  const ws = heapView(backend, filter);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let p = 0; p < outHeight; p++) {
      for (let q = 0; q < outWidth; q++) {
        const dyBase = ((b * outHeight + p) * outWidth + q) * outChannels;
        for (let i = 0; i < filterHeight; i++) {
          const row = p * strideHeight + i * dilationHeight - padInfo.top;
          if (row < 0 || row >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const col = q * strideWidth + j * dilationWidth - padInfo.left;
            if (col < 0 || col >= inWidth) continue;
            const dxBase = ((b * inHeight + row) * inWidth + col) * inChannels;
            const wBase = (i * filterWidth + j) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let sum = 0;
              for (let m = 0; m < multiplier; m++) {
                const k = c * multiplier + m;
                sum += dys[dyBase + k]! * ws[wBase + k]!;
              }
              dx[dxBase + c] += sum;
            }
          }
        }
      }
    }
  }
  return out;
}

/** `DepthwiseConv2dNativeBackpropFilter`: added (missing on wasm), a host loop over dy per filter tap. */
export const depthwiseConv2dBackpropFilterFix: KernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  reason: 'missing on wasm (depthwise convs could not train); a host loop',
  build: () => backpropFilter,
};

/** `DepthwiseConv2dNativeBackpropInput`: added (missing on wasm), a host loop over dy. */
export const depthwiseConv2dBackpropInputFix: KernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  reason: 'missing on wasm (depthwise convs could not train); a host loop',
  build: () => backpropInput,
};
