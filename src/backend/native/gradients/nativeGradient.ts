import type * as tf from '@tensorflow/tfjs';

/**
 * A gradient the native path registers in place of tfjs's for one kernel. Built from
 * ordinary tfjs ops only, so it runs on every backend and can itself be differentiated.
 */
export interface NativeGradient {
  kernelName: string;
  /**
   * The replacement config, given the gradient registered before (tfjs's, which the
   * replacement may call for cases it leaves alone); null to keep `original`, e.g. when
   * its saved-tensor contract is not the one the replacement was written for.
   */
  replace(original: tf.GradConfig): tf.GradConfig | null;
}

/** Whether `config` saves exactly `inputs`, in this order, and no outputs. */
export function savesInputs(config: tf.GradConfig, inputs: readonly string[]): boolean {
  const saved = config.inputsToSave ?? [];
  return !config.saveAllInputs && !(config.outputsToSave ?? []).some(Boolean) &&
    saved.length === inputs.length && saved.every((name, i) => name === inputs[i]);
}
