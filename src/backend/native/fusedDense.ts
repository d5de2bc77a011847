/**
 * The fused dense layer of the native path: `MtlDense`, one cpu kernel for
 * y = act(x·W + b), with a registered gradient that computes dx, dW and db (and the
 * activation's derivative, read off y) in one native call (native/dense.cc).
 *
 * Why: in training tfjs fuses only linear dense layers (`tf.fused.matMul` falls back to
 * matMul + add + activation whenever a gradient is being recorded), and each of those
 * kernels, its gradient's 6–8 kernels and the reshapes around them pays the engine's
 * bookkeeping (~10 µs each on this kind of machine): a 64→256→256 MLP step with three
 * heads ran 255 engine calls, most of them for its five dense layers.
 *
 * While the native path is installed, `tf.layers.dense` layers (built by tfjs-multitask's
 * architectures or by the user: the patch is on the layer class) run this op when
 * their input is a float32 matrix on the cpu backend and their activation is linear,
 * ReLU, sigmoid, tanh or softmax; anything else keeps tfjs's own path. Saved models are
 * unchanged (the layers are still tfjs `Dense` layers). Where a gradient is itself
 * recorded (second-order gradients), the gradient runs as ordinary tfjs ops, which can
 * be differentiated again.
 */
import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { float32Data, makeOutput, makeOutputs, tapeRecording, type CpuBackend } from './cpuTensors.js';
import type { NativeAddedKernel } from './kernels/optimizerUpdates.js';
import { patchLayerCall, type LayerCallPatch } from './layerCallPatch.js';

/** The kernel name of the fused dense layer (registered on 'cpu' while the native path is installed). */
export const FUSED_DENSE_KERNEL = 'MtlDense';

/** Activation codes shared with native/kernels.h (kLinear, kRelu, kSigmoid, kDenseTanh, kDenseSoftmax), by tfjs-layers activation class name. */
export const DENSE_ACTIVATIONS: Readonly<Record<string, number>> = { linear: 0, relu: 1, sigmoid: 4, tanh: 5, softmax: 6 };

const RELU = 1, SIGMOID = 4, TANH = 5, SOFTMAX = 6;

let addon: NativeAddon | null = null;

function dims(x: tf.TensorInfo, kernel: tf.TensorInfo): { rows: number; inputs: number; units: number } {
  return { rows: x.shape[0]!, inputs: x.shape[1]!, units: kernel.shape[1]! };
}

/** `MtlDense`: inputs x [rows, in], kernel [in, units], optional bias [units]; attr `activation` (a {@link DENSE_ACTIVATIONS} code). */
export const denseKernel: NativeAddedKernel = {
  kernelName: FUSED_DENSE_KERNEL,
  run({ inputs, backend, attrs }, native) {
    const { x, kernel, bias } = inputs;
    const xv = float32Data(backend, x), wv = float32Data(backend, kernel);
    const bv = bias === undefined ? null : float32Data(backend, bias);
    if (!x || !kernel || !xv || !wv || (bias !== undefined && !bv) || x.shape.length !== 2 || kernel.shape.length !== 2 ||
        x.shape[1] !== kernel.shape[0] || (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== kernel.shape[1]))) {
      throw new Error(`${FUSED_DENSE_KERNEL}: expected float32 x [rows, in], kernel [in, units] and bias [units] on the cpu backend, ` +
        `found x [${x?.shape}], kernel [${kernel?.shape}]${bias ? `, bias [${bias.shape}]` : ''}`);
    }
    const { rows, inputs: n, units } = dims(x, kernel);
    const act = Number(attrs['activation'] ?? 0);
    return makeOutput(backend, [rows, units], (y) => native.dense!(xv, wv, bv, y, rows, n, units, act));
  },
};

/** The gradient as ordinary tfjs ops (any backend; differentiable again). */
function opsGradient(dy: tf.Tensor, x: tf.Tensor, kernel: tf.Tensor, y: tf.Tensor, act: number): Record<string, () => tf.Tensor> {
  const g = (): tf.Tensor => {
    switch (act) {
      case RELU: return tf.mul(dy, tf.step(y));
      case SIGMOID: return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
      case TANH: return tf.mul(tf.sub(1, tf.square(y)), dy);
      case SOFTMAX: return tf.mul(tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)), y);
      default: return dy;
    }
  };
  return {
    x: () => tf.matMul(g(), kernel, false, true),
    kernel: () => tf.matMul(x, g(), true, false),
    bias: () => tf.sum(g(), 0),
  };
}

/**
 * Gradient of `MtlDense`. The engine asks for each input's gradient separately (and
 * only for inputs on the path to what is differentiated): the first request runs the
 * whole backward in one native call (dx only when x's gradient is the one asked for
 * first, as the engine asks in input order x, kernel, bias), the others take its results.
 */
export const denseGradient: tf.GradConfig = {
  kernelName: FUSED_DENSE_KERNEL,
  inputsToSave: ['x', 'kernel'],
  outputsToSave: [true],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const [x, kernel, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const act = Number(attrs['activation'] ?? 0);
    const backend = tf.backend() as unknown as CpuBackend;
    const values = [dy, x, kernel, y].map((t) => (tf.getBackend() === 'cpu' ? float32Data(backend, t) : null));
    const native = addon;
    if (!native || tapeRecording() || values.some((v) => v === null)) return opsGradient(dy, x, kernel, y, act);
    const [dyv, xv, wv, yv] = values as Float32Array[];
    const { rows, inputs: n, units } = dims(x, kernel);
    const scratch = act === 0 ? null : new Float32Array(rows * units);
    let dx: tf.TensorInfo | undefined, dw: tf.TensorInfo | undefined, db: tf.TensorInfo | undefined;
    const wrap = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
    const runAll = (withDx: boolean) => {
      const shapes = withDx ? [[rows, n], [n, units], [units]] : [[n, units], [units]];
      const outs = makeOutputs(backend, shapes, (o) =>
        native.denseBackward!(dyv!, xv!, wv!, yv!, rows, n, units, act, scratch, withDx ? o[0]! : null, o[withDx ? 1 : 0]!, o[withDx ? 2 : 1]!));
      [dx, dw, db] = withDx ? outs : [undefined, ...outs];
    };
    return {
      x: () => {
        if (!dw) runAll(true);
        // Asked for after the others (not the engine's order): one more product, g·Wᵀ.
        if (!dx) dx = makeOutput(backend, [rows, n], (out) => native.matMul(scratch ?? dyv!, wv!, out, 1, 1, rows, n, units, false, true, null, 0, 0, 0));
        return wrap(dx);
      },
      kernel: () => {
        if (!dw) runAll(false);
        return wrap(dw!);
      },
      bias: () => {
        if (!db) runAll(false);
        return wrap(db!);
      },
    };
  },
};

/** y = act(x·W + b) through `MtlDense` (one engine call); `activation` a {@link DENSE_ACTIVATIONS} code. */
export function fusedDense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null, activation: number): tf.Tensor {
  const inputs = bias ? { x, kernel, bias } : { x, kernel };
  return tf.engine().runKernel(FUSED_DENSE_KERNEL, inputs as unknown as tf.NamedTensorMap, { activation }) as tf.Tensor;
}

interface DenseLayer {
  activation?: { getClassName(): string };
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  invokeCallHook(inputs: unknown, kwargs: unknown): void;
}

let patched: LayerCallPatch | null = null;

/**
 * Makes `tf.layers.dense` layers use {@link fusedDense} (and `MtlDense`'s native
 * gradient) with `native`; null puts tfjs's own call back. Idempotent.
 */
export function useFusedDense(native: NativeAddon | null): void {
  addon = native && typeof native.dense === 'function' && typeof native.denseBackward === 'function' ? native : null;
  if (addon && !patched) {
    patched = patchLayerCall<DenseLayer>('Dense', (original) => function (this: DenseLayer, inputs, kwargs) {
      const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
      const code = DENSE_ACTIVATIONS[this.activation?.getClassName() ?? 'linear'];
      const kernel = this.kernel?.read();
      const bias = this.bias ? this.bias.read() : null;
      const fits = addon !== null && code !== undefined && input instanceof tf.Tensor && input.rank === 2 &&
        input.dtype === 'float32' && tf.getBackend() === 'cpu' && kernel !== undefined && kernel.dtype === 'float32' &&
        (bias === null || (bias.rank === 1 && bias.dtype === 'float32'));
      if (!fits) return original.call(this, inputs, kwargs);
      return tf.tidy(() => {
        this.invokeCallHook(inputs, kwargs);
        return fusedDense(input, kernel, bias, code);
      });
    });
  } else if (!addon && patched) {
    patched.restore();
    patched = null;
  }
}
