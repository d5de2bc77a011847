import * as tf from '@tensorflow/tfjs';
import type { Task } from '../tasks/task.js';

/**
 * A task head: dense ReLU layers (`task.head.hidden`, each followed by dropout when
 * `task.head.dropout` > 0) and a linear output layer of `task.outputSize` units.
 */
export function buildHead(task: Task, inputShape: readonly number[]): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  let h: tf.SymbolicTensor = input;
  if (inputShape.length > 1) h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  for (const units of task.head.hidden) {
    h = tf.layers.dense({ units, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    if (task.head.dropout > 0) h = tf.layers.dropout({ rate: task.head.dropout }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.dense({ units: task.outputSize }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name: `head_${task.name}` });
}
