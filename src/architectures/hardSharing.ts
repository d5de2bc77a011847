import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import type { Task } from '../tasks/task.js';
import { buildEncoder, type EncoderSpec, type EncoderStages } from './encoders.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';

export interface HardSharingArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
  inputShape: readonly number[];
  /** A built-in encoder spec, the stages of a user's own encoder, or a ready tfjs model. */
  encoder: EncoderSpec | EncoderStages | tf.LayersModel;
}

/**
 * Hard parameter sharing (Caruana, 1997): one shared encoder h = f(x; θ_shared) and
 * one head per task ŷ_t = g_t(h; θ_t). The encoder's variables are shared; each
 * head's variables belong to its task.
 *
 * @example
 * const model = hardSharing({ tasks, inputShape: [28, 28, 1], encoder: { type: 'lenet' } });
 * const outputs = model.forward(x, false); // { left: logits, right: logits }
 */
export function hardSharing(args: HardSharingArgs): MultiTaskModel {
  const { tasks, inputShape } = args;
  if (tasks.length === 0) {
    throw new MtlError({ code: 'model.no_tasks', path: 'tasks', expected: 'at least one task', found: 'none' });
  }
  const encoder = args.encoder instanceof tf.LayersModel ? args.encoder : buildEncoder(args.encoder, inputShape);
  const representationShape = (encoder.outputs[0]!.shape as number[]).slice(1);
  const heads = new Map(tasks.map((t) => [t.name, buildHead(t, representationShape)]));
  const input = tf.input({ shape: [...inputShape] });
  const z = encoder.apply(input) as tf.SymbolicTensor;
  const outputs = tasks.map((t) => heads.get(t.name)!.apply(z) as tf.SymbolicTensor);
  const model = tf.model({ inputs: input, outputs, name: 'mtl_hard_sharing' });
  const taskVariables: Record<string, tf.Variable[]> = {};
  for (const [name, head] of heads) taskVariables[name] = variablesOf(head);
  const decode = (task: string, rep: tf.Tensor, training: boolean) =>
    heads.get(task)!.apply(rep, { training }) as tf.Tensor2D;
  const encode = (x: tf.Tensor, training: boolean) => encoder.apply(x, { training }) as tf.Tensor;
  return {
    architecture: 'hard-sharing',
    tasks,
    model,
    sharedVariables: variablesOf(encoder),
    taskVariables,
    forward(x, training) {
      const rep = encode(x, training);
      const out: Record<string, tf.Tensor2D> = {};
      for (const t of tasks) out[t.name] = decode(t.name, rep, training);
      return out;
    },
    representation: { encode, decode },
    parameterCount: () => model.countParams(),
  };
}
