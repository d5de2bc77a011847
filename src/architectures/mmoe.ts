import * as tf from '@tensorflow/tfjs';
import { MtlError, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { gate, gateReader, mixExperts, type GateWeights } from './expertMixture.js';
import { functionalMultiTaskModel } from './functionalModel.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';
import { applySymbolic, assertIndependentCopies, assertTasks, featureShape, stageFactory, stageModel } from './stages.js';

export interface MmoeArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** One expert: every expert is a fresh copy of this encoder. */
  encoder: EncoderSpec | EncoderStages;
  /** Number of experts E. @defaultValue 4 */
  experts?: number;
}

/** A multi-task model with gates over experts whose mean weights can be logged. */
export interface GatedMultiTaskModel extends MultiTaskModel {
  /** Mean gate weights over the batch `x`, one entry per gate (evaluated in inference mode). */
  gateWeights(x: tf.Tensor): GateWeights[];
}

/**
 * Multi-gate Mixture-of-Experts, MMoE (Ma, Zhao, Yi, Chen, Hong & Chi, KDD 2018):
 * E experts f_e (copies of the encoder) read the input; every task t has a softmax
 * gate g_t(x) = softmax(W_t x) over the experts (on the flattened input) and its tower
 * (the task's head) reads Σ_e g_t(x)_e · f_e(x).
 *
 * Declared split: the experts are shared; each task's gate and head belong to it.
 * `gateWeights(x)` returns each task gate's mean weights on a batch, for logging.
 *
 * @example
 * const model = mmoe({ tasks, inputShape: [16], encoder: { type: 'mlp', hidden: [16] }, experts: 8 });
 * model.gateWeights(x); // [{ gate: 'task:a', level: 0, experts: ['expert0', …], weights: [0.13, …] }, …]
 */
export function mmoe(args: MmoeArgs): GatedMultiTaskModel {
  const { tasks, inputShape } = args;
  assertTasks(tasks);
  const count = args.experts ?? 4;
  if (!Number.isInteger(count) || count < 1) {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.experts', expected: 'a positive integer', found: describeValue(count) });
  }
  const copy = stageFactory(args.encoder, inputShape, 'mmoe');
  const experts = Array.from({ length: count }, (_, e) => stageModel(copy(), inputShape, `expert${e}`));
  assertIndependentCopies(experts);
  const input = tf.input({ shape: [...inputShape] });
  const expertOutputs = experts.map((e) => applySymbolic(e, input));
  const expertNames = experts.map((e) => e.name);
  const gates = tasks.map((t) => gate(input, count, `gate_${t.name}`));
  const heads = tasks.map((t) => buildHead(t, featureShape(expertOutputs[0]!)));
  const outputs = tasks.map((_, i) => applySymbolic(heads[i]!, mixExperts(gates[i]!.weights, expertOutputs)));
  const model = tf.model({ inputs: input, outputs, name: 'mtl_mmoe' });
  const taskVariables: Record<string, tf.Variable[]> = {};
  tasks.forEach((t, i) => {
    taskVariables[t.name] = [...variablesOf(gates[i]!.model), ...variablesOf(heads[i]!)];
  });
  const readGates = gateReader(
    input,
    tasks.map((t, i) => ({ gate: `task:${t.name}`, level: 0, experts: expertNames, weights: gates[i]!.weights })),
  );
  return {
    ...functionalMultiTaskModel({ architecture: 'mmoe', tasks, model, sharedVariables: experts.flatMap(variablesOf), taskVariables }),
    gateWeights: readGates,
  };
}
