import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import type { Batch } from '../data/dataset.js';
import { fusedWeightedSum } from '../backend/native/fusedLosses.js';
import { maskedMeanLoss, weightedLossSum } from '../tasks/losses.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { snapshotRandom } from '../random/seededRandom.js';
import { DivergenceError, describeGradient, nonFiniteTensors } from './divergence.js';

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
  /**
   * Also compute the per-task gradient Gramian for the result (diagnostics) when the
   * method does not use it (`needs: 'gradients'`): one more T×d by d×T product and a
   * download. `gramian` methods always get it. @defaultValue false
   */
  returnGramian?: boolean;
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
  /** Per-task gradient Gramian, when the method needed it or `returnGramian` asked for it (diagnostics). */
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
  const result = method.needs === 'losses' ? lossStep(batch, args, present, allPresent, random) : gradientStep(batch, args, present, allPresent);
  if (method.afterStep && allPresent) {
    // Methods that learn from the step's effect (FAMO) get the losses on the same batch
    // after the update, with the same dropout masks as before it.
    const after = random.replay(() => tf.tidy(() => {
      const outputs = model.forward(batch.x, true);
      return tasks.map((t) => taskLoss(model, batch, t.name, outputs[t.name]!).dataSync()[0]!);
    }));
    const badAfter = tasks.filter((_, i) => !Number.isFinite(after[i]!));
    if (badAfter.length > 0) {
      throw new DivergenceError(args.step, args.epoch, badAfter.map((t) => t.name), 'loss', `a non-finite loss right after the update (the method's after-step pass): ${badAfter.map((t) => `${t.name} ${after[tasks.indexOf(t)]}`).join(', ')}`);
    }
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

function lossStep(batch: Batch, args: TrainStepArgs, present: boolean[], allPresent: boolean, random: Replay): TrainStepResult {
  const { model, method } = args;
  const tasks = model.tasks;
  const vars = [...model.sharedVariables, ...tasks.flatMap((t, i) => (present[i] ? model.taskVariables[t.name] ?? [] : []))];
  const losses: Record<string, number> = {};
  let weights = [...args.lastWeights];
  let methodState = args.methodState;
  let auxiliary: TrainStepResult['auxiliary'];
  let diverged: DivergenceError | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.forward(batch.x, true);
    const lossTensors = tasks.map((t, i) => (present[i] ? taskLoss(model, batch, t.name, outputs[t.name]!) : null));
    const values = lossTensors.map((l) => (l ? l.dataSync()[0]! : NaN));
    tasks.forEach((t, i) => {
      if (present[i]) losses[t.name] = values[i]!;
    });
    // A non-finite loss never reaches the method (whose state it would poison).
    diverged = nonFiniteLosses(args, losses);
    if (allPresent && !diverged) {
      const out = method.update({ losses: values, epoch: args.epoch, step: args.step }, methodState, args.methodOptions);
      weights = out.weights;
      methodState = out.state;
      diverged = nonFiniteWeights(args, weights);
    }
    let total = weightedLossSum(lossTensors, weights.map((w) => (Number.isFinite(w) ? w : 0)));
    const aux = model.auxiliaryLoss?.();
    if (aux) {
      auxiliary = { name: aux.name, value: aux.value.dataSync()[0]! };
      total = tf.add(total, aux.value);
    }
    return total as tf.Scalar;
  }, vars);
  value.dispose();
  if (!diverged) {
    const entries = vars.filter((v) => grads[v.name]);
    const bad = nonFiniteTensors(entries.map((v) => grads[v.name]!));
    if (bad.length > 0) {
      const badVars = bad.map((k) => entries[k]!);
      const shared = new Set(model.sharedVariables);
      const owners = new Set(badVars.map((v) => ownerOf(model, v)).filter((t): t is string => t !== undefined));
      if (badVars.some((v) => shared.has(v))) for (const t of tasksWithNonFiniteGradients(batch, args, present, random)) owners.add(t);
      diverged = new DivergenceError(
        args.step,
        args.epoch,
        tasks.map((t) => t.name).filter((t) => owners.has(t)),
        'gradient',
        `${describeGradient(grads[badVars[0]!.name]!)} in ${describeVariables(model, badVars)}`,
      );
    }
  }
  if (diverged) {
    tf.dispose(Object.values(grads));
    throw diverged;
  }
  applyUpdate(args, vars, grads);
  return { losses, weights, methodState, ...(auxiliary ? { auxiliary } : {}) };
}

/** The seeded-random snapshot of a step, to replay its dropout masks. */
type Replay = ReturnType<typeof snapshotRandom>;

/** A divergence error for the tasks whose loss is not finite, or undefined. */
function nonFiniteLosses(args: TrainStepArgs, losses: Record<string, number>): DivergenceError | undefined {
  const bad = Object.entries(losses).filter(([, v]) => !Number.isFinite(v));
  if (bad.length === 0) return undefined;
  return new DivergenceError(args.step, args.epoch, bad.map(([t]) => t), 'loss', `a non-finite loss: ${bad.map(([t, v]) => `${t} ${v}`).join(', ')}`);
}

/** A divergence error when the weighting method returned non-finite task weights, or undefined. */
function nonFiniteWeights(args: TrainStepArgs, weights: readonly number[]): DivergenceError | undefined {
  if (weights.every(Number.isFinite)) return undefined;
  const tasks = args.model.tasks.map((t) => t.name);
  return new DivergenceError(
    args.step,
    args.epoch,
    tasks.filter((_, i) => !Number.isFinite(weights[i]!)),
    'weights',
    `non-finite task weights from method "${args.method.name}": [${weights.join(', ')}]`,
  );
}

/** The task a variable belongs to, or undefined for a shared (or auxiliary) one. */
function ownerOf(model: MultiTaskModel, v: tf.Variable): string | undefined {
  for (const [task, vars] of Object.entries(model.taskVariables)) if (vars.includes(v)) return task;
  return undefined;
}

function describeVariables(model: MultiTaskModel, vars: readonly tf.Variable[]): string {
  const shared = new Set(model.sharedVariables);
  const parts = new Set(vars.map((v) => (shared.has(v) ? 'the shared parameters' : ownerOf(model, v) ? `the parameters of task "${ownerOf(model, v)}"` : `variable ${v.name}`)));
  return [...parts].join(' and ');
}

/**
 * The failure path of a loss step whose combined shared gradient is not finite: each
 * task's own gradient on the shared variables, on the same batch with the same dropout
 * masks, to name the tasks it comes from.
 */
function tasksWithNonFiniteGradients(batch: Batch, args: TrainStepArgs, present: boolean[], random: Replay): string[] {
  const { model } = args;
  const shared = [...model.sharedVariables];
  const found: string[] = [];
  model.tasks.forEach((t, i) => {
    if (!present[i] || shared.length === 0) return;
    try {
      const bad = random.replay(() => {
        const { value, grads } = tf.variableGrads(() => taskLoss(model, batch, t.name, model.forward(batch.x, true)[t.name]!), shared);
        value.dispose();
        const result = nonFiniteTensors(Object.values(grads)).length > 0;
        tf.dispose(Object.values(grads));
        return result;
      });
      if (bad) found.push(t.name);
    } catch {
      // Diagnosis only: the divergence is reported either way.
    }
  });
  return found;
}

/** One backward pass from a tensor recorded on the current tape: gradients of `y` (seeded with `dy`) on `xs`; null where `y` does not depend on an x. */
type Backward = (y: tf.Tensor, xs: readonly tf.Tensor[], dy?: tf.Tensor) => Array<tf.Tensor | null>;

/** Runs `f` with the tape paused: for the work between and after the backward passes, which nothing differentiates. */
type Untaped = <R>(f: () => R) => R;

/**
 * Runs `fn` with tfjs's gradient tape recording, so that several backward passes can
 * share ONE forward pass: `fn` computes the forward pass, then calls `backward` once
 * per task (tfjs's nested-gradient support reuses the recorded tape; each call
 * backpropagates only through the part of the tape between its xs and y). Without it
 * every per-task gradient re-runs the forward pass. Gradients returned by `backward`
 * are kept; everything else `fn` creates is disposed when it returns, the tape with it.
 */
function onOneTape<T>(fn: (backward: Backward, untaped: Untaped) => T): T {
  let result!: T;
  // Every kept gradient, so that none outlives a step that throws.
  const kept: tf.Tensor[] = [];
  const state = (tf.engine() as unknown as { state?: { kernelDepth?: unknown } }).state;
  const canPause = typeof state?.kernelDepth === 'number';
  // The enclosing tape would record every op run while `fn` runs (for higher-order
  // gradients), cloning every tensor a kernel saves and adding a node that each later
  // backward pass scans. tfjs records nothing while kernelDepth > 0 (it is how it keeps
  // a kernel's inner ops off the tape): raise it around what needs no recording.
  const untaped: Untaped = (f) => {
    if (canPause) (state as { kernelDepth: number }).kernelDepth++;
    try {
      return f();
    } finally {
      if (canPause) (state as { kernelDepth: number }).kernelDepth--;
    }
  };
  // A backward pass is not recorded either (this call's own forward is `() => y`, which runs no op).
  const backward: Backward = (y, xs, dy) => untaped(() => {
    const { grads } = tf.engine().gradients(() => y, [...xs], dy, true);
    return grads.map((g) => {
      if (!g) return null;
      kept.push(g);
      return tf.keep(g);
    });
  });
  // The enclosing gradients() call only opens the tape: its own "backward" finds no path
  // from the anchor to its result and then frees the tape's saved tensors.
  const anchor = tf.scalar(0);
  try {
    const { value, grads } = tf.engine().gradients(() => {
      result = fn(backward, untaped);
      return tf.scalar(0);
    }, [anchor], undefined, true);
    value.dispose();
    tf.dispose(grads.filter((g): g is tf.Tensor => g !== null));
  } catch (error) {
    tf.dispose(kept);
    // tfjs frees the tape's saved tensors only after a backward pass that completes;
    // after a throw it would keep them until the process ends.
    const engineState = state as { gradientDepth?: number; activeTape?: Array<{ saved?: tf.Tensor[] }> | null } | undefined;
    if (engineState && engineState.gradientDepth === 0 && engineState.activeTape) {
      for (const node of engineState.activeTape) tf.dispose(node.saved ?? []);
      engineState.activeTape = null;
    }
    throw error;
  } finally {
    anchor.dispose();
  }
  return result;
}

function gradientStep(batch: Batch, args: TrainStepArgs, present: boolean[], allPresent: boolean): TrainStepResult {
  const { model, method } = args;
  const tasks = model.tasks;
  const shared = [...model.sharedVariables];
  const useRepresentation = args.gradientMode === 'representation';
  if (useRepresentation && !model.representation) {
    throw new Error(`trainStep: gradient mode "representation" needs an architecture with one shared representation; "${model.architecture}" has none`);
  }
  const presentIdx = tasks.map((_, i) => i).filter((i) => present[i]);
  // One forward pass recorded once; per present task one backward pass, on the shared
  // variables (or the representation z) and the task's own variables.
  const step = onOneTape((backward, untaped) => {
    const losses: Record<string, number> = {};
    const taskGrads = new Map<tf.Variable, tf.Tensor>();
    const rows: tf.Tensor[][] = [];
    const z = useRepresentation ? model.representation!.encode(batch.x, true) : undefined;
    const outputs = useRepresentation ? undefined : model.forward(batch.x, true);
    for (const i of presentIdx) {
      const task = tasks[i]!;
      const own = [...(model.taskVariables[task.name] ?? [])];
      const prediction = z ? model.representation!.decode(task.name, z, true) : outputs![task.name]!;
      const loss = taskLoss(model, batch, task.name, prediction);
      losses[task.name] = loss.dataSync()[0]!;
      const wrt: tf.Tensor[] = z ? [z] : shared;
      const grads = backward(loss, [...wrt, ...own]);
      rows.push(untaped(() => wrt.map((v, k) => grads[k] ?? tf.zerosLike(v))));
      own.forEach((v, k) => grads[wrt.length + k] && taskGrads.set(v, grads[wrt.length + k]!));
    }
    // Past the forward pass nothing is differentiated: the bookkeeping runs untaped (the
    // method's update does not, as a method may differentiate ops of its own).
    // The T×d gradient matrix, each row its task's gradients flattened in variable order
    // (one concatenation of all of them); then the Gramian (or the matrix) on the host.
    const k = presentIdx.length;
    const matrix = untaped(() => gradientMatrix(rows));
    // A non-finite loss or per-task gradient stops the step here, before the method sees it.
    let diverged = nonFiniteLosses(args, losses);
    if (!diverged) {
      const rowSums = untaped(() => tf.tidy(() => tf.sum(matrix, 1).dataSync()));
      const badRows = presentIdx.filter((_, j) => !Number.isFinite(rowSums[j]!));
      if (badRows.length > 0) {
        diverged = new DivergenceError(
          args.step,
          args.epoch,
          badRows.map((i) => tasks[i]!.name),
          'gradient',
          `a non-finite gradient on the shared ${z ? 'representation' : 'parameters'} (row sums ${badRows.map((i) => `${tasks[i]!.name} ${rowSums[presentIdx.indexOf(i)]}`).join(', ')})`,
        );
      }
    }
    if (diverged) {
      for (const r of rows) for (const g of r) g.dispose();
      for (const g of taskGrads.values()) g.dispose();
      return { losses, weights: [...args.lastWeights], methodState: args.methodState, gramian: undefined, grads: new Map<tf.Variable, tf.Tensor>(), diverged };
    }
    let gramian: number[][] | undefined;
    if (method.needs === 'gramian' || args.returnGramian) {
      const gramianFlat = untaped(() => tf.tidy(() => tf.matMul(matrix, matrix, false, true).dataSync()));
      gramian = Array.from({ length: k }, (_, r) => Array.from(gramianFlat.subarray(r * k, (r + 1) * k)));
    }
    let weights = [...args.lastWeights];
    let methodState = args.methodState;
    let direction: Float32Array | undefined;
    let taskScales: number[] | undefined;
    if (allPresent) {
      const out = method.update(
        {
          losses: tasks.map((t) => losses[t.name]!),
          ...(method.needs === 'gramian' ? { gramian } : {}),
          ...(method.needs === 'gradients' ? { gradients: splitRows(matrix.dataSync() as Float32Array, k) } : {}),
          ...(method.needs === 'gradients' && z
            ? { representation: { batchSize: z.shape[0]!, ...(method.readsRepresentation ? { values: z.dataSync() as Float32Array } : {}) } }
            : {}),
          epoch: args.epoch,
          step: args.step,
        },
        methodState,
        args.methodOptions,
      );
      weights = out.weights;
      methodState = out.state;
      direction = out.direction;
      taskScales = out.taskGradientScales;
      diverged = nonFiniteWeights(args, weights);
      if (!diverged && direction && !direction.every(Number.isFinite)) {
        diverged = new DivergenceError(args.step, args.epoch, [], 'weights', `a non-finite update direction from method "${method.name}"`);
      }
      if (!diverged && taskScales && taskScales.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
        diverged = new DivergenceError(args.step, args.epoch, [], 'weights', `non-finite task gradient scales ${JSON.stringify(taskScales)} from method "${method.name}"`);
      }
      if (!diverged && taskScales && (taskScales.length !== tasks.length || !taskScales.every((v) => Number.isFinite(v) && v >= 0))) {
        // A method that breaks its contract: a bug to report, not a divergence.
        for (const r of rows) for (const g of r) g.dispose();
        for (const g of taskGrads.values()) g.dispose();
        throw new MtlError({
          code: 'weighting.bad_output',
          path: `weighting.${method.name}.update`,
          expected: `${tasks.length} task gradient scales, each a finite number ≥ 0`,
          found: `taskGradientScales ${JSON.stringify(taskScales)}; expected ${tasks.length} finite numbers ≥ 0`,
          fix: `method "${method.name}" broke the weighting interface: report it`,
        });
      }
      if (diverged) {
        for (const r of rows) for (const g of r) g.dispose();
        for (const g of taskGrads.values()) g.dispose();
        return { losses, weights: [...args.lastWeights], methodState: args.methodState, gramian, grads: new Map<tf.Variable, tf.Tensor>(), diverged };
      }
    }
    return untaped(() => {
      const presentWeights = presentIdx.map((i) => weights[i]!);
      const sharedGrads = new Map<tf.Variable, tf.Tensor>();
      if (z) {
        // dL/dz = Σ_t w_t dL_t/dz (or the method's direction), then one backward pass
        // through the encoder from the recorded z.
        const dz = direction
          ? tf.reshape(tf.tensor1d(direction), z.shape)
          : weightedGradientSum(rows.map((r) => r[0]!), presentWeights, z);
        const grads = backward(z, shared, dz);
        shared.forEach((v, j) => sharedGrads.set(v, grads[j] ?? tf.keep(tf.zerosLike(v))));
      } else {
        const combined = direction ? tf.tensor1d(direction) : null;
        let offset = 0;
        shared.forEach((v, j) => {
          const size = v.size;
          sharedGrads.set(
            v,
            tf.keep(
              combined
                ? tf.reshape(combined.slice(offset, size), v.shape)
                : weightedGradientSum(rows.map((r) => r[j]!), presentWeights, v),
            ),
          );
          offset += size;
        });
      }
      if (taskScales) {
        presentIdx.forEach((i) => {
          const scale = taskScales![i]!;
          if (scale === 1) return;
          for (const v of model.taskVariables[tasks[i]!.name] ?? []) {
            const g = taskGrads.get(v);
            if (!g) continue;
            taskGrads.set(v, tf.keep(tf.mul(g, scale)));
            g.dispose();
          }
        });
      }
      for (const r of rows) for (const g of r) g.dispose();
      return { losses, weights, methodState, gramian, grads: new Map([...sharedGrads, ...taskGrads]), diverged: undefined as DivergenceError | undefined };
    });
  });
  const { losses, weights, methodState, gramian, grads } = step;
  if (step.diverged) throw step.diverged;
  // Like the loss step, only the shared variables and those of the tasks in the batch move.
  const movable = [...shared, ...tasks.flatMap((t, i) => (present[i] ? model.taskVariables[t.name] ?? [] : []))];
  const auxiliary = addAuxiliaryGradients(model, grads, movable);
  const entries = [...grads];
  const bad = nonFiniteTensors(entries.map(([, g]) => g));
  if (bad.length > 0) {
    const badVars = bad.map((k) => entries[k]![0]);
    const detail = `${describeGradient(entries[bad[0]!]![1])} in ${describeVariables(model, badVars)}${badVars.some((v) => shared.includes(v)) ? ` (the per-task gradients were finite: the combination by "${method.name}" with weights [${weights.join(', ')}] overflowed)` : ''}`;
    const owners = new Set(badVars.map((v) => ownerOf(model, v)));
    tf.dispose(entries.map(([, g]) => g));
    throw new DivergenceError(args.step, args.epoch, tasks.map((t) => t.name).filter((t) => owners.has(t)), 'gradient', detail);
  }
  applyUpdate(args, [...grads.keys()], Object.fromEntries([...grads].map(([v, g]) => [v.name, g])));
  return { losses, weights, methodState, ...(gramian ? { gramian } : {}), ...(auxiliary ? { auxiliary } : {}) };
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

/**
 * Σ_t w_t·g_t over the tasks' gradients of one tensor shaped like `like`, accumulated
 * from zeros in task order: one kernel on the native path (the same floats), else one
 * multiply and one add per task.
 */
function weightedGradientSum(grads: readonly tf.Tensor[], weights: readonly number[], like: tf.Tensor): tf.Tensor {
  return fusedWeightedSum(grads, weights) ??
    grads.reduce<tf.Tensor>((acc, g, t) => tf.add(acc, tf.mul(g, weights[t]!)), tf.zerosLike(like));
}

/**
 * The T×d matrix of the tasks' gradients, row t the gradients of task t flattened in
 * variable order. On the cpu backend the values are copied into one new tensor (one
 * engine call instead of a reshape per gradient and a concatenation); elsewhere tfjs ops
 * (reading the values back would download them from the device).
 */
function gradientMatrix(rows: readonly tf.Tensor[][]): tf.Tensor2D {
  const flat = rows.flat();
  if (tf.getBackend() === 'cpu' && flat.every((g) => g.dtype === 'float32')) {
    const d = rows[0]!.reduce((n, g) => n + g.size, 0);
    const values = new Float32Array(rows.length * d);
    let offset = 0;
    for (const g of flat) {
      values.set(g.dataSync() as Float32Array, offset);
      offset += g.size;
    }
    return tf.tensor2d(values, [rows.length, d]);
  }
  return tf.reshape(tf.concat(flat.map((g) => tf.reshape(g, [-1]))), [rows.length, -1]) as tf.Tensor2D;
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
