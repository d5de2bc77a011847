/**
 * Counts what the tfjs engine runs: every kernel invocation (`runKernelFunc` with a
 * registered kernel, nested ones included), every custom-gradient op (tf.customGrad,
 * tf.fused.*: not a kernel, but one engine call with its own bookkeeping), and among
 * the kernels the `Identity` copies the engine makes of every tensor it saves for the
 * backward pass (the tape's copies). Used by bench/native/kernelCounts.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** What one counted call of `fn` ran, by name. */
export interface KernelCount {
  /** Kernel invocations, `Identity` tape copies included. */
  kernels: number;
  /** Of which the engine's copies of saved tensors (`Identity`). */
  tapeCopies: number;
  /** Custom-gradient ops (tf.customGrad, tf.fused.*), not counted in `kernels`. */
  customOps: number;
  /** Kernel invocations by kernel name. */
  byKernel: Map<string, number>;
}

interface EngineInternals {
  runKernelFunc(params: { kernelName?: string; forwardFunc?: unknown }): unknown;
}

/** Runs `fn` once with the engine's kernel calls counted. */
export function countKernels(fn: () => void): KernelCount {
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.runKernelFunc;
  const count: KernelCount = { kernels: 0, tapeCopies: 0, customOps: 0, byKernel: new Map() };
  engine.runKernelFunc = function (this: EngineInternals, params) {
    if (typeof params.kernelName === 'string') {
      count.kernels++;
      if (params.kernelName === 'Identity') count.tapeCopies++;
      count.byKernel.set(params.kernelName, (count.byKernel.get(params.kernelName) ?? 0) + 1);
    } else {
      count.customOps++;
    }
    return original.call(this, params);
  };
  try {
    fn();
  } finally {
    engine.runKernelFunc = original;
  }
  return count;
}
