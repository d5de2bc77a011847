/**
 * The losses of the native path as single kernels: softmax and sigmoid cross-entropy per
 * example (`MtlSoftmaxCrossEntropy`, `MtlSigmoidCrossEntropy`) and the masked mean over
 * the batch (`MtlMaskedMean`), each
 * with a one-kernel gradient. src/tasks/losses.ts takes them while the native path is
 * installed and the tensors live on the cpu backend; elsewhere it runs its own
 * composite ops. Each replaces ~20 engine calls forward and ~5 backward (the
 * log-softmax op alone is seven kernels) whose arithmetic is a few hundred values: the
 * engine's bookkeeping was the cost, so the kernels are plain loops over the cpu
 * backend's arrays.
 *
 * The per-example loops run in the addon (native/losses.cc) where it has them, else
 * here; the same arithmetic either way, as the composite ops', in the same order
 * (float32 values, sums in double as tfjs's Sum does): log-softmax as shifted − log Σ exp(shifted) with
 * shifted = z − max z; the loss −Σ_j onehot_j·logp_j (a label outside [0, k) gives the
 * zero one-hot row, as tf.oneHot does, so loss 0); its gradient dy·(exp(logp) − onehot)
 * with logp recomputed from the saved logits;
 * the sigmoid cross-entropy mean_j max(z, 0) − z·y + log1p(e^(−|z|)) and its gradient
 * dy·(σ(z) − y)/c (where z = 0 exactly, tfjs's autodiff of the stable form gives −y/c,
 * the subgradient its relu and abs take there; this gives the true derivative);
 * the masked mean Σ_{mask>0} loss / max(Σ mask, 1) and its gradient [mask > 0]·dy/count.
 */
import * as tf from '@tensorflow/tfjs';

import { float32Data, makeOutput, tapeRecording, type CpuBackend } from './cpuTensors.js';
import type { NativeAddedKernel } from './kernels/optimizerUpdates.js';

export const SOFTMAX_CROSS_ENTROPY_KERNEL = 'MtlSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL = 'MtlSoftmaxCrossEntropyGrad';
export const SIGMOID_CROSS_ENTROPY_KERNEL = 'MtlSigmoidCrossEntropy';
export const SIGMOID_CROSS_ENTROPY_GRAD_KERNEL = 'MtlSigmoidCrossEntropyGrad';
export const MASKED_MEAN_KERNEL = 'MtlMaskedMean';
export const MASKED_MEAN_GRAD_KERNEL = 'MtlMaskedMeanGrad';
export const WEIGHTED_SUM_KERNEL = 'MtlWeightedSum';

let active = false;

function input(backend: CpuBackend, inputs: tf.NamedTensorInfoMap, name: string, kernel: string): Float32Array {
  const v = float32Data(backend, inputs[name]);
  if (v) return v;
  throw new Error(`${kernel}: input '${name}' must be a float32 tensor on the cpu backend`);
}

/** tf.cast(label, 'int32') as tfjs's cpu backend computes it (truncation, NaN to 0). */
function classIndex(label: number): number {
  return Number.isNaN(label) ? 0 : Math.trunc(label);
}

/**
 * log-softmax of row i of z [n, k] into `logp` (float32 steps as the composite op:
 * shifted = z − max, logp = shifted − log Σ exp(shifted), the sum in double).
 */
function logSoftmaxRow(z: Float32Array, row: number, k: number, shifted: Float32Array, logp: Float32Array): void {
  let max = z[row]!;
  for (let j = 1; j < k; j++) {
    const v = z[row + j]!;
    if (v > max || Number.isNaN(v)) max = v;
  }
  let sum = 0;
  for (let j = 0; j < k; j++) {
    shifted[j] = z[row + j]! - max;
    sum += Math.fround(Math.exp(shifted[j]!));
  }
  const logSum = Math.fround(Math.log(Math.fround(sum)));
  for (let j = 0; j < k; j++) logp[j] = shifted[j]! - logSum;
}

/** Inputs logits [n, k] and labels [n, 1] (class indices); output the losses [n]. */
export const softmaxCrossEntropyKernel: NativeAddedKernel = {
  kernelName: SOFTMAX_CROSS_ENTROPY_KERNEL,
  run({ inputs, backend }, native) {
    const z = input(backend, inputs, 'logits', SOFTMAX_CROSS_ENTROPY_KERNEL);
    const labels = input(backend, inputs, 'labels', SOFTMAX_CROSS_ENTROPY_KERNEL);
    const [n, k] = inputs['logits']!.shape as [number, number];
    if (native.softmaxCrossEntropy && k > 0) return makeOutput(backend, [n], (losses) => native.softmaxCrossEntropy!(z, labels, losses, n, k));
    const shifted = new Float32Array(k), logp = new Float32Array(k);
    return makeOutput(backend, [n], (losses) => {
      for (let i = 0; i < n; i++) {
        logSoftmaxRow(z, i * k, k, shifted, logp);
        const label = classIndex(labels[i]!);
        let loss = 0;
        for (let j = 0; j < k; j++) loss += Math.fround((j === label ? 1 : 0) * logp[j]!);
        losses[i] = -Math.fround(loss);
      }
    });
  },
};

/** Inputs dy [n], logits [n, k], labels [n, 1]; output dlogits = dy·(exp(logp) − onehot) [n, k]. */
export const softmaxCrossEntropyGradKernel: NativeAddedKernel = {
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL,
  run({ inputs, backend }, native) {
    const dy = input(backend, inputs, 'dy', SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL);
    const z = input(backend, inputs, 'logits', SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL);
    const labels = input(backend, inputs, 'labels', SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL);
    const [n, k] = inputs['logits']!.shape as [number, number];
    if (native.softmaxCrossEntropyGrad && k > 0) return makeOutput(backend, [n, k], (out) => native.softmaxCrossEntropyGrad!(dy, z, labels, out, n, k));
    const shifted = new Float32Array(k), logp = new Float32Array(k);
    return makeOutput(backend, [n, k], (out) => {
      for (let i = 0; i < n; i++) {
        logSoftmaxRow(z, i * k, k, shifted, logp);
        const label = classIndex(labels[i]!);
        const d = dy[i]!;
        for (let j = 0; j < k; j++) out[i * k + j] = d * Math.fround(Math.fround(Math.exp(logp[j]!)) - (j === label ? 1 : 0));
      }
    });
  },
};

/**
 * Inputs logits [n, c] and labels [n, c] (0/1 or probabilities); output the per-example
 * mean over the c columns of max(z, 0) − z·y + log(1 + e^(−|z|)), the stable form
 * src/tasks/losses.ts computes with ops.
 */
export const sigmoidCrossEntropyKernel: NativeAddedKernel = {
  kernelName: SIGMOID_CROSS_ENTROPY_KERNEL,
  run({ inputs, backend }, native) {
    const z = input(backend, inputs, 'logits', SIGMOID_CROSS_ENTROPY_KERNEL);
    const y = input(backend, inputs, 'labels', SIGMOID_CROSS_ENTROPY_KERNEL);
    const [n, c] = inputs['logits']!.shape as [number, number];
    if (native.sigmoidCrossEntropy) return makeOutput(backend, [n], (out) => native.sigmoidCrossEntropy!(z, y, out, n, c));
    return makeOutput(backend, [n], (out) => {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = i * c; j < (i + 1) * c; j++) {
          const v = z[j]!;
          const term = Math.fround(Math.fround((v > 0 ? v : 0) - Math.fround(v * y[j]!)) + Math.fround(Math.log1p(Math.fround(Math.exp(-Math.abs(v))))));
          sum += Math.fround(term / c);
        }
        out[i] = sum;
      }
    });
  },
};

/** Inputs dy [n], logits [n, c], labels [n, c]; output dy/c·(sigmoid(z) − y) [n, c]. */
export const sigmoidCrossEntropyGradKernel: NativeAddedKernel = {
  kernelName: SIGMOID_CROSS_ENTROPY_GRAD_KERNEL,
  run({ inputs, backend }, native) {
    const dy = input(backend, inputs, 'dy', SIGMOID_CROSS_ENTROPY_GRAD_KERNEL);
    const z = input(backend, inputs, 'logits', SIGMOID_CROSS_ENTROPY_GRAD_KERNEL);
    const y = input(backend, inputs, 'labels', SIGMOID_CROSS_ENTROPY_GRAD_KERNEL);
    const [n, c] = inputs['logits']!.shape as [number, number];
    if (native.sigmoidCrossEntropyGrad) return makeOutput(backend, [n, c], (out) => native.sigmoidCrossEntropyGrad!(dy, z, y, out, n, c));
    return makeOutput(backend, [n, c], (out) => {
      for (let i = 0; i < n; i++) {
        const d = Math.fround(dy[i]! / c);
        for (let j = i * c; j < (i + 1) * c; j++) out[j] = d * Math.fround(Math.fround(1 / (1 + Math.exp(-z[j]!))) - y[j]!);
      }
    });
  },
};

/** Inputs losses [n] and mask [n]; output Σ_{mask>0} losses / max(Σ mask, 1) (a scalar). */
export const maskedMeanKernel: NativeAddedKernel = {
  kernelName: MASKED_MEAN_KERNEL,
  run({ inputs, backend }) {
    const losses = input(backend, inputs, 'losses', MASKED_MEAN_KERNEL);
    const mask = input(backend, inputs, 'mask', MASKED_MEAN_KERNEL);
    return makeOutput(backend, [], (out) => {
      let kept = 0, count = 0;
      for (let i = 0; i < losses.length; i++) {
        if (mask[i]! > 0) kept += losses[i]!;
        count += mask[i]!;
      }
      out[0] = Math.fround(kept) / Math.max(Math.fround(count), 1);
    });
  },
};

/** Inputs dy (a scalar) and mask [n]; output [mask > 0]·dy/max(Σ mask, 1) [n]. */
export const maskedMeanGradKernel: NativeAddedKernel = {
  kernelName: MASKED_MEAN_GRAD_KERNEL,
  run({ inputs, backend }) {
    const dy = input(backend, inputs, 'dy', MASKED_MEAN_GRAD_KERNEL);
    const mask = input(backend, inputs, 'mask', MASKED_MEAN_GRAD_KERNEL);
    return makeOutput(backend, [mask.length], (out) => {
      let count = 0;
      for (let i = 0; i < mask.length; i++) count += mask[i]!;
      const scale = Math.fround(dy[0]! / Math.max(Math.fround(count), 1));
      for (let i = 0; i < mask.length; i++) out[i] = mask[i]! > 0 ? scale : 0;
    });
  },
};

/**
 * Inputs `0`, `1`, … of one shape (the task losses, scalars, or the tasks' gradients of
 * one variable) and attr `weights` (one number per input); output Σ_i w_i·x_i
 * element-wise, accumulated from 0 in input order, each weight rounded to float32 and
 * each product and sum too, as the composite `add(total, mul(x, w))` does. Scalars are
 * summed here; larger inputs by the addon (one vectorised pass, no fused multiply-add:
 * the same floats) where it has `weightedSum`.
 */
export const weightedSumKernel: NativeAddedKernel = {
  kernelName: WEIGHTED_SUM_KERNEL,
  run({ inputs, backend, attrs }, native) {
    const weights = attrs['weights'] as number[];
    const xs = weights.map((_, i) => input(backend, inputs, String(i), WEIGHTED_SUM_KERNEL));
    const shape = [...inputs['0']!.shape];
    const n = xs[0]!.length;
    if (xs.some((x) => x.length !== n)) throw new Error(`${WEIGHTED_SUM_KERNEL}: every input must have ${n} values`);
    return makeOutput(backend, shape, (out) => {
      if (n > 1 && typeof native.weightedSum === 'function') {
        native.weightedSum(xs, Float32Array.from(weights), out, n);
        return;
      }
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let i = 0; i < xs.length; i++) total = Math.fround(total + Math.fround(xs[i]![j]! * Math.fround(weights[i]!)));
        out[j] = total;
      }
    });
  },
};

/** The kernels above, registered on 'cpu' with the native path. */
export const FUSED_LOSS_KERNELS: readonly NativeAddedKernel[] = [
  softmaxCrossEntropyKernel, softmaxCrossEntropyGradKernel, sigmoidCrossEntropyKernel, sigmoidCrossEntropyGradKernel,
  maskedMeanKernel, maskedMeanGradKernel, weightedSumKernel,
];

const run = (name: string, inputs: Record<string, tf.Tensor>) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor | tf.Tensor[];

/** Gradient of {@link WEIGHTED_SUM_KERNEL}: input i gets w_i·dy (for scalars off a recording tape, written directly: no kernel). */
export const weightedSumGradient: tf.GradConfig = {
  kernelName: WEIGHTED_SUM_KERNEL,
  gradFunc: (dy, _saved, attrs) => {
    const weights = attrs['weights'] as number[];
    const grad = dy as tf.Tensor;
    const grads: Record<string, () => tf.Tensor> = {};
    weights.forEach((w, i) => {
      grads[String(i)] = () => {
        if (tapeRecording() || tf.getBackend() !== 'cpu' || grad.rank !== 0) return tf.mul(grad, w);
        const dyValue = input(tf.backend() as unknown as CpuBackend, { dy: grad }, 'dy', WEIGHTED_SUM_KERNEL)[0]!;
        return tf.scalar(Math.fround(dyValue * Math.fround(w)));
      };
    });
    return grads;
  },
};

/** Gradients of the two forward kernels; where a gradient is itself recorded they run as ordinary ops. */
export const FUSED_LOSS_GRADIENTS: readonly tf.GradConfig[] = [
  {
    kernelName: SOFTMAX_CROSS_ENTROPY_KERNEL,
    // The inputs, not the log-probabilities: a gradient recorded on a tape (second order)
    // then recomputes them from a tensor connected to the logits.
    inputsToSave: ['logits', 'labels'],
    gradFunc: (dy, saved) => {
      const [logits, labels] = saved as [tf.Tensor, tf.Tensor];
      return {
        logits: () => {
          if (tapeRecording() || tf.getBackend() !== 'cpu') {
            const target = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), logits.shape[1]!);
            return tf.mul(tf.expandDims(dy as tf.Tensor, 1), tf.sub(tf.exp(tf.logSoftmax(logits)), target));
          }
          return run(SOFTMAX_CROSS_ENTROPY_GRAD_KERNEL, { dy: dy as tf.Tensor, logits, labels }) as tf.Tensor;
        },
        labels: () => tf.zerosLike(labels),
      };
    },
  },
  {
    kernelName: SIGMOID_CROSS_ENTROPY_KERNEL,
    inputsToSave: ['logits', 'labels'],
    gradFunc: (dy, saved) => {
      const [logits, labels] = saved as [tf.Tensor, tf.Tensor];
      const columns = logits.shape[1]!;
      return {
        logits: () => {
          if (tapeRecording() || tf.getBackend() !== 'cpu') {
            return tf.mul(tf.expandDims(tf.div(dy as tf.Tensor, columns), 1), tf.sub(tf.sigmoid(logits), labels));
          }
          return run(SIGMOID_CROSS_ENTROPY_GRAD_KERNEL, { dy: dy as tf.Tensor, logits, labels }) as tf.Tensor;
        },
        labels: () => tf.mul(tf.expandDims(tf.div(dy as tf.Tensor, -columns), 1), logits),
      };
    },
  },
  {
    kernelName: MASKED_MEAN_KERNEL,
    inputsToSave: ['mask'],
    gradFunc: (dy, saved) => {
      const [mask] = saved as [tf.Tensor];
      return {
        losses: () => {
          if (tapeRecording() || tf.getBackend() !== 'cpu') {
            return tf.mul(tf.cast(tf.greater(mask, 0), 'float32'), tf.div(dy as tf.Tensor, tf.maximum(tf.sum(mask), 1)));
          }
          return run(MASKED_MEAN_GRAD_KERNEL, { dy: dy as tf.Tensor, mask }) as tf.Tensor;
        },
        mask: () => tf.zerosLike(mask),
      };
    },
  },
  weightedSumGradient,
];

/** Turns the fused losses on (with the native path) or off. */
export function useFusedLosses(on: boolean): void {
  active = on;
}

const onCpu = (ts: tf.Tensor[]) =>
  active && tf.getBackend() === 'cpu' && ts.every((t) => t.dtype === 'float32' && t.isDisposed === false);

/**
 * Softmax cross-entropy per example (logits [n, k], labels [n, 1] of class indices) as
 * one kernel, or null when the fused losses are off or the inputs do not fit (then the
 * caller runs its composite ops).
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor1D | null {
  if (!onCpu([logits, labels]) || logits.rank !== 2 || labels.rank !== 2 || labels.shape[1] !== 1 ||
      labels.shape[0] !== logits.shape[0]) {
    return null;
  }
  return run(SOFTMAX_CROSS_ENTROPY_KERNEL, { logits, labels }) as tf.Tensor1D;
}

/**
 * Sigmoid cross-entropy per example, averaged over the label columns (logits and labels
 * [n, c]) as one kernel, or null when the fused losses are off or the inputs do not fit.
 */
export function fusedSigmoidCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor1D | null {
  if (!onCpu([logits, labels]) || logits.rank !== 2 || !tf.util.arraysEqual(logits.shape, labels.shape)) return null;
  return run(SIGMOID_CROSS_ENTROPY_KERNEL, { logits, labels }) as tf.Tensor1D;
}

/** Σ_{mask>0} losses / max(Σ mask, 1) as one kernel, or null when off or the inputs do not fit. */
export function fusedMaskedMean(losses: tf.Tensor, mask: tf.Tensor): tf.Scalar | null {
  if (!onCpu([losses, mask]) || losses.rank !== 1 || mask.rank !== 1 || losses.shape[0] !== mask.shape[0]) return null;
  return run(MASKED_MEAN_KERNEL, { losses, mask }) as tf.Scalar;
}

/**
 * Σ_t w_t·x_t over the non-null tensors (in order; all of one shape: the task losses,
 * or the tasks' gradients of one variable) as one kernel, or null when the fused
 * kernels are off, a tensor does not fit, or every one is null (the caller then runs
 * the composite ops, which give the same floats).
 */
export function fusedWeightedSum<T extends tf.Tensor>(tensors: ReadonlyArray<T | null>, weights: readonly number[]): T | null {
  const inputs: Record<string, tf.Tensor> = {};
  const used: number[] = [];
  tensors.forEach((t, i) => {
    if (!t) return;
    inputs[String(used.length)] = t;
    used.push(weights[i]!);
  });
  const present = Object.values(inputs);
  const shape = present[0]?.shape;
  if (!shape || !onCpu(present) || present.some((t) => !tf.util.arraysEqual(t.shape, shape)) || used.some((w) => typeof w !== 'number')) return null;
  return tf.engine().runKernel(WEIGHTED_SUM_KERNEL, inputs as unknown as tf.NamedTensorMap, { weights: used } as unknown as tf.NamedAttrMap) as T;
}
