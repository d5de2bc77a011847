/**
 * Conv2DBackpropInput on wasm (the stock kernel is a naive C++ loop).
 *
 * The input gradient is a "full" forward convolution of dy with the flipped,
 * channel-swapped filter, which the wasm Conv2D kernel runs in XNNPACK. With
 * dy: [N,OH,OW,Co], W: [fh,fw,Ci,Co], stride s and forward padding (top, left):
 *
 *   dx = conv2d(dilate(dy, s), transpose(reverse(W,[0,1]),[0,1,3,2]),
 *               strides 1, pad (fh−1−top, bottom′, fw−1−left, right′))
 *
 * where dilate inserts s−1 zeros between rows and columns of dy, and bottom′/right′
 * make the output exactly H × W. Stride 1 with non-negative mirrored padding passes
 * the padding to the convolution (no copy). Otherwise dy is dilated and padded (or
 * cropped, for a negative mirrored padding) in one pass on the host, straight into
 * wasm memory, and convolved with 'valid' padding.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type KernelFix,
  type PadAttr,
  type WasmKernelArgs,
  type WasmKernelFunc,
  allocate,
  callKernel,
  heapView,
  pair,
  release,
  transpose,
} from './shared.js';

/**
 * dy [N,OH,OW,C] dilated by the strides and padded by (top, bottom, left, right),
 * each of which may be negative (crop), into a new [N, Hp, Wp, C] tensor.
 */
function dilateAndPad(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  strideHeight: number,
  strideWidth: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.TensorInfo {
  const [n, outHeight, outWidth, channels] = dy.shape as [number, number, number, number];
  const height = top + (outHeight - 1) * strideHeight + 1 + bottom;
  const width = left + (outWidth - 1) * strideWidth + 1 + right;
  const out = allocate(backend, [n, height, width, channels]);
  const dst = heapView(backend, out);
  const src = heapView(backend, dy);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < outHeight; p++) {
      const row = top + p * strideHeight;
      if (row < 0 || row >= height) continue;
      for (let q = 0; q < outWidth; q++) {
        const col = left + q * strideWidth;
        if (col < 0 || col >= width) continue;
        const s = ((b * outHeight + p) * outWidth + q) * channels;
        const d = ((b * height + row) * width + col) * channels;
        for (let c = 0; c < channels; c++) dst[d + c] = src[s + c]!;
      }
    }
  }
  return out;
}

function conv2dBackpropInput(args: WasmKernelArgs, original: WasmKernelFunc | undefined): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const dataFormat = (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    if (original !== undefined) return original(args);
    throw new Error(`Conv2DBackpropInput (tfjs-multitask wasm): dataFormat '${dataFormat}' is not supported; use 'NHWC'.`);
  }
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    pair(attrs['strides'] as number | number[]),
    1,
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  const top = filterHeight - 1 - padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  const dilatedHeight = (outHeight - 1) * strideHeight + 1;
  const dilatedWidth = (outWidth - 1) * strideWidth + 1;
  const bottom = inHeight + filterHeight - 1 - dilatedHeight - top;
  const right = inWidth + filterWidth - 1 - dilatedWidth - left;

  const flipped = callKernel('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const swapped = transpose(backend, flipped, [0, 1, 3, 2]); // [fh, fw, Co, Ci]
  release(backend, flipped);

  const direct = strideHeight === 1 && strideWidth === 1 && Math.min(top, bottom, left, right) >= 0;
  const source = direct ? dy : dilateAndPad(backend, dy, strideHeight, strideWidth, top, bottom, left, right);
  const dx = callKernel(
    'Conv2D',
    backend,
    { x: source, filter: swapped },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: direct
        ? [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ]
        : 'valid',
      dataFormat: 'NHWC',
      dimRoundingMode: 'floor',
    },
  );
  release(backend, swapped);
  if (!direct) release(backend, source);
  return dx;
}

/** `Conv2DBackpropInput`: replaces wasm's naive loop with an XNNPACK forward convolution. */
export const conv2dBackpropInputFix: KernelFix = {
  kernelName: 'Conv2DBackpropInput',
  reason: 'stock wasm kernel is a naive loop; a full forward conv with the flipped filter',
  build: (original) => (args) => conv2dBackpropInput(args, original),
};
