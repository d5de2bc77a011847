import * as tf from '@tensorflow/tfjs';

/**
 * Fused optimizer updates: tfjs kernels that compute a variable's new value and slots
 * in one pass. A backend that registers them (the native CPU path does) spares each
 * step about a dozen element-wise kernels and their temporaries per variable; on any
 * other backend the optimizers run their composite version.
 */
export const FUSED_ADAM_KERNEL = 'MtlAdamUpdate';
export const FUSED_SGD_KERNEL = 'MtlSgdUpdate';

/**
 * Attributes of {@link FUSED_ADAM_KERNEL}; inputs are `variable`, `gradient`, `m`, `v`
 * and the outputs the new variable, m and v. The update is
 * g' = g + weightDecay·θ, m' = β1 m + (1−β1) g', v' = β2 v + (1−β2) g'²,
 * θ' = θ·decayFactor − stepSize·m' / (√v' + epsilonHat).
 */
export interface FusedAdamAttrs {
  beta1: number;
  beta2: number;
  stepSize: number;
  epsilonHat: number;
  weightDecay: number;
  decayFactor: number;
}

/**
 * Attributes of {@link FUSED_SGD_KERNEL}; inputs are `variable`, `gradient` and, with
 * momentum > 0, `buffer`; outputs the new variable and (with momentum) the new buffer.
 * g' = g + weightDecay·θ; b' = firstStep ? g' : μ b + g'; θ' = θ − lr·(nesterov ? g' + μ b' : b').
 */
export interface FusedSgdAttrs {
  learningRate: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  firstStep: boolean;
}

/** Whether the active backend has the fused kernel `kernelName`. */
export function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a fused update kernel; the caller owns (and must dispose) the returned tensors. */
export function runFused(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: FusedAdamAttrs | FusedSgdAttrs): tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
}
