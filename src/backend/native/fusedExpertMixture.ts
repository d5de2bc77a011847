/**
 * The gated sum of experts of MMoE and PLE as one cpu kernel each way on the native
 * path: `MtlExpertMixture`, y = Σ_e gate[:, e]·expert_e over E experts of one shape
 * [batch, …], whose registered gradient computes the gate's and every expert's gradient
 * in one native call (native/mixture.cc).
 *
 * Why: as tfjs ops the mixture stacks the experts (a copy of all of them), multiplies
 * [1, E]·[E, F] once per example and reshapes; its gradient is two batched products, an
 * unstack and more reshapes: ~15 engine calls and two copies of every expert's output
 * per task and step, a fifth of an MMoE step on a tabular batch.
 *
 * src/architectures/expertMixture.ts takes this op when the native path is installed,
 * the backend is 'cpu' and every input is float32; otherwise (and where the gradient is
 * itself recorded, for second-order gradients) the same mixture runs as tfjs ops.
 * Browser-safe: no Node import.
 */
import * as tf from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { float32Data, makeOutput, makeOutputs, tapeRecording, sizeOf, type CpuBackend } from './cpuTensors.js';
import type { NativeAddedKernel } from './kernels/optimizerUpdates.js';

/** The kernel name of the fused mixture (registered on 'cpu' while the native path is installed). */
export const EXPERT_MIXTURE_KERNEL = 'MtlExpertMixture';

let addon: NativeAddon | null = null;

/**
 * Input keys: the inputs go to the engine as an array [gate, expert_0, …] (as AddN's do:
 * what a gradient saving all its inputs needs), so the kernel and the gradient see them
 * keyed `0` (the gate), `1`, … (the experts).
 */
const gateKey = '0';
const expertName = (e: number) => String(e + 1);

/** `MtlExpertMixture`: inputs [gate [batch, E], expert_0 … expert_(E−1), each [batch, …] of one shape]; output of that shape. */
export const expertMixtureKernel: NativeAddedKernel = {
  kernelName: EXPERT_MIXTURE_KERNEL,
  run({ inputs, backend }, native) {
    const gate = inputs[gateKey];
    const count = Object.keys(inputs).length - 1;
    const experts = Array.from({ length: count }, (_, e) => inputs[expertName(e)]);
    const gv = float32Data(backend, gate);
    const xv = experts.map((x) => float32Data(backend, x));
    const shape = experts[0]?.shape;
    const batch = shape?.[0];
    if (!gate || !gv || count < 1 || !shape || batch === undefined || gate.shape.length !== 2 || gate.shape[0] !== batch ||
        gate.shape[1] !== count || experts.some((x, e) => !x || !xv[e] || !tf.util.arraysEqual(x.shape, shape))) {
      throw new Error(`${EXPERT_MIXTURE_KERNEL}: expected float32 gate [batch, E] and E experts of one shape [batch, …] on the cpu backend, ` +
        `found gate [${gate?.shape}] and experts ${experts.map((x) => `[${x?.shape}]`).join(', ')}`);
    }
    const features = batch === 0 ? 0 : sizeOf(shape) / batch;
    return makeOutput(backend, [...shape], (y) => native.expertMixture!(gv, xv as Float32Array[], y, batch, count, features));
  },
};

/** The mixture as tfjs ops (any backend; differentiable again): Σ_e gate[:, e]·x_e, in expert order. */
function opsMixture(gate: tf.Tensor, experts: readonly tf.Tensor[]): tf.Tensor {
  const batch = experts[0]!.shape[0]!;
  const stacked = tf.stack(experts.map((e) => tf.reshape(e, [batch, -1])), 1); // batch × E × features
  const mixed = tf.matMul(tf.expandDims(gate, 1), stacked as tf.Tensor3D); // batch × 1 × features
  return tf.reshape(mixed, experts[0]!.shape);
}

/** The gradient as tfjs ops: dgate[:, e] = Σ_f dy·x_e, dx_e = gate[:, e]·dy. */
function opsGradient(dy: tf.Tensor, gate: tf.Tensor, experts: readonly tf.Tensor[]): Record<string, () => tf.Tensor> {
  const batch = dy.shape[0]!;
  const dyFlat = () => tf.reshape(dy, [batch, -1]);
  const grads: Record<string, () => tf.Tensor> = {
    [gateKey]: () => tf.stack(experts.map((x) => tf.sum(tf.mul(dyFlat(), tf.reshape(x, [batch, -1])), 1)), 1),
  };
  experts.forEach((x, e) => {
    grads[expertName(e)] = () => tf.reshape(tf.mul(dyFlat(), tf.slice(gate, [0, e], [batch, 1])), x.shape);
  });
  return grads;
}

/**
 * Gradient of `MtlExpertMixture`: the first input asked for runs the whole backward in
 * one native call (the gate's gradient and every expert's), the others take its results.
 */
export const expertMixtureGradient: tf.GradConfig = {
  kernelName: EXPERT_MIXTURE_KERNEL,
  saveAllInputs: true,
  gradFunc: (dyIn, saved) => {
    const dy = dyIn as tf.Tensor;
    const [gate, ...experts] = saved as tf.Tensor[];
    const native = addon;
    const backend = tf.backend() as unknown as CpuBackend;
    const onCpu = tf.getBackend() === 'cpu';
    const values = [dy, gate!, ...experts].map((t) => (onCpu ? float32Data(backend, t) : null));
    if (!native || tapeRecording() || values.some((v) => v === null)) return opsGradient(dy, gate!, experts);
    const [dyv, gv, ...xv] = values as Float32Array[];
    const count = experts.length;
    const batch = dy.shape[0]!;
    const features = batch === 0 ? 0 : dy.size / batch;
    let outs: tf.TensorInfo[] | null = null;
    const all = (): tf.TensorInfo[] => {
      if (!outs) {
        outs = makeOutputs(backend, [gate!.shape, ...experts.map((x) => x.shape)], (o) =>
          native.expertMixtureBackward!(dyv!, gv!, xv, o[0]!, o.slice(1), batch, count, features));
      }
      return outs;
    };
    const wrap = (info: tf.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
    const grads: Record<string, () => tf.Tensor> = { [gateKey]: () => wrap(all()[0]!) };
    experts.forEach((_, e) => {
      grads[expertName(e)] = () => wrap(all()[e + 1]!);
    });
    return grads;
  },
};

/**
 * Σ_e gate[:, e]·expert_e: one engine call on the native path (gate [batch, E] and E
 * experts of one shape [batch, …], all float32 on 'cpu'), else tfjs ops.
 */
export function expertMixture(gate: tf.Tensor, experts: readonly tf.Tensor[]): tf.Tensor {
  const shape = experts[0]?.shape;
  const fits = addon !== null && tf.getBackend() === 'cpu' && shape !== undefined && shape.length >= 1 && gate.rank === 2 &&
    gate.shape[0] === shape[0] && gate.shape[1] === experts.length && gate.dtype === 'float32' &&
    experts.every((x) => x.dtype === 'float32' && tf.util.arraysEqual(x.shape, shape));
  if (!fits) return opsMixture(gate, experts);
  return tf.engine().runKernel(EXPERT_MIXTURE_KERNEL, [gate, ...experts] as unknown as tf.NamedTensorMap, {}) as tf.Tensor;
}

/** Turns the fused mixture on (with an addon that has it) or off (null). */
export function useFusedExpertMixture(native: NativeAddon | null): void {
  addon = native && typeof native.expertMixture === 'function' && typeof native.expertMixtureBackward === 'function' ? native : null;
}
