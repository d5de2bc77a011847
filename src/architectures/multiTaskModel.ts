import type * as tf from '@tensorflow/tfjs';
import type { Task } from '../tasks/task.js';

/**
 * A multi-task model as the trainer sees it. Architectures build one of these and
 * declare which variables are shared and which belong to each task: gradient-based
 * balancing methods combine per-task gradients on the shared variables only, and a
 * task with no label in a batch leaves its own variables (and their optimizer state)
 * untouched.
 */
export interface MultiTaskModel {
  /** The architecture's registry name, e.g. `hard-sharing`. */
  readonly architecture: string;
  readonly tasks: readonly Task[];
  /**
   * The whole network as one ordinary tfjs model: one input, one output per task in
   * `tasks` order (head outputs: logits for classification). This is what is saved,
   * loaded in Node or the browser, and used for prediction.
   */
  readonly model: tf.LayersModel;
  /** Variables every task's loss depends on. */
  readonly sharedVariables: readonly tf.Variable[];
  /** Variables that only one task's loss depends on, by task name. */
  readonly taskVariables: Readonly<Record<string, readonly tf.Variable[]>>;
  /** Forward pass for training or evaluation: head outputs by task name. */
  forward(x: tf.Tensor, training: boolean): Record<string, tf.Tensor2D>;
  /**
   * When the architecture has one shared representation z = f(x) that every head reads
   * (hard sharing), the two halves separately; used by representation-gradient methods.
   */
  readonly representation?: {
    encode(x: tf.Tensor, training: boolean): tf.Tensor;
    decode(task: string, z: tf.Tensor, training: boolean): tf.Tensor2D;
  };
  /** An extra loss the architecture adds to the task losses (e.g. a soft-sharing penalty), with its name for logging. */
  auxiliaryLoss?(): { name: string; value: tf.Scalar } | null;
  /** Number of trainable parameters. */
  parameterCount(): number;
}

/** The tf.Variable behind each trainable weight of a layer or model. */
export function variablesOf(container: { trainableWeights: tf.LayerVariable[] }): tf.Variable[] {
  return container.trainableWeights.map((w) => w.read() as tf.Variable);
}
