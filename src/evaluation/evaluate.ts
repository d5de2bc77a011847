import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { disposeBatch, type Dataset } from '../data/dataset.js';
import { MtlError } from '../errors.js';
import type { LoadedMultiTaskModel } from '../inference/loadedModel.js';
import { maskedMeanLoss } from '../tasks/losses.js';
import type { Task } from '../tasks/task.js';

/** One task's evaluation: mean loss over labelled examples and every metric. */
export interface TaskEvaluation {
  /** Mean loss over the labelled examples; NaN when there is none (see `undefinedReasons`). */
  loss: number;
  /** Each metric; NaN where it is undefined on this data (see `undefinedReasons`). */
  metrics: Record<string, number>;
  /** Number of labelled examples the figures are computed on. */
  examples: number;
  /**
   * Why a figure is undefined, by metric name (`loss` for the loss): a task with no
   * labelled example, AUC of a split with one class. Absent when every figure is defined.
   * (Run files store an undefined figure as null.)
   */
  undefinedReasons?: Record<string, string>;
}

export type Evaluation = Record<string, TaskEvaluation>;

/** What {@link evaluate} needs of a model: its tasks and an inference forward pass. */
interface Evaluable {
  tasks: readonly Task[];
  forward(x: tf.Tensor, training: false): Record<string, tf.Tensor>;
}

function evaluable(model: MultiTaskModel | LoadedMultiTaskModel): Evaluable {
  if ('forward' in model) return model;
  if (!model.resolvedTasks) {
    throw new MtlError({
      code: 'model.no_metadata',
      path: 'evaluate(model)',
      expected: 'a model saved with tfjs-multitask task metadata (kinds, metrics, target scaling)',
      found: 'a loaded model without it (saved by an older version of tfjs-multitask or by plain tfjs)',
      fix: 'evaluate the run folder with mtl eval, or train again with this version',
    });
  }
  return { tasks: model.resolvedTasks, forward: (x) => model.predict(x) };
}

/**
 * Evaluate every task of a model on a data set (inference mode: no dropout, batch-norm
 * moving statistics). Examples without a label for a task count for nothing in that
 * task's loss and metrics. The model is a trained {@link MultiTaskModel} or one loaded
 * from its folder (`loadMultiTaskModel`); regression metrics are in the targets' own
 * units (a target scaling is undone before they are computed), the loss in the units
 * the model was trained on.
 */
export function evaluate(model: MultiTaskModel | LoadedMultiTaskModel, data: Dataset, batchSize = 512): Evaluation {
  const { tasks, forward } = evaluable(model);
  const accumulators = tasks.map((t) => t.metrics.map((m) => m.create()));
  const lossSums = tasks.map(() => 0);
  const counts = tasks.map(() => 0);
  for (const batch of data.batches({ batchSize })) {
    const results = tf.tidy(() => {
      const outputs = forward(batch.x, false);
      return tasks.map((t) => {
        const out = outputs[t.name]! as tf.Tensor2D;
        const loss = maskedMeanLoss(t.exampleLosses(out, batch.labels[t.name]!), batch.masks[t.name]!);
        return { loss, predictions: t.activate(out) };
      });
    });
    tasks.forEach((t, i) => {
      const { loss, predictions } = results[i]!;
      const n = batch.labelled[t.name] ?? 0;
      lossSums[i]! += loss.dataSync()[0]! * n;
      counts[i]! += n;
      const labels = batch.labels[t.name]!.dataSync() as Float32Array;
      const mask = batch.masks[t.name]!.dataSync() as Float32Array;
      const preds = predictions.dataSync() as Float32Array;
      for (const acc of accumulators[i]!) acc.update(labels, preds, mask, t.labelWidth, t.outputSize);
      loss.dispose();
      predictions.dispose();
    });
    disposeBatch(batch);
  }
  const out: Evaluation = {};
  tasks.forEach((t, i) => {
    const metrics: Record<string, number> = {};
    const reasons: Record<string, string> = {};
    const none = counts[i] === 0 ? `no labelled examples for task "${t.name}" in ${data.source}` : undefined;
    t.metrics.forEach((m, k) => {
      const acc = accumulators[i]![k]!;
      const value = acc.result();
      metrics[m.name] = value;
      if (!Number.isFinite(value)) reasons[m.name] = none ?? acc.undefinedReason?.() ?? 'not defined on these examples';
    });
    const loss = counts[i]! > 0 ? lossSums[i]! / counts[i]! : NaN;
    if (!Number.isFinite(loss)) reasons.loss = none ?? 'not finite';
    out[t.name] = { loss, metrics, examples: counts[i]!, ...(Object.keys(reasons).length > 0 ? { undefinedReasons: reasons } : {}) };
  });
  return out;
}
