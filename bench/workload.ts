/**
 * The synthetic training workloads the benchmarks share: an architecture (hard sharing
 * unless told) with a built-in encoder, random inputs and labels (one fixed batch), the
 * per-variable Adam, and one `trainStep` per call with any weighting method.
 */
import type { EncoderSpec } from '../src/architectures/encoders.js';
import { hardSharing } from '../src/architectures/hardSharing.js';
import type { MultiTaskModel } from '../src/architectures/multiTaskModel.js';
import { ArrayDataset, disposeBatch, type Batch } from '../src/data/dataset.js';
import { createTask } from '../src/tasks/createTask.js';
import type { Task } from '../src/tasks/task.js';
import { Adam } from '../src/training/optimizers/adam.js';
import { Random } from '../src/random/random.js';
import { installSeededRandom } from '../src/random/seededRandom.js';
import { trainStep } from '../src/training/trainStep.js';
import type { GradientMode, WeightingMethod } from '../src/weighting/method.js';

type AnyMethod = WeightingMethod<unknown, unknown>;

export interface Workload {
  name: string;
  tasks: number;
  step(method: AnyMethod, options: unknown, state: unknown, mode: GradientMode, step: number): unknown;
  dispose(): void;
}

/** Builds a multi-task model from tasks, an input shape and an encoder (hard sharing, MTAN, ...). */
export type ArchitectureBuilder = (args: { tasks: Task[]; inputShape: number[]; encoder: EncoderSpec }) => MultiTaskModel;

/**
 * One workload: `classes[t]` classes for task t (multiclass, softmax cross-entropy), or
 * with `kind: 'binary'` one 0/1 label per task (sigmoid cross-entropy; `classes` then
 * only gives the number of tasks).
 */
export function buildWorkload(
  name: string, inputShape: number[], classes: number[], encoder: EncoderSpec, head: { hidden: number[]; dropout: number },
  architecture: ArchitectureBuilder = hardSharing, batchSize = 256, kind: 'multiclass' | 'binary' = 'multiclass',
): Workload {
  installSeededRandom(0);
  const r = new Random(1);
  const n = batchSize;
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size).map(() => r.next());
  const targets = Object.fromEntries(
    classes.map((k, t) => [`t${t}`, { values: new Float32Array(n).map(() => r.int(kind === 'binary' ? 2 : k)), width: 1 }]),
  );
  const data = new ArrayDataset({ data: x, shape: [n, ...inputShape] }, targets);
  const tasks = classes.map((k, t) =>
    createTask(kind === 'binary' ? { name: `t${t}`, kind, head } : { name: `t${t}`, kind, classes: k, head }));
  const model = architecture({ tasks, inputShape, encoder });
  const optimizer = new Adam();
  const batch: Batch = [...data.batches({ batchSize: n })][0]!;
  return {
    name,
    tasks: tasks.length,
    step(method, methodOptions, methodState, gradientMode, step) {
      return trainStep(batch, {
        model, optimizer, method, methodOptions, methodState, lastWeights: tasks.map(() => 1),
        learningRate: 5e-4, gradientMode, epoch: 0, step,
      }).methodState;
    },
    dispose() {
      disposeBatch(batch);
      optimizer.dispose();
      model.model.dispose();
    },
  };
}

