/**
 * Identity on wasm without a copy.
 *
 * The engine clones every tensor it saves for the backward pass (`engine.clone`
 * runs the Identity kernel), and the stock wasm Identity copies the whole buffer:
 * about 4 ms of every LeNet step at batch 256 goes to copying activations. Tensor
 * memory is never written after a kernel returns (variables take a new buffer on
 * `assign`), so, as the cpu and webgl backends do, the clone can share the buffer
 * and count one more reference.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelFix, WasmKernelArgs, WasmKernelFunc } from './shared.js';

function shareBuffer(original: WasmKernelFunc | undefined): WasmKernelFunc {
  return (args: WasmKernelArgs): tf.TensorInfo => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string' && original !== undefined) return original(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/** `Identity`: shares the buffer (one more reference) instead of copying it. */
export const identityFix: KernelFix = {
  kernelName: 'Identity',
  reason: 'stock wasm copies every tensor the engine saves for the backward pass; share the buffer',
  build: shareBuffer,
};
