/**
 * The sum of each of several tensors, read straight off the cpu backend by the native
 * addon: what the divergence check after every training step needs (is any gradient
 * non-finite?), without one engine call per gradient. A step of an MMoE with 28
 * variables ran 28 `Sum` kernels, a `Pack` and a download for it; here it is 28 calls of
 * the addon's reduction (the very loop the native `Sum` kernel runs, so the same float),
 * with no tensor made. Browser-safe: it imports no Node module, and answers null (the
 * caller runs the ops) where the native path is not installed.
 */
import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { float32Values, type CpuBackend } from './cpuTensors.js';

/** The addon's reduction operation code for a sum (native/kernels.h). */
const SUM = 0;

let addon: NativeAddon | null = null;

/** Turns the direct sums on (with the native path's addon) or off (null). */
export function useNativeTensorSums(nativeAddon: NativeAddon | null): void {
  addon = nativeAddon;
}

/**
 * Σ of every element of each tensor, in float32 (accumulated in double, as the native
 * `Sum` kernel does), or null when the native path is off, the backend is not 'cpu', or
 * a tensor is not float32 data the cpu backend holds.
 */
export function nativeTensorSums(tensors: readonly tf.Tensor[]): Float32Array | null {
  if (addon === null || tf.getBackend() !== 'cpu') return null;
  const backend = tf.backend() as unknown as CpuBackend;
  const arrays: Float32Array[] = [];
  for (const t of tensors) {
    if (t.isDisposed) return null;
    const values = float32Values(backend, t);
    if (values === null || values.length !== t.size) return null;
    arrays.push(values);
  }
  const sums = new Float32Array(arrays.length);
  const one = new Float32Array(1);
  const flags = Int32Array.of(1);
  arrays.forEach((values, i) => {
    if (values.length === 0) return;
    addon!.reduce(SUM, values, one, Int32Array.of(values.length), flags);
    sums[i] = one[0]!;
  });
  return sums;
}
