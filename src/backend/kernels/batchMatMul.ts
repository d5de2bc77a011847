/**
 * BatchMatMul and _FusedMatMul with transposed operands on wasm.
 *
 * The stock wasm kernels reach XNNPACK only when neither operand is transposed;
 * with `transposeA` or `transposeB` they fall to a scalar triple loop, 10–25×
 * slower. Every backward-pass product of a dense layer (dy·Bᵀ, Aᵀ·dy) is such a
 * product. The fix materialises the transpose (an O(n²) copy, with the wasm
 * Transpose kernel) and calls the stock kernel untransposed (O(n³) in XNNPACK).
 *
 * The stock _FusedMatMul is also wrong when the product is batched (rank 3 with
 * batch > 1) and has a bias: measured off by O(1) against the cpu backend. There
 * the fix runs the plain product and applies the bias and activation with the
 * Add and activation kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelFix, type WasmKernelArgs, type WasmKernelFunc, callKernel, release, transposeLastTwo } from './shared.js';

/** Wraps a stock matmul kernel so that transposed operands are materialised first. */
function untransposed(kernelName: string, original: WasmKernelFunc | undefined): WasmKernelFunc {
  if (original === undefined) {
    throw new Error(`tfjs-multitask wasm kernel fixes: the stock wasm '${kernelName}' kernel is missing; cannot wrap it.`);
  }
  return (args: WasmKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const transposeA = attrs['transposeA'] === true;
    const transposeB = attrs['transposeB'] === true;
    const a = inputs['a']!;
    const b = inputs['b']!;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const aT = transposeA ? transposeLastTwo(backend, a) : undefined;
    const bT = transposeB ? transposeLastTwo(backend, b) : undefined;
    try {
      return original({
        inputs: { ...inputs, a: aT ?? a, b: bT ?? b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      release(backend, aT, bT);
    }
  };
}

/** `BatchMatMul`: transposed operands go through XNNPACK instead of a scalar loop. */
export const batchMatMulFix: KernelFix = {
  kernelName: 'BatchMatMul',
  reason: 'transposed operands fell to a scalar loop; transpose first, then XNNPACK',
  build: (original) => untransposed('BatchMatMul', original),
};

/** Applies a fused activation by name with the wasm activation kernels; releases `x`. */
function activate(backend: BackendWasm, x: tf.TensorInfo, args: WasmKernelArgs): tf.TensorInfo {
  const activation = (args.attrs?.['activation'] as string | undefined) ?? 'linear';
  let out: tf.TensorInfo;
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      out = callKernel('Relu', backend, { x });
      break;
    case 'relu6':
      out = callKernel('Relu6', backend, { x });
      break;
    case 'elu':
      out = callKernel('Elu', backend, { x });
      break;
    case 'sigmoid':
      out = callKernel('Sigmoid', backend, { x });
      break;
    case 'leakyrelu':
      out = callKernel('LeakyRelu', backend, { x }, { alpha: (args.attrs?.['leakyreluAlpha'] as number | undefined) ?? 0.2 });
      break;
    case 'prelu':
      out = callKernel('Prelu', backend, { x, alpha: args.inputs['preluActivationWeights']! });
      break;
    default:
      throw new Error(`_FusedMatMul (tfjs-multitask wasm): activation '${activation}' is not supported.`);
  }
  release(backend, x);
  return out;
}

/** Stock _FusedMatMul, except that batched products with a bias add it separately (the stock kernel gets them wrong). */
function batchedBiasSafe(original: WasmKernelFunc): WasmKernelFunc {
  return (args: WasmKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const a = inputs['a']!;
    const b = inputs['b']!;
    const bias = inputs['bias'];
    const batch = Math.max(a.shape.length > 2 ? a.shape[0]! : 1, b.shape.length > 2 ? b.shape[0]! : 1);
    if (bias === undefined || bias === null || batch <= 1) return original(args);
    const product = original({
      inputs: { a, b },
      backend,
      attrs: { ...attrs, activation: 'linear' },
    });
    const biased = callKernel('Add', backend, { a: product, b: bias });
    release(backend, product);
    return activate(backend, biased, args);
  };
}

/**
 * `_FusedMatMul` (matmul + bias + activation): same fix as {@link batchMatMulFix},
 * and a correct result for batched products with a bias.
 */
export const fusedMatMulFix: KernelFix = {
  kernelName: '_FusedMatMul',
  reason: 'transposed operands fell to a scalar loop, batched products with a bias were wrong; transpose first, add the bias apart',
  build: (original) => untransposed('_FusedMatMul', original === undefined ? undefined : batchedBiasSafe(original)),
};
