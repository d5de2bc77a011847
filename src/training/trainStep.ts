import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import type { Batch } from '../data/dataset.js';
import { maskedMeanLoss } from '../tasks/losses.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { snapshotRandom } from './seededRandom.js';

/** Everything one training step needs besides the batch. */
export interface TrainStepArgs {
  model: MultiTaskModel;
  optimizer: Optimizer;
  method: WeightingMethod<unknown, unknown>;
  methodOptions: unknown;
  methodState: unknown;
  /** Weights used on the last step, reused when a task has no label in the batch (see below). */
  lastWeights: readonly number[];
  learningRate: number;
  /** Clip the global gradient norm of the step to this value; no clipping when undefined. */
  clipNorm?: number;
  gradientMode: GradientMode;
  epoch: number;
  step: number;
}

export interface TrainStepResult {
  /** Unweighted loss of every task labelled in the batch (absent tasks are missing). */
  losses: Record<string, number>;
  /** Task weights applied this step, in task order. */
  weights: number[];
  /** The weighting method's next state. */
  methodState: unknown;
  /** The architecture's auxiliary loss, when it has one. */
  auxiliary?: { name: string; value: number };
  /** Per-task gradient Gramian, when the method needed it (diagnostics). */
  gramian?: number[][];
}

/**
 * One optimisation step on one batch. It branches on what the weighting method
 * declares it needs, never on its name:
 * - `losses`: one forward and one backward pass of Σ_t w_t L_t (+ auxiliary loss);
 * - `gramian` / `gradients`: per-task gradients on the shared variables (or on the
 *   shared representation in `representation` mode), the method's weights, and one
 *   combined update Σ_t w_t g_t; task variables get their own task's gradient.
 *
 * Missing labels: a task with no label in the batch takes no part in the step: its
 * head variables get no gradient, so neither they nor their optimizer state change.
 * The method's `update` is then not called either (its state is per task and a partial
 * step would corrupt it); the present tasks reuse the weights of the last full step.
 */
export function trainStep(batch: Batch, args: TrainStepArgs): TrainStepResult {
  const { model, method } = args;
  const tasks = model.tasks;
  const present = tasks.map((t) => (batch.labelled[t.name] ?? 0) > 0);
  const allPresent = present.every(Boolean);
  if (!present.some(Boolean)) {
    return { losses: {}, weights: [...args.lastWeights], methodState: args.methodState };
  }
  const random = snapshotRandom();
  const result = method.needs === 'losses' ? lossStep(batch, args, present, allPresent) : gradientStep(batch, args, present, allPresent);
  if (method.afterStep && allPresent) {
    // Methods that learn from the step's effect (FAMO) get the losses on the same batch
    // after the update, with the same dropout masks as before it.
    const after = random.replay(() => tf.tidy(() => {
      const outputs = model.forward(batch.x, true);
      return tasks.map((t) => taskLoss(model, batch, t.name, outputs[t.name]!).dataSync()[0]!);
    }));
    result.methodState = method.afterStep(
      { before: tasks.map((t) => result.losses[t.name]!), after },
      result.methodState,
      args.methodOptions,
    );
  }
  return result;
}

function taskLoss(model: MultiTaskModel, batch: Batch, name: string, outputs: tf.Tensor2D): tf.Scalar {
  const task = model.tasks.find((t) => t.name === name)!;
  return maskedMeanLoss(task.exampleLosses(outputs, batch.labels[name]!), batch.masks[name]!);
}

function lossStep(batch: Batch, args: TrainStepArgs, present: boolean[], allPresent: boolean): TrainStepResult {
  const { model, method } = args;
  const tasks = model.tasks;
  const vars = [...model.sharedVariables, ...tasks.flatMap((t, i) => (present[i] ? model.taskVariables[t.name] ?? [] : []))];
  const losses: Record<string, number> = {};
  let weights = [...args.lastWeights];
  let methodState = args.methodState;
  let auxiliary: TrainStepResult['auxiliary'];
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.forward(batch.x, true);
    const lossTensors = tasks.map((t, i) => (present[i] ? taskLoss(model, batch, t.name, outputs[t.name]!) : null));
    const values = lossTensors.map((l) => (l ? l.dataSync()[0]! : NaN));
    tasks.forEach((t, i) => {
      if (present[i]) losses[t.name] = values[i]!;
    });
    if (allPresent) {
      const out = method.update({ losses: values, epoch: args.epoch, step: args.step }, methodState, args.methodOptions);
      weights = out.weights;
      methodState = out.state;
    }
    let total = tf.scalar(0);
    lossTensors.forEach((l, i) => {
      if (l) total = tf.add(total, tf.mul(l, weights[i]!));
    });
    const aux = model.auxiliaryLoss?.();
    if (aux) {
      auxiliary = { name: aux.name, value: aux.value.dataSync()[0]! };
      total = tf.add(total, aux.value);
    }
    return total as tf.Scalar;
  }, vars);
  value.dispose();
  applyUpdate(args, vars, grads);
  return { losses, weights, methodState, ...(auxiliary ? { auxiliary } : {}) };
}

/** Flatten a list of gradients (in variable order) into one row. */
function flatten(parts: tf.Tensor[]): tf.Tensor1D {
  return tf.concat(parts.map((p) => tf.reshape(p, [-1]))) as tf.Tensor1D;
}

function gradientStep(batch: Batch, args: TrainStepArgs, present: boolean[], allPresent: boolean): TrainStepResult {
  const { model, method } = args;
  const tasks = model.tasks;
  const shared = [...model.sharedVariables];
  const losses: Record<string, number> = {};
  const taskGrads = new Map<tf.Variable, tf.Tensor>();
  // Per present task: its gradient on the shared variables (or on the representation).
  const rows: tf.Tensor[][] = [];
  const useRepresentation = args.gradientMode === 'representation';
  if (useRepresentation && !model.representation) {
    throw new Error(`trainStep: gradient mode "representation" needs an architecture with one shared representation; "${model.architecture}" has none`);
  }
  let z: tf.Tensor | undefined;
  const random = snapshotRandom();
  if (useRepresentation) z = tf.tidy(() => model.representation!.encode(batch.x, true));
  const presentIdx = tasks.map((_, i) => i).filter((i) => present[i]);
  for (const i of presentIdx) {
    const task = tasks[i]!;
    const own = [...(model.taskVariables[task.name] ?? [])];
    if (useRepresentation) {
      const { value, grads } = tf.engine().gradients(
        () => taskLoss(model, batch, task.name, model.representation!.decode(task.name, z!, true)),
        [z!, ...own],
        undefined,
        true,
      );
      losses[task.name] = value.dataSync()[0]!;
      value.dispose();
      rows.push([grads[0]!]);
      own.forEach((v, k) => grads[k + 1] && taskGrads.set(v, grads[k + 1]!));
    } else {
      random.restore();
      const { value, grads } = tf.engine().gradients(
        () => taskLoss(model, batch, task.name, model.forward(batch.x, true)[task.name]!),
        [...shared, ...own],
        undefined,
        true,
      );
      losses[task.name] = value.dataSync()[0]!;
      value.dispose();
      rows.push(shared.map((v, k) => grads[k] ?? tf.zerosLike(v)));
      own.forEach((v, k) => grads[shared.length + k] && taskGrads.set(v, grads[shared.length + k]!));
    }
  }
  // Gramian (or the gradient matrix) on the host; T is small.
  const matrix = tf.tidy(() => tf.stack(rows.map(flatten)) as tf.Tensor2D);
  const gramianTensor = tf.tidy(() => tf.matMul(matrix, matrix, false, true));
  const gramianFlat = gramianTensor.dataSync();
  gramianTensor.dispose();
  const k = presentIdx.length;
  const gramian = Array.from({ length: k }, (_, r) => Array.from(gramianFlat.subarray(r * k, (r + 1) * k)));
  let weights = [...args.lastWeights];
  let methodState = args.methodState;
  let direction: Float32Array | undefined;
  if (allPresent) {
    const out = method.update(
      {
        losses: tasks.map((t) => losses[t.name]!),
        gramian,
        ...(method.needs === 'gradients' ? { gradients: splitRows(matrix.dataSync() as Float32Array, k) } : {}),
        epoch: args.epoch,
        step: args.step,
      },
      methodState,
      args.methodOptions,
    );
    weights = out.weights;
    methodState = out.state;
    direction = out.direction;
  }
  const presentWeights = presentIdx.map((i) => weights[i]!);
  const sharedGrads = new Map<tf.Variable, tf.Tensor>();
  if (useRepresentation) {
    // dL/dz = Σ_t w_t dL_t/dz (or the method's direction), then one backward pass through the encoder.
    const dz = tf.tidy(() =>
      direction
        ? tf.reshape(tf.tensor1d(direction), z!.shape)
        : rows.reduce<tf.Tensor>((acc, r, j) => tf.add(acc, tf.mul(r[0]!, presentWeights[j]!)), tf.zerosLike(z!)),
    );
    random.restore();
    const { value, grads } = tf.engine().gradients(() => model.representation!.encode(batch.x, true), shared, dz, true);
    value.dispose();
    dz.dispose();
    shared.forEach((v, k2) => sharedGrads.set(v, grads[k2] ?? tf.zerosLike(v)));
  } else {
    const combined = direction ? tf.tensor1d(direction) : null;
    let offset = 0;
    shared.forEach((v, j) => {
      const size = v.size;
      sharedGrads.set(
        v,
        tf.tidy(() =>
          combined
            ? tf.reshape(combined.slice(offset, size), v.shape)
            : rows.reduce<tf.Tensor>((acc, r, t) => tf.add(acc, tf.mul(r[j]!, presentWeights[t]!)), tf.zerosLike(v)),
        ),
      );
      offset += size;
    });
    combined?.dispose();
  }
  z?.dispose();
  matrix.dispose();
  for (const r of rows) for (const g of r) g.dispose();
  const grads = new Map([...sharedGrads, ...taskGrads]);
  // Like the loss step, only the shared variables and those of the tasks in the batch move.
  const movable = [...shared, ...tasks.flatMap((t, i) => (present[i] ? model.taskVariables[t.name] ?? [] : []))];
  const auxiliary = addAuxiliaryGradients(model, grads, movable);
  applyUpdate(args, [...grads.keys()], Object.fromEntries([...grads].map(([v, g]) => [v.name, g])));
  return { losses, weights, methodState, gramian, ...(auxiliary ? { auxiliary } : {}) };
}

/**
 * Stop a run whose step produced a non-finite task loss, with a coded error that says
 * where (`where` names the epoch and step) and how to fix it.
 */
export function assertFiniteLosses(losses: Record<string, number>, where: string, fix: string): void {
  for (const [task, value] of Object.entries(losses)) {
    if (!Number.isFinite(value)) {
      throw new MtlError({ code: 'training.diverged', path: `${where}, task "${task}"`, expected: 'a finite loss', found: String(value), fix });
    }
  }
}

/**
 * The architecture's auxiliary loss (a soft-sharing penalty, AdaShare's policy losses) is
 * not a task: it takes no part in the balancing and its gradient is added as it is.
 */
function addAuxiliaryGradients(
  model: MultiTaskModel,
  grads: Map<tf.Variable, tf.Tensor>,
  vars: readonly tf.Variable[],
): TrainStepResult['auxiliary'] {
  if (!model.auxiliaryLoss) return undefined;
  let name: string | undefined;
  const { value, grads: auxGrads } = tf.engine().gradients(
    () => {
      const aux = model.auxiliaryLoss!();
      if (!aux) return tf.scalar(0);
      name = aux.name;
      return aux.value;
    },
    [...vars],
    undefined,
    true,
  );
  const result = name === undefined ? undefined : { name, value: value.dataSync()[0]! };
  value.dispose();
  vars.forEach((v, i) => {
    const g = auxGrads[i];
    if (!g) return;
    const existing = grads.get(v);
    if (existing) {
      grads.set(v, tf.add(existing, g));
      existing.dispose();
      g.dispose();
    } else {
      grads.set(v, g);
    }
  });
  return result;
}

/** The k rows of a row-major matrix, as views. */
function splitRows(values: Float32Array, k: number): Float32Array[] {
  const d = values.length / k;
  return Array.from({ length: k }, (_, r) => values.subarray(r * d, (r + 1) * d));
}

/** Clip (global norm), hand the gradients to the optimizer, dispose them. */
function applyUpdate(args: TrainStepArgs, vars: readonly tf.Variable[], grads: tf.NamedTensorMap): void {
  const entries = vars.filter((v) => grads[v.name]).map((v) => [v, grads[v.name]!] as const);
  let scale = 1;
  if (args.clipNorm !== undefined && entries.length > 0) {
    const norm = tf.tidy(() => tf.sqrt(tf.addN(entries.map(([, g]) => tf.sum(tf.square(g))))).dataSync()[0]!);
    if (norm > args.clipNorm) scale = args.clipNorm / (norm + 1e-6);
  }
  const map = new Map<tf.Variable, tf.Tensor>();
  for (const [v, g] of entries) map.set(v, scale === 1 ? g : tf.mul(g, scale));
  args.optimizer.applyGradients(map, args.learningRate);
  for (const [v, g] of entries) {
    const used = map.get(v)!;
    if (used !== g) used.dispose();
    g.dispose();
  }
}
