import * as tf from '@tensorflow/tfjs';
import type { Task } from '../tasks/task.js';
import type { MultiTaskModel } from './multiTaskModel.js';

/** What an architecture whose whole forward pass is one tfjs model declares. */
export interface FunctionalModelArgs {
  architecture: string;
  tasks: readonly Task[];
  /** One input, one output per task in `tasks` order. */
  model: tf.LayersModel;
  sharedVariables: readonly tf.Variable[];
  taskVariables: Readonly<Record<string, readonly tf.Variable[]>>;
  auxiliaryLoss?: () => { name: string; value: tf.Scalar } | null;
}

/** Outputs of a multi-output model applied eagerly, as a list in output order. */
export function outputList(outputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(outputs) ? outputs : [outputs];
}

/**
 * A {@link MultiTaskModel} whose forward pass is `model.apply(x)`: training and
 * prediction run exactly the network that is saved and loaded.
 */
export function functionalMultiTaskModel(args: FunctionalModelArgs): MultiTaskModel {
  const { model, tasks } = args;
  return {
    architecture: args.architecture,
    tasks,
    model,
    sharedVariables: args.sharedVariables,
    taskVariables: args.taskVariables,
    forward(x, training) {
      const outputs = outputList(model.apply(x, { training }) as tf.Tensor | tf.Tensor[]);
      const out: Record<string, tf.Tensor2D> = {};
      tasks.forEach((t, i) => {
        out[t.name] = outputs[i] as tf.Tensor2D;
      });
      return out;
    },
    ...(args.auxiliaryLoss ? { auxiliaryLoss: args.auxiliaryLoss } : {}),
    parameterCount: () => model.countParams(),
  };
}
