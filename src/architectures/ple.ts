import * as tf from '@tensorflow/tfjs';
import { MtlError, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { gate, gateReader, mixExperts, type GateWeights } from './expertMixture.js';
import { functionalMultiTaskModel } from './functionalModel.js';
import { buildHead } from './heads.js';
import type { GatedMultiTaskModel } from './mmoe.js';
import { variablesOf } from './multiTaskModel.js';
import { applySymbolic, assertIndependentCopies, assertTasks, featureShape, stageFactory, stageModel, type Stage } from './stages.js';

export interface PleArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** The encoder whose stages the experts are made of (see `levels`). */
  encoder: EncoderSpec | EncoderStages;
  /**
   * Number of CGC levels. The encoder's S stages are split into this many consecutive
   * groups (as evenly as possible, earlier groups taking the extra stage); the experts
   * of level k are copies of group k. 1 gives a single CGC whose experts are whole
   * encoders. @defaultValue the number of encoder stages (one level per stage)
   */
  levels?: number;
  /** Shared experts per level. @defaultValue 1 */
  sharedExperts?: number;
  /** Task-specific experts per task and level. @defaultValue 1 */
  taskExperts?: number;
}

/**
 * Progressive Layered Extraction, PLE (Tang, Liu, Zhao & Gong, RecSys 2020): stacked
 * Customized Gate Control (CGC) levels. Level k has `sharedExperts` shared experts
 * reading the shared input and `taskExperts` experts per task reading that task's
 * input; task t's gate (softmax over its own and the shared experts, reading the
 * task's input) gives the task's input to the next level, and, except at the last
 * level, a shared gate over all experts (reading the shared input) gives the next
 * level's shared input. Level 0's inputs are all x; each task's head (tower) reads its
 * last-level mixture. Experts at level k are copies of the k-th group of encoder stages,
 * the generalisation of the reference implementations that give each ResNet layer its
 * own CGC level.
 *
 * Declared split, from what each task's loss depends on: shared experts and shared
 * gates are shared; below the last level a task's experts feed the shared gate and so
 * are shared too, as are a task's gates below level L−2; task t's last-level experts,
 * its gates at the last two levels and its head belong to it. With `levels: 1` (CGC)
 * this is the familiar split: shared experts shared, everything else per task.
 * `gateWeights(x)` returns every gate's mean weights on a batch, for logging.
 *
 * @example
 * const model = ple({ tasks, inputShape: [16], encoder: { type: 'mlp', hidden: [16, 16] }, sharedExperts: 2 });
 */
export function ple(args: PleArgs): GatedMultiTaskModel {
  const { tasks, inputShape } = args;
  assertTasks(tasks);
  const copy = stageFactory(args.encoder, inputShape, 'ple');
  const stageCount = copy().length;
  const levels = args.levels ?? stageCount;
  const positive = (key: string, value: number, max = Infinity) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new MtlError({
        code: 'model.bad_option',
        path: `model.options.${key}`,
        expected: `an integer from 1 to ${max === Infinity ? '∞' : max}${key === 'levels' ? ' (the number of encoder stages)' : ''}`,
        found: describeValue(value),
        ...(key === 'levels' ? { fix: 'use fewer levels or an encoder with more stages' } : {}),
      });
    }
    return value;
  };
  positive('levels', levels, stageCount);
  const sharedCount = positive('sharedExperts', args.sharedExperts ?? 1);
  const taskCount = positive('taskExperts', args.taskExperts ?? 1);
  const groups = splitStages(stageCount, levels);
  const input = tf.input({ shape: [...inputShape] });
  const L = levels;
  const shared: tf.LayersModel[] = [];
  const own = new Map<string, tf.LayersModel[]>(tasks.map((t) => [t.name, []]));
  const experts: tf.LayersModel[] = [];
  const gateOutputs: Array<{ gate: string; level: number; experts: string[]; weights: tf.SymbolicTensor }> = [];
  let taskInputs: tf.SymbolicTensor[] = tasks.map(() => input);
  let sharedInput: tf.SymbolicTensor = input;
  for (let k = 0; k < L; k++) {
    const [from, to] = groups[k]!;
    const makeExpert = (x: tf.SymbolicTensor, name: string) => {
      const stages: Stage[] = copy().slice(from, to);
      const m = stageModel(stages, featureShape(x), name);
      experts.push(m);
      return { model: m, output: applySymbolic(m, x) };
    };
    const sharedExperts = Array.from({ length: sharedCount }, (_, e) => makeExpert(sharedInput, `ple${k}_shared_expert${e}`));
    shared.push(...sharedExperts.map((e) => e.model));
    const taskExperts = tasks.map((t, i) =>
      Array.from({ length: taskCount }, (_, e) => makeExpert(taskInputs[i]!, `ple${k}_${t.name}_expert${e}`)),
    );
    tasks.forEach((t, i) => (k === L - 1 ? own.get(t.name)! : shared).push(...taskExperts[i]!.map((e) => e.model)));
    const nextTaskInputs = tasks.map((t, i) => {
      const pool = [...taskExperts[i]!, ...sharedExperts];
      const g = gate(taskInputs[i]!, pool.length, `ple${k}_gate_${t.name}`);
      (k >= L - 2 ? own.get(t.name)! : shared).push(g.model);
      gateOutputs.push({ gate: `task:${t.name}`, level: k, experts: pool.map((e) => e.model.name), weights: g.weights });
      return mixExperts(g.weights, pool.map((e) => e.output));
    });
    if (k < L - 1) {
      const pool = [...taskExperts.flat(), ...sharedExperts];
      const g = gate(sharedInput, pool.length, `ple${k}_gate_shared`);
      shared.push(g.model);
      gateOutputs.push({ gate: 'shared', level: k, experts: pool.map((e) => e.model.name), weights: g.weights });
      sharedInput = mixExperts(g.weights, pool.map((e) => e.output));
    }
    taskInputs = nextTaskInputs;
  }
  assertIndependentCopies(experts);
  const outputs = tasks.map((t, i) => {
    const head = buildHead(t, featureShape(taskInputs[i]!));
    own.get(t.name)!.push(head);
    return applySymbolic(head, taskInputs[i]!);
  });
  const model = tf.model({ inputs: input, outputs, name: 'mtl_ple' });
  const taskVariables: Record<string, tf.Variable[]> = {};
  for (const [name, models] of own) taskVariables[name] = models.flatMap(variablesOf);
  return {
    ...functionalMultiTaskModel({ architecture: 'ple', tasks, model, sharedVariables: shared.flatMap(variablesOf), taskVariables }),
    gateWeights: gateReader(input, gateOutputs),
  };
}

/** Split `count` stages into `levels` consecutive [from, to) groups, earlier groups taking the remainder. */
export function splitStages(count: number, levels: number): Array<[number, number]> {
  const base = Math.floor(count / levels);
  const extra = count % levels;
  const groups: Array<[number, number]> = [];
  let from = 0;
  for (let k = 0; k < levels; k++) {
    const size = base + (k < extra ? 1 : 0);
    groups.push([from, from + size]);
    from += size;
  }
  return groups;
}
