import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import type { BufferPool } from './bufferPool.js';

/** The part of tfjs's `MathBackendCPU` the native kernels use. */
export interface CpuBackend {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** What a kernel function receives from the tfjs engine. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: CpuBackend;
  attrs: tf.NamedAttrMap;
}

/**
 * A native implementation of one tfjs kernel. `run` returns null when it does not
 * handle the case (dtype, layout, attribute), and the original cpu kernel runs instead.
 */
export interface NativeKernel {
  /** The tfjs kernel name, e.g. `BatchMatMul`. */
  kernelName: string;
  run(args: KernelArgs, addon: NativeAddon): tf.TensorInfo | tf.TensorInfo[] | null;
}

/** The float32 values the cpu backend holds for `t`, or null if `t` is not a float32 Float32Array. */
export function float32Values(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/**
 * The values of a float32 tensor as a Float32Array: the cpu backend's own array, or a
 * converted copy where it holds another typed array for a float32 tensor (tf.cast of a
 * bool or int32 tensor can keep the source's bytes); null for other dtypes.
 */
export function float32Data(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  const own = float32Values(backend, t);
  if (own || t === undefined || t.dtype !== 'float32') return own;
  const raw = backend.data.get(t.dataId).values;
  return ArrayBuffer.isView(raw) && !(raw instanceof DataView) ? Float32Array.from(raw as unknown as ArrayLike<number>) : null;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

let outputPool: BufferPool | null = null;

/** Sets (or clears) the pool that native kernel outputs are taken from. */
export function setOutputPool(pool: BufferPool | null): void {
  outputPool = pool;
}

/**
 * Takes a float32 output buffer (recycled when a pool is set: `fill` must write every
 * value), lets `fill` write it (skipped when empty), and wraps it as a tensor.
 */
export function makeOutput(backend: CpuBackend, shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo {
  const size = sizeOf(shape);
  const pool = outputPool;
  const out = pool ? pool.take(size) : new Float32Array(size);
  if (out.length > 0) fill(out);
  return pool ? pool.adopt(() => backend.makeTensorInfo(shape, 'float32', out)) : backend.makeTensorInfo(shape, 'float32', out);
}

/**
 * Several float32 outputs filled by one call: takes a buffer per shape (recycled when a
 * pool is set: `fill` must write every value of each), lets `fill` write them all at
 * once (also when some are empty), and wraps each as a tensor.
 */
export function makeOutputs(backend: CpuBackend, shapes: number[][], fill: (outs: Float32Array[]) => void): tf.TensorInfo[] {
  const pool = outputPool;
  const outs = shapes.map((shape) => (pool ? pool.take(sizeOf(shape)) : new Float32Array(sizeOf(shape))));
  fill(outs);
  return shapes.map((shape, i) =>
    pool ? pool.adopt(() => backend.makeTensorInfo(shape, 'float32', outs[i])) : backend.makeTensorInfo(shape, 'float32', outs[i]),
  );
}

/**
 * Whether tfjs records what runs now on a gradient tape: true inside a gradient that is
 * itself being differentiated (second-order gradients), where a gradient must run as
 * ordinary differentiable ops rather than one-off kernels without gradients.
 */
export function tapeRecording(): boolean {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; kernelDepth: number } }).state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}
