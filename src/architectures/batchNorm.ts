import * as tf from '@tensorflow/tfjs';

/**
 * Weight of the old value in the batch-norm layers' moving statistics:
 * moving ← momentum·moving + (1 − momentum)·batch statistic. 0.9, PyTorch's default
 * (its `momentum=0.1` counts the other way), which the reference implementations of the
 * architectures here were trained with. tfjs's and Keras's default, 0.99, averages over
 * the last ~100 steps: in a network still changing quickly, as in a few thousand steps
 * of training, the inference-time statistics then lag the weights so far that test
 * accuracy stays near chance while the training loss falls.
 */
export const BATCH_NORM_MOMENTUM = 0.9;

/** A batch-normalisation layer over the last axis with the library's momentum. */
export function batchNormalization(): tf.layers.Layer {
  return tf.layers.batchNormalization({ momentum: BATCH_NORM_MOMENTUM });
}

/** Every layer of a model, the layers of nested models included, each once. */
export function nestedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const seen = new Set<tf.layers.Layer>();
  const visit = (layer: tf.layers.Layer): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    for (const inner of (layer as unknown as { layers?: tf.layers.Layer[] }).layers ?? []) visit(inner);
  };
  visit(model as unknown as tf.layers.Layer);
  return [...seen];
}

/** Every batch-normalisation layer of a model, nested models included. */
export function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return nestedLayers(model).filter((l) => l.getClassName() === 'BatchNormalization');
}
