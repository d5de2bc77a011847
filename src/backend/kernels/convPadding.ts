/**
 * Forward convolutions on wasm whose output size disagrees with tfjs's.
 *
 * tfjs sizes a convolution with a numeric `pad` from the filter HEIGHT and the
 * stride HEIGHT for both axes (`computeOutputShape2D`), and sizes explicit or
 * numeric paddings with the op's rounding mode; XNNPACK sizes the output from each
 * axis's own filter, stride and padding, rounding down. Where the two disagree the
 * stock wasm kernel allocates tfjs's output and lets XNNPACK write its own: rows
 * are left uninitialised, or XNNPACK writes past the buffer and corrupts the wasm
 * heap ("memory access out of bounds" on a later, unrelated kernel). Measured with
 * x [3,10,9,3], a 5×2 filter, strides 3 and pad 2, for Conv2D, DepthwiseConv2dNative,
 * MaxPool and AvgPool alike.
 *
 * The fix hands XNNPACK explicit paddings that make its output exactly tfjs's
 * (the cpu backend's semantics: output pixel p reads input rows from p·stride − top,
 * zeros outside): bottom = (outHeight − 1)·strideHeight + effectiveFilterHeight −
 * inHeight − top, and likewise on the right. A negative bottom or right (the last
 * input rows are never read) runs with 0 and slices the surplus output off.
 * 'same' and 'valid' already agree and pass through untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelFix, type PadAttr, type WasmKernelArgs, type WasmKernelFunc, callKernel, pair, release } from './shared.js';

/** How a kernel's geometry is computed from its inputs and attributes (conv, depthwise conv or pool). */
type GeometryOf = (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, pad: PadAttr) => tf.backend_util.Conv2DInfo;

const roundingOf = (attrs: tf.NamedAttrMap) => attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;

const convGeometry =
  (depthwise: boolean): GeometryOf =>
  (inputs, attrs, pad) =>
    tf.backend_util.computeConv2DInfo(
      inputs['x']!.shape as [number, number, number, number],
      inputs['filter']!.shape as [number, number, number, number],
      pair(attrs['strides'] as number | number[]),
      pair(attrs['dilations'] as number | number[] | undefined),
      pad,
      roundingOf(attrs),
      depthwise,
    );

const poolGeometry: GeometryOf = (inputs, attrs, pad) =>
  tf.backend_util.computePool2DInfo(
    inputs['x']!.shape as [number, number, number, number],
    pair(attrs['filterSize'] as number | number[]),
    pair(attrs['strides'] as number | number[]),
    1,
    pad,
    roundingOf(attrs),
  );

function withExactPadding(kernelName: string, geometry: GeometryOf, original: WasmKernelFunc | undefined): WasmKernelFunc {
  if (original === undefined) {
    throw new Error(`tfjs-multitask wasm kernel fixes: the stock wasm '${kernelName}' kernel is missing; cannot wrap it.`);
  }
  return (args: WasmKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const pad = attrs['pad'] as PadAttr;
    const dataFormat = (attrs['dataFormat'] as string | undefined) ?? 'NHWC';
    if (pad === 'same' || pad === 'valid' || dataFormat !== 'NHWC') return original(args);
    const info = geometry(inputs, attrs, pad);
    const { padInfo, outHeight, outWidth, strideHeight, strideWidth, inHeight, inWidth } = info;
    const { effectiveFilterHeight, effectiveFilterWidth } = info;
    const bottom = (outHeight - 1) * strideHeight + effectiveFilterHeight - inHeight - padInfo.top;
    const right = (outWidth - 1) * strideWidth + effectiveFilterWidth - inWidth - padInfo.left;
    const explicit = [
      [0, 0],
      [padInfo.top, Math.max(bottom, 0)],
      [padInfo.left, Math.max(right, 0)],
      [0, 0],
    ];
    const out = original({ inputs, backend, attrs: { ...attrs, pad: explicit, dimRoundingMode: 'floor' } });
    if (bottom >= 0 && right >= 0) return out;
    const cropped = callKernel('Slice', backend, { x: out }, { begin: [0, 0, 0, 0], size: [-1, outHeight, outWidth, -1] });
    release(backend, out);
    return cropped;
  };
}

function fix(kernelName: string, geometry: GeometryOf): KernelFix {
  return {
    kernelName,
    reason: 'numeric/explicit padding: XNNPACK and tfjs size the output differently (heap corruption); pass exact paddings',
    build: (original) => withExactPadding(kernelName, geometry, original),
  };
}

/** `Conv2D` with numeric or explicit padding: output sized exactly as tfjs sizes it. */
export const conv2dPaddingFix = fix('Conv2D', convGeometry(false));
/** `FusedConv2D` (conv + bias + activation): same fix as {@link conv2dPaddingFix}. */
export const fusedConv2dPaddingFix = fix('FusedConv2D', convGeometry(false));
/** `DepthwiseConv2dNative`: same fix as {@link conv2dPaddingFix}. */
export const depthwiseConv2dPaddingFix = fix('DepthwiseConv2dNative', convGeometry(true));
/** `FusedDepthwiseConv2D`: same fix as {@link conv2dPaddingFix}. */
export const fusedDepthwiseConv2dPaddingFix = fix('FusedDepthwiseConv2D', convGeometry(true));
/** `MaxPool` with numeric or explicit padding: same fix as {@link conv2dPaddingFix}. */
export const maxPoolPaddingFix = fix('MaxPool', poolGeometry);
/** `AvgPool` with numeric or explicit padding: same fix as {@link conv2dPaddingFix}. */
export const avgPoolPaddingFix = fix('AvgPool', poolGeometry);
