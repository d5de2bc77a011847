/**
 * Helpers shared by the wasm kernel fixes: calling other wasm kernels from inside
 * a kernel, freeing intermediate results, and reading/writing tensor memory on the
 * wasm heap without copies.
 *
 * Inside a kernel there is no `tf.tidy`: kernels work on `TensorInfo`s, and every
 * intermediate a kernel creates must be released with {@link release} before it
 * returns, or it leaks wasm memory (the engine only tracks the kernel's outputs).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The backend name the fixes register under. */
export const WASM = 'wasm';

/** Arguments every kernel function receives, typed for the wasm backend. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}

/** A kernel function for the wasm backend that returns one tensor. */
export type WasmKernelFunc = (args: WasmKernelArgs) => tf.TensorInfo;

/**
 * A kernel fix: the kernel it registers and how to build its function from the
 * kernel previously registered under that name (undefined where wasm has none).
 */
export interface KernelFix {
  /** The tfjs kernel name, e.g. `BatchMatMul`. */
  kernelName: string;
  /** One line saying what the fix does and why (shown by `describeWasmKernelFixes`). */
  reason: string;
  /** Builds the replacement kernel function; `original` is the stock wasm kernel, if any. */
  build(original: WasmKernelFunc | undefined): WasmKernelFunc;
}

/**
 * Calls the kernel currently registered for `kernelName` on wasm with `inputs` and
 * `attrs`. The result is owned by the caller: release it or return it.
 */
export function callKernel(
  kernelName: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, WASM);
  if (config === undefined) {
    throw new Error(`tfjs-multitask wasm kernel fixes: kernel '${kernelName}' is not registered for backend 'wasm'.`);
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0]! : out;
}

/** Releases intermediate results created inside a kernel (drops one reference each). */
export function release(backend: BackendWasm, ...infos: (tf.TensorInfo | undefined)[]): void {
  for (const info of infos) if (info !== undefined) backend.disposeData(info.dataId);
}

/** `x` with its axes permuted by `perm` (a new buffer on the wasm heap). */
export function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callKernel('Transpose', backend, { x }, { perm });
}

/** `x` with its last two axes swapped. */
export function transposeLastTwo(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/** A float32 view of a tensor's memory on the wasm heap (no copy; invalid after the heap grows). */
export function heapView(backend: BackendWasm, x: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(x) as Float32Array;
}

/** Allocates an output tensor on the wasm heap; its contents are uninitialised. */
export function allocate(backend: BackendWasm, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/** Reads a kernel's `pad` attribute back into the type the conv utilities take. */
export type PadAttr = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

/** Reads a 2-D attribute (`strides`, `dilations`, `filterSize`) as [height, width]. */
export function pair(value: number | number[] | undefined, fallback = 1): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];
}
