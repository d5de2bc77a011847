/**
 * Conv2DBackpropFilter on wasm (the stock wasm backend has none, so conv nets
 * cannot train there at all).
 *
 * The filter gradient is a forward convolution of transposed operands, which the
 * wasm Conv2D kernel runs in XNNPACK. With x: [N,H,W,Ci], dy: [N,OH,OW,Co], stride
 * s and padding (top, left):
 *
 *   dW[i,j,c,o] = Σ_{n,p,q} x[n, p·s + i − top, q·s + j − left, c] · dy[n,p,q,o]
 *
 * Reading c as the batch, (i,j) as the output pixel, n as the input channel and
 * (p,q) as a filter tap with dilation s, this is
 *
 *   dW = transpose(conv2d(transpose(x,[3,1,2,0]), transpose(dy,[1,2,0,3]),
 *                         strides 1, dilations s, pad (top, bottom′, left, right′)),
 *                  [1,2,0,3])
 *
 * where bottom′/right′ make the output exactly filterHeight × filterWidth. When the
 * forward convolution never read the last rows of x (bottom′ < 0), the
 * convolution runs with 0 and the surplus output rows are sliced off.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type KernelFix,
  type PadAttr,
  type WasmKernelArgs,
  type WasmKernelFunc,
  callKernel,
  pair,
  release,
  transpose,
} from './shared.js';

function conv2dBackpropFilter(args: WasmKernelArgs, original: WasmKernelFunc | undefined): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const dataFormat = (attrs['dataFormat'] as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    if (original !== undefined) return original(args);
    throw new Error(
      `Conv2DBackpropFilter (tfjs-multitask wasm): dataFormat '${dataFormat}' is not supported; use 'NHWC' (channelsLast), as the wasm Conv2D requires.`,
    );
  }
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    pair(attrs['strides'] as number | number[]),
    1,
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  // Output height of the dilated conv: inHeight + top + bottom − (outHeight − 1)·strideHeight = filterHeight.
  const bottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top;
  const right = filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left;

  const xT = transpose(backend, x, [3, 1, 2, 0]); // [Ci, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const raw = callKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      dilations: [strideHeight, strideWidth],
      pad: [
        [0, 0],
        [padInfo.top, Math.max(bottom, 0)],
        [padInfo.left, Math.max(right, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dimRoundingMode: 'floor',
    },
  ); // [Ci, filterHeight + max(0, −bottom), filterWidth + max(0, −right), Co]
  release(backend, xT, dyT);
  let cropped = raw;
  if (bottom < 0 || right < 0) {
    cropped = callKernel('Slice', backend, { x: raw }, { begin: [0, 0, 0, 0], size: [-1, filterHeight, filterWidth, -1] });
    release(backend, raw);
  }
  const dW = transpose(backend, cropped, [1, 2, 0, 3]);
  release(backend, cropped);
  return dW;
}

/** `Conv2DBackpropFilter`: added (missing on wasm) as an XNNPACK forward convolution. */
export const conv2dBackpropFilterFix: KernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  reason: 'missing on wasm (conv nets could not train); a forward conv of transposed operands',
  build: (original) => (args) => conv2dBackpropFilter(args, original),
};
