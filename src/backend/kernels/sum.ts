/**
 * Sum over leading axes on wasm (the bias gradient of every conv and dense layer:
 * dy [N,H,W,C] summed over N, H, W).
 *
 * The stock wasm Sum reduces innermost axes only, so it first transposes the whole
 * tensor to move the reduced axes last, then reduces. Summing leading axes needs no
 * transpose: one sequential pass that adds each row into float64 accumulators (also
 * more accurate than a float32 running sum). Other reductions go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { type KernelFix, type WasmKernelArgs, type WasmKernelFunc, allocate, heapView } from './shared.js';

function leadingAxesSum(original: WasmKernelFunc | undefined): WasmKernelFunc {
  if (original === undefined) {
    throw new Error("tfjs-multitask wasm kernel fixes: the stock wasm 'Sum' kernel is missing; cannot wrap it.");
  }
  return (args: WasmKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const x = inputs['x']!;
    if (x.dtype !== 'float32' || x.shape.length < 2) return original(args);
    const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape).sort((a, b) => a - b);
    const count = axes.length;
    if (count === 0 || count >= x.shape.length || axes.some((axis, i) => axis !== i)) return original(args);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, count));
    const inner = tf.util.sizeFromShape(x.shape.slice(count));
    if (outer < 2) return original(args);
    const outShape = attrs['keepDims'] === true ? x.shape.map((d, i) => (i < count ? 1 : d)) : x.shape.slice(count);
    const out = allocate(backend, outShape);
    const values = heapView(backend, x);
    const sums = new Float64Array(inner);
    for (let row = 0, base = 0; row < outer; row++, base += inner) {
      for (let j = 0; j < inner; j++) sums[j] += values[base + j]!;
    }
    heapView(backend, out).set(sums);
    return out;
  };
}

/** `Sum` over leading axes: one pass on the host instead of a full transpose and a reduction. */
export const sumFix: KernelFix = {
  kernelName: 'Sum',
  reason: 'stock wasm transposes the whole tensor to reduce leading axes (bias gradients); one host pass',
  build: leadingAxesSum,
};
