import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import type { Batch } from '../data/dataset.js';
import { MtlError } from '../errors.js';
import { maskedMeanLoss } from '../tasks/losses.js';
import type { StepContext } from '../training/fit.js';
import type { Optimizer, OptimizerSnapshot } from '../training/optimizers/optimizer.js';
import { snapshotRandom } from '../random/seededRandom.js';

/** The file an affinity run writes its averages to. */
export const AFFINITY_FILE = 'affinity.json';
/** The file of the individual recordings (one JSON line each), kept for resuming and for the transfer analysis. */
export const AFFINITY_RECORDS_FILE = 'affinity.jsonl';

/** Options of {@link AffinityRecorder}. */
export interface AffinityRecorderOptions {
  /** Record on every this-many-th step (steps 0, k, 2k, …). TAG's default. @defaultValue 10 */
  every?: number;
  /**
   * Append every recording to this JSON-lines file (step, epoch, both matrices), so that a
   * run resumed from a checkpoint keeps the recordings made before it was stopped.
   */
  file?: string;
  /** Read the recordings already in `file`; those at or after the step training resumes from are dropped. @defaultValue false */
  resume?: boolean;
}

/** Affinities averaged over a stretch of training. Matrices are source task by row, target task by column; null where never measured. */
export interface AffinityMatrices {
  /** Measurements averaged. */
  records: number;
  /** `affinity[i][j]` = mean Z_{i→j} = 1 − L_j(after a step on task i alone) / L_j(before). */
  affinity: (number | null)[][];
  /** `cosine[i][j]` = mean cosine between the gradients of tasks i and j on the shared parameters. */
  cosine: (number | null)[][];
}

/** What `affinity.json` holds: the averages over training and per epoch. */
export interface AffinityRecord extends AffinityMatrices {
  tasks: string[];
  every: number;
  /** The optimizer whose update rule made the lookahead steps. */
  optimizer: string;
  /** Per task pair, how many steps measured it (a task without labels in a batch is skipped there). */
  counts: number[][];
  epochs: Array<AffinityMatrices & { epoch: number }>;
}

/** One recording, as a line of the records file: matrices with null where a task had no label in the batch. */
export interface AffinityMeasurement {
  step: number;
  epoch: number;
  tasks: string[];
  optimizer: string;
  affinity: (number | null)[][];
  cosine: (number | null)[][];
}

/**
 * Records TAG's lookahead inter-task affinity during one joint training run (Fifty,
 * Amid, Zhao, Yu, Anil & Finn, "Efficiently Identifying Task Groupings for Multi-Task
 * Learning", NeurIPS 2021), plus the pairwise cosines of the task gradients. Pass
 * {@link beforeStep} to `fit` (`FitArgs.beforeStep`); fit knows nothing about it.
 *
 * Every `every` steps, on the batch the step is about to train on: the losses L_j of every
 * task; for each source task i, its gradient g_i on the shared parameters alone, a
 * lookahead update of the shared parameters with g_i by the run's own optimizer (its
 * update rule and state: Adam's moments and bias correction as they stand, at this step's
 * learning rate), every task's loss again on the same batch, and then the shared
 * parameters and the optimizer's state put back exactly. Z_{i→j} = 1 − L_j(after)/L_j(before)
 * (the paper's definition; the reference code also divides by the learning rate, which
 * only rescales a run with a constant rate). Z_{i→j} > 0: a step for i helps j; < 0: it hurts.
 *
 * Every forward pass of one recording replays the same random draws (the same dropout
 * masks), the batch-norm statistics they update are put back, and the seeded random
 * stream is restored afterwards, so training follows exactly the trajectory it has without
 * the recorder (tested bit for bit). No tensor outlives a recording.
 *
 * @example
 * ```ts
 * const recorder = new AffinityRecorder({ every: 10 });
 * await fit({ ...args, beforeStep: recorder.beforeStep });
 * const { affinity } = recorder.result(); // affinity[i][j] ≈ Z_{i→j}
 * ```
 */
export class AffinityRecorder {
  readonly every: number;
  private readonly file?: string;
  private measurements: AffinityMeasurement[] = [];
  private trimmed: boolean;
  /** A new recording starts its file at the first step, inside the run folder fit has opened by then. */
  private startFile: boolean;

  constructor(options: AffinityRecorderOptions = {}) {
    const every = options.every ?? 10;
    if (!Number.isInteger(every) || every < 1) {
      throw new MtlError({ code: 'grouping.bad_option', path: 'affinity.every', expected: 'a positive whole number of steps', found: String(every) });
    }
    this.every = every;
    this.file = options.file;
    this.trimmed = !options.resume;
    if (options.resume && this.file && existsSync(this.file)) this.measurements = readAffinityMeasurements(this.file);
    this.startFile = !(options.resume && this.file && existsSync(this.file)) && this.file !== undefined;
  }

  /** The hook for `FitArgs.beforeStep`. */
  readonly beforeStep = (context: StepContext): void => {
    if (this.startFile) {
      this.startFile = false;
      writeFileSync(this.file!, '');
    }
    if (!this.trimmed) {
      // The run resumed here: recordings from this step on are made again.
      this.trimmed = true;
      const kept = this.measurements.filter((m) => m.step < context.step);
      if (kept.length !== this.measurements.length && this.file) writeFileSync(this.file, kept.map((m) => JSON.stringify(m) + '\n').join(''));
      this.measurements = kept;
    }
    if (context.step % this.every !== 0) return;
    const { model } = context;
    if (model.sharedVariables.length === 0) {
      throw new MtlError({
        code: 'grouping.no_shared_parameters',
        path: 'model.architecture',
        expected: 'an architecture with shared parameters (TAG measures a step on them)',
        found: `"${model.architecture}" with none`,
        fix: 'record affinity with hard sharing (or another architecture that shares parameters)',
      });
    }
    const { affinity, cosine } = measureAffinity(context);
    const toJson = (m: Float64Array[]) => m.map((row) => Array.from(row, (v) => (Number.isNaN(v) ? null : v)));
    const record: AffinityMeasurement = {
      step: context.step,
      epoch: context.epoch,
      tasks: model.tasks.map((t) => t.name),
      optimizer: context.optimizer.type,
      affinity: toJson(affinity),
      cosine: toJson(cosine),
    };
    this.measurements.push(record);
    if (this.file) appendFileSync(this.file, JSON.stringify(record) + '\n');
  };

  /** Every recording so far, in step order. */
  recordings(): readonly AffinityMeasurement[] {
    return this.measurements;
  }

  /** The averages so far (over training and per epoch). */
  result(): AffinityRecord {
    return summarizeAffinity(this.measurements, this.every);
  }
}

/** Read the recordings of a records file (skipping a torn last line). */
export function readAffinityMeasurements(file: string): AffinityMeasurement[] {
  const out: AffinityMeasurement[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AffinityMeasurement);
    } catch {
      break;
    }
  }
  return out;
}

/** Average recordings over all of them and per epoch (null entries are skipped). */
export function summarizeAffinity(measurements: readonly AffinityMeasurement[], every: number): AffinityRecord {
  const tasks = measurements[0]?.tasks ?? [];
  const n = tasks.length;
  const average = (list: readonly AffinityMeasurement[]) => {
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const sums = { affinity: counts.map((r) => r.map(() => 0)), cosine: counts.map((r) => r.map(() => 0)) };
    for (const m of list) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const z = m.affinity[i]![j];
          if (z === null || z === undefined) continue;
          sums.affinity[i]![j]! += z;
          sums.cosine[i]![j]! += m.cosine[i]![j] ?? 0;
          counts[i]![j]! += 1;
        }
      }
    }
    const mean = (s: number[][]) => s.map((row, i) => row.map((v, j) => (counts[i]![j]! > 0 ? v / counts[i]![j]! : null)));
    return { records: list.length, affinity: mean(sums.affinity), cosine: mean(sums.cosine), counts };
  };
  const total = average(measurements);
  const epochs = [...new Set(measurements.map((m) => m.epoch))].sort((a, b) => a - b);
  return {
    tasks: [...tasks],
    every,
    optimizer: measurements[0]?.optimizer ?? '',
    records: total.records,
    affinity: total.affinity,
    cosine: total.cosine,
    counts: total.counts,
    epochs: epochs.map((epoch) => {
      const { records, affinity, cosine } = average(measurements.filter((m) => m.epoch === epoch));
      return { epoch, records, affinity, cosine };
    }),
  };
}

/** Per-task losses on the batch (NaN for a task with no label in it), from one forward pass. */
function taskLosses(model: MultiTaskModel, batch: Batch): number[] {
  return tf.tidy(() => {
    const outputs = model.forward(batch.x, true);
    return model.tasks.map((t) =>
      (batch.labelled[t.name] ?? 0) > 0 ? maskedMeanLoss(t.exampleLosses(outputs[t.name]!, batch.labels[t.name]!), batch.masks[t.name]!).dataSync()[0]! : NaN,
    );
  });
}

/** Try an optimizer update and undo it; optimizers without `snapshot` go through getState/setState. */
function optimizerSnapshot(optimizer: Optimizer, variables: readonly tf.Variable[]): OptimizerSnapshot {
  if (optimizer.snapshot) return optimizer.snapshot(variables);
  const state = optimizer.getState();
  return { restore: () => optimizer.setState(state), dispose: () => {} };
}

/** One TAG recording on the step's batch (NaN where a task has no label); leaves model, optimizer and random stream as they were. */
function measureAffinity(context: StepContext): { affinity: Float64Array[]; cosine: Float64Array[] } {
  const { model, batch, optimizer, learningRate } = context;
  const tasks = model.tasks;
  const n = tasks.length;
  const shared = [...model.sharedVariables];
  // Everything a forward pass in training mode may change (batch-norm moving statistics) or
  // a lookahead step changes (the shared parameters), saved to be put back exactly.
  const variables = [...new Set([...model.model.weights.map((w) => w.read() as tf.Variable), ...shared])];
  const saved = variables.map((v) => tf.clone(v));
  const random = snapshotRandom();
  const affinity = Array.from({ length: n }, () => new Float64Array(n).fill(NaN));
  const cosine = Array.from({ length: n }, () => new Float64Array(n).fill(NaN));
  const restoreWeights = () => variables.forEach((v, k) => v.assign(saved[k]!));
  try {
    const before = random.replay(() => taskLosses(model, batch));
    const present = tasks.map((_, i) => Number.isFinite(before[i]!));
    const gradients: tf.Tensor[][] = tasks.map(() => []);
    try {
      tasks.forEach((task, i) => {
        if (!present[i]) return;
        const { value, grads } = random.replay(() =>
          tf.variableGrads(() => {
            const outputs = model.forward(batch.x, true);
            return maskedMeanLoss(task.exampleLosses(outputs[task.name]!, batch.labels[task.name]!), batch.masks[task.name]!);
          }, shared),
        );
        value.dispose();
        gradients[i] = shared.map((v) => grads[v.name] ?? tf.zerosLike(v));
      });
      restoreWeights();
      // Cosines between the flattened gradients.
      const rows = tasks.map((_, i) => i).filter((i) => present[i]);
      if (rows.length > 0) {
        const gram = tf.tidy(() => {
          const matrix = tf.stack(rows.map((i) => tf.concat(gradients[i]!.map((g) => tf.reshape(g, [-1])))));
          return tf.matMul(matrix, matrix, false, true).dataSync();
        });
        const k = rows.length;
        rows.forEach((i, a) =>
          rows.forEach((j, b) => {
            const norms = Math.sqrt(Math.max(gram[a * k + a]!, 0) * Math.max(gram[b * k + b]!, 0));
            cosine[i]![j] = norms > 0 ? gram[a * k + b]! / norms : 0;
          }),
        );
      }
      // The lookahead step for each source task, undone after measuring.
      for (const i of rows) {
        const trial = optimizerSnapshot(optimizer, shared);
        try {
          optimizer.applyGradients(new Map(shared.map((v, k) => [v, gradients[i]![k]!])), learningRate);
          const after = random.replay(() => taskLosses(model, batch));
          for (const j of rows) affinity[i]![j] = 1 - after[j]! / before[j]!;
        } finally {
          trial.restore();
          trial.dispose();
          restoreWeights();
        }
      }
    } finally {
      for (const g of gradients) tf.dispose(g);
    }
  } finally {
    restoreWeights();
    tf.dispose(saved);
    random.restore();
  }
  return { affinity, cosine };
}
