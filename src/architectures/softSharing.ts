import * as tf from '@tensorflow/tfjs';
import { MtlError, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { functionalMultiTaskModel } from './functionalModel.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';
import { applySymbolic, assertIndependentCopies, assertTasks, featureShape, stageFactory, stageModel } from './stages.js';

export interface SoftSharingArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** The encoder every task gets its own copy of: a built-in spec or stages that create their layers when called. */
  encoder: EncoderSpec | EncoderStages;
  /** ρ, the weight of the squared L2 distance between corresponding tower parameters. @defaultValue 1e-3 */
  strength?: number;
}

/** Name under which the penalty is reported by the train step. */
export const SOFT_SHARING_PENALTY = 'soft-sharing penalty';

/**
 * Soft parameter sharing (Duong, Cohn, Bird & Cook, ACL 2015; the squared-L2 form of
 * the tensor-distance coupling of Yang & Hospedales, ICLR workshop 2017): every task
 * has its own copy ("tower") of the encoder and its own head; no parameter is shared.
 * The towers are tied by the auxiliary loss
 *
 *   ρ · Σ_{weights k} Σ_{t<s} ‖W_t^k − W_s^k‖²
 *
 * over corresponding trainable weights of the towers (kernels, biases, batch-norm
 * scales and offsets), which the train step adds to the task losses and logs as
 * `soft-sharing penalty`.
 *
 * Declared split: `sharedVariables` is empty and each tower belongs to its task (the
 * penalty couples the towers, but no task loss depends on another task's tower). So a
 * gradient-based balancing method has nothing to combine on this architecture.
 *
 * `strength` (ρ) defaults to 1e-3: with independently initialised towers the initial
 * penalty is then of the order of a task loss for a 256-wide MLP; raise it (1e-2 to
 * 1e-1) for tighter coupling, 0 trains T independent single-task networks.
 *
 * @example
 * const model = softSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [32] }, strength: 1e-2 });
 * const aux = model.auxiliaryLoss!(); // { name: 'soft-sharing penalty', value: scalar }
 */
export function softSharing(args: SoftSharingArgs): MultiTaskModel {
  const { tasks, inputShape } = args;
  assertTasks(tasks);
  const strength = args.strength ?? 1e-3;
  if (!Number.isFinite(strength) || strength < 0) {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.strength', expected: 'a finite number ≥ 0', found: describeValue(strength) });
  }
  const copy = stageFactory(args.encoder, inputShape, 'soft-sharing');
  const towers = tasks.map((t) => stageModel(copy(), inputShape, `tower_${t.name}`));
  assertIndependentCopies(towers);
  const input = tf.input({ shape: [...inputShape] });
  const heads: tf.LayersModel[] = [];
  const outputs = tasks.map((t, i) => {
    const z = applySymbolic(towers[i]!, input);
    const head = buildHead(t, featureShape(z));
    heads.push(head);
    return applySymbolic(head, z);
  });
  const model = tf.model({ inputs: input, outputs, name: 'mtl_soft_sharing' });
  const towerVariables = towers.map(variablesOf);
  const taskVariables: Record<string, tf.Variable[]> = {};
  tasks.forEach((t, i) => {
    taskVariables[t.name] = [...towerVariables[i]!, ...variablesOf(heads[i]!)];
  });
  // Corresponding weights: the k-th trainable weight of every tower (the copies are built alike).
  const groups = towerVariables[0]!.map((_, k) => towerVariables.map((vars) => vars[k]!));
  for (const group of groups) {
    if (group.some((v) => v === undefined || !tf.util.arraysEqual(v.shape, group[0]!.shape))) {
      throw new MtlError({
        code: 'model.bad_encoder',
        path: 'model.encoder.stages',
        expected: 'stage functions that build the same layers on every call (one identical tower per task)',
        found: 'towers whose weights differ in number or shape',
      });
    }
  }
  const auxiliaryLoss = () => {
    if (tasks.length < 2 || strength === 0) return null;
    const value = tf.tidy(() => {
      const terms: tf.Tensor[] = [];
      for (const group of groups) {
        for (let t = 0; t < group.length; t++) {
          for (let s = t + 1; s < group.length; s++) terms.push(tf.sum(tf.square(tf.sub(group[t]!, group[s]!))));
        }
      }
      return tf.mul(tf.addN(terms), strength) as tf.Scalar;
    });
    return { name: SOFT_SHARING_PENALTY, value };
  };
  return functionalMultiTaskModel({ architecture: 'soft-sharing', tasks, model, sharedVariables: [], taskVariables, auxiliaryLoss });
}
