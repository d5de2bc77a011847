/**
 * The fused 2-D convolution layer of the native path: `MtlConv2D`, one cpu kernel for
 * y = act(conv2d(x, W) + b) (NHWC input, HWIO filter), whose registered gradient
 * computes only what the backward pass asks for, in one native call
 * (native/conv.cc `conv2d_backward`): the activation's derivative read off y, the bias
 * gradient, the filter gradient, and the input gradient only when the input is itself
 * on the path being differentiated.
 *
 * Why: tf.layers.conv2d runs tfjs's `fused.conv2d`, a custom-gradient op whose backward
 * computes all three gradients eagerly — including the gradient of the network's input
 * image, which nothing uses (a fifth of a LeNet training step at one thread) — and its
 * bias gradient as a separate tfjs reduction.
 *
 * While the native path is installed, `tf.layers.conv2d` layers (the library's encoders'
 * and users') take this op when their input is a float32 4-D tensor on the cpu backend,
 * data is channels-last, dilation 1, and the activation is linear, ReLU, sigmoid or tanh;
 * anything else keeps tfjs's path. Saved models are unchanged (the layers are still tfjs
 * `Conv2D` layers). Where a gradient is itself recorded (second-order gradients), the
 * gradient runs as ordinary tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { float32Data, makeOutput, makeOutputs, tapeRecording, type CpuBackend } from './cpuTensors.js';
import { convGeometry } from './kernels/conv2d.js';
import type { NativeAddedKernel } from './kernels/optimizerUpdates.js';
import { patchLayerCall, type LayerCallPatch } from './layerCallPatch.js';

/** The kernel name of the fused convolution layer (registered on 'cpu' while the native path is installed). */
export const FUSED_CONV_KERNEL = 'MtlConv2D';

/** Activation codes shared with native/kernels.h (kLinear, kRelu, kSigmoid, kDenseTanh), by tfjs-layers activation class name. */
export const CONV_ACTIVATIONS: Readonly<Record<string, number>> = { linear: 0, relu: 1, sigmoid: 4, tanh: 5 };

const RELU = 1, SIGMOID = 4, TANH = 5;
/** native/kernels.h kOpTanh (UnaryOp). */
const UNARY_TANH = 9;

type Pad = 'same' | 'valid';

/** Attributes of {@link FUSED_CONV_KERNEL}. */
interface ConvAttrs {
  strides: [number, number];
  pad: Pad;
  activation: number;
  /** Whether the op has a bias input (the gradient, which sees only the saved tensors, needs to know). */
  hasBias: boolean;
}

let addon: NativeAddon | null = null;

function info(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, 1,
    attrs.pad, undefined, false, 'channelsLast',
  );
}

/** `MtlConv2D`: inputs x [batch, h, w, in], filter [fh, fw, in, out], optional bias [out]; attrs as {@link ConvAttrs}. */
export const convKernel: NativeAddedKernel = {
  kernelName: FUSED_CONV_KERNEL,
  run({ inputs, backend, attrs }, native) {
    const { x, filter, bias } = inputs;
    const xv = float32Data(backend, x), wv = float32Data(backend, filter);
    const bv = bias === undefined ? null : float32Data(backend, bias);
    if (!x || !filter || !xv || !wv || (bias !== undefined && !bv) || x.shape.length !== 4 || filter.shape.length !== 4 ||
        x.shape[3] !== filter.shape[2] || (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3]))) {
      throw new Error(`${FUSED_CONV_KERNEL}: expected float32 x [batch, h, w, in], filter [fh, fw, in, out] and bias [out] on the cpu backend, ` +
        `found x [${x?.shape}], filter [${filter?.shape}]${bias ? `, bias [${bias.shape}]` : ''}`);
    }
    const a = attrs as unknown as ConvAttrs;
    const conv = info(x.shape, filter.shape, a);
    const geometry = convGeometry(conv);
    return makeOutput(backend, [...conv.outShape], (y) => {
      native.conv2d(xv, wv, y, geometry, bv, a.activation === TANH ? 0 : a.activation, 0);
      if (a.activation === TANH) native.unary(UNARY_TANH, y, y, y.length, 0);
    });
  },
};

/** The gradient as ordinary tfjs ops (any backend; differentiable again where tfjs's conv gradients are). */
function opsGradient(dy: tf.Tensor, x: tf.Tensor4D, filter: tf.Tensor4D, y: tf.Tensor, a: ConvAttrs): Record<string, () => tf.Tensor> {
  const g = (): tf.Tensor4D => {
    switch (a.activation) {
      case RELU: return tf.mul(dy, tf.step(y)) as tf.Tensor4D;
      case SIGMOID: return tf.mul(dy, tf.mul(y, tf.sub(1, y))) as tf.Tensor4D;
      case TANH: return tf.mul(tf.sub(1, tf.square(y)), dy) as tf.Tensor4D;
      default: return dy as tf.Tensor4D;
    }
  };
  return {
    x: () => tf.conv2dTranspose(g(), filter, x.shape, a.strides, a.pad),
    filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g() } as unknown as tf.NamedTensorMap,
      { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    bias: () => tf.sum(g(), [0, 1, 2]),
  };
}

/**
 * Gradient of `MtlConv2D`. The engine asks for each input's gradient separately, in
 * input order (x, filter, bias) and only for inputs on the path: the first request runs
 * the backward in one native call, with the input gradient only when x is asked first.
 */
export const convGradient: tf.GradConfig = {
  kernelName: FUSED_CONV_KERNEL,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
    const a = attrs as unknown as ConvAttrs;
    const backend = tf.backend() as unknown as CpuBackend;
    const values = [dy, x, filter, y].map((t) => (tf.getBackend() === 'cpu' ? float32Data(backend, t) : null));
    const native = addon;
    if (!native?.conv2dBackward || tapeRecording() || values.some((v) => v === null)) return opsGradient(dy, x, filter, y, a);
    const [dyv, xv, wv, yv] = values as Float32Array[];
    const geometry = convGeometry(info(x.shape, filter.shape, a));
    const outChannels = filter.shape[3];
    const scratch = a.activation === 0 ? null : new Float32Array(dyv!.length);
    let dx: tf.TensorInfo | undefined, dw: tf.TensorInfo | undefined, db: tf.TensorInfo | undefined;
    const wrap = (t: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(t);
    const runAll = (withDx: boolean) => {
      const shapes = [...(withDx ? [[...x.shape]] : []), [...filter.shape], ...(a.hasBias ? [[outChannels]] : [])];
      const outs = makeOutputs(backend, shapes, (o) => native.conv2dBackward!(dyv!, xv!, wv!, yv!, geometry, a.activation, scratch,
        withDx ? o[0]! : null, o[withDx ? 1 : 0]!, a.hasBias ? o[withDx ? 2 : 1]! : null));
      [dx, dw, db] = withDx ? outs : [undefined, ...outs];
    };
    return {
      x: () => {
        if (!dw) runAll(true);
        // Asked for after the others (not the engine's order): the input gradient alone.
        if (!dx) {
          dx = makeOutput(backend, [...x.shape], (out) =>
            native.conv2dBackward!(dyv!, xv!, wv!, yv!, geometry, a.activation, scratch, out, null, null));
        }
        return wrap(dx);
      },
      filter: () => {
        if (!dw) runAll(false);
        return wrap(dw!);
      },
      bias: () => {
        if (!dw) runAll(false);
        return wrap(db!);
      },
    };
  },
};

/** act(conv2d(x, filter) + bias) through `MtlConv2D` (one engine call); `activation` a {@link CONV_ACTIVATIONS} code. */
export function fusedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | null, strides: [number, number], pad: Pad,
  activation: number): tf.Tensor4D {
  const inputs = bias ? { x, filter, bias } : { x, filter };
  const attrs: ConvAttrs = { strides, pad, activation, hasBias: bias !== null };
  return tf.engine().runKernel(FUSED_CONV_KERNEL, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

interface ConvLayer {
  rank?: number;
  activation?: { getClassName(): string };
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
}

let patched: LayerCallPatch | null = null;

function dilationOne(d: number | number[] | undefined): boolean {
  return d === undefined || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);
}

/**
 * Makes `tf.layers.conv2d` layers use {@link fusedConv2d} (and `MtlConv2D`'s native
 * gradient) with `native`; null puts tfjs's own call back. Idempotent.
 */
export function useFusedConv(native: NativeAddon | null): void {
  addon = native && typeof native.conv2dBackward === 'function' ? native : null;
  if (addon && !patched) {
    patched = patchLayerCall<ConvLayer>('Conv2D', (inherited) => function (this: ConvLayer, inputs, kwargs) {
      const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
      const code = CONV_ACTIVATIONS[this.activation?.getClassName() ?? 'linear'];
      const kernel = this.kernel?.read();
      const bias = this.bias ? this.bias.read() : null;
      const strides = this.strides;
      const fits = addon !== null && code !== undefined && this.rank === 2 && this.dataFormat === 'channelsLast' &&
        (this.padding === 'same' || this.padding === 'valid') && dilationOne(this.dilationRate) &&
        Array.isArray(strides) && strides.length === 2 && input instanceof tf.Tensor && input.rank === 4 &&
        input.dtype === 'float32' && tf.getBackend() === 'cpu' && kernel !== undefined && kernel.rank === 4 &&
        kernel.dtype === 'float32' && (bias === null || (bias.rank === 1 && bias.dtype === 'float32'));
      if (!fits) return inherited.call(this, inputs, kwargs);
      return tf.tidy(() => fusedConv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, bias as tf.Tensor1D | null,
        [strides[0]!, strides[1]!], this.padding as Pad, code));
    });
  } else if (!addon && patched) {
    patched.restore();
    patched = null;
  }
}
