import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import { featureEncoder, inputColumns, type FeatureEncoder } from '../preprocessing/preprocessor.js';
import { createTask } from '../tasks/createTask.js';
import type { Task } from '../tasks/task.js';
import { readModelMetadata, taskSpecOf, type ModelMetadata, type TaskMetadata } from './modelMetadata.js';

/**
 * A saved multi-task model, loaded: named outputs, predictions in the data's own terms
 * (probabilities and class names, regression values in the targets' units), and raw
 * rows in, predictions out. The browser entry and the Node loader both build it with
 * {@link wrapLoadedModel}, so `mtl predict` and a web page run the same code.
 */

/** A raw input record: column name → cell (a string as read from CSV, a number, a boolean, or null/undefined for missing). */
export type RawRecord = Readonly<Record<string, unknown>>;

/** A binary task's prediction: the more probable class and the probability of the positive one. */
export interface BinaryPrediction {
  label: string;
  probability: number;
}

/** A multiclass task's prediction: the most probable class and every class's probability. */
export interface MulticlassPrediction {
  label: string;
  probabilities: Record<string, number>;
}

/** A multilabel task's prediction: the labels with probability ≥ 0.5, and every label's probability. */
export interface MultilabelPrediction {
  labels: string[];
  probabilities: Record<string, number>;
}

/** A regression task's prediction in the targets' units: every output by name, and the first as `value`. */
export interface RegressionPrediction {
  value: number;
  values: Record<string, number>;
}

export type TaskPrediction = BinaryPrediction | MulticlassPrediction | MultilabelPrediction | RegressionPrediction;

/** One row's predictions, by task name. */
export type Prediction = Record<string, TaskPrediction>;

/** A loaded multi-task model: the tfjs model and its outputs named by task. */
export interface LoadedMultiTaskModel {
  /** The ordinary tfjs model: one input, one output per task. */
  readonly model: tf.LayersModel;
  /** Task names in output order. */
  readonly tasks: readonly string[];
  /** The `userDefinedMetadata` saved with the model (tfjs-multitask writes `tasks`, `architecture` and `mtl`). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The tfjs-multitask description of the model (tasks, output names, preprocessing); undefined for a model saved without it. */
  readonly description?: ModelMetadata;
  /** The input columns raw records need (tabular models), in order. */
  readonly columns?: readonly string[];
  /** The tasks rebuilt from the description (their losses, metrics and output activations), for `evaluate`. */
  readonly resolvedTasks?: readonly Task[];
  /** Every task's head output (logits for classification; standardised values for scaled regression) for a batch `x`, in one forward pass. The caller disposes them. */
  predict(x: tf.Tensor): Record<string, tf.Tensor>;
  /**
   * Every task's prediction for a batch `x`: probabilities (sigmoid, softmax) for
   * classification, values in the targets' own units for regression. The caller
   * disposes them.
   */
  predictValues(x: tf.Tensor): Record<string, tf.Tensor>;
  /** Raw records (tabular models) → the model's inputs, with the saved preprocessing. The caller disposes the tensor. */
  encodeRows(rows: readonly RawRecord[]): tf.Tensor2D;
  /**
   * Raw records → one prediction per row, by task, with class names and values in the
   * targets' units. `rowName(i)` names row i in error messages (default `rows[i]`).
   */
  predictRows(rows: readonly RawRecord[], options?: { batchSize?: number; rowName?: (i: number) => string }): Prediction[];
}

/**
 * Wrap a tfjs model saved by tfjs-multitask: names its outputs by task and, when the model has
 * tfjs-multitask metadata, adds predictions in the data's terms and `predictRows`.
 */
export function wrapLoadedModel(model: tf.LayersModel, path = 'model.json'): LoadedMultiTaskModel {
  const metadata = { ...((model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>) };
  const description = readModelMetadata(metadata, path);
  const tasks = description ? description.tasks.map((t) => t.name) : taskNamesOf(model);
  if (tasks.length !== model.outputs.length) {
    throw new MtlError({
      code: 'model.bad_metadata',
      path,
      expected: `one task per model output (${model.outputs.length} outputs)`,
      found: `${tasks.length} tasks in the metadata`,
      fix: 'save the model again with mtl train',
    });
  }
  const resolvedTasks = description?.tasks.map((t, i) => createTask(taskSpecOf(t), `${path}: tasks[${i}]`));
  const preprocessing = description?.preprocessing;
  const encoder: FeatureEncoder | undefined = preprocessing ? featureEncoder(preprocessing) : undefined;
  const columns = preprocessing ? inputColumns(preprocessing) : undefined;
  const predict = (x: tf.Tensor): Record<string, tf.Tensor> => {
    const out = model.predict(x);
    const list = Array.isArray(out) ? out : [out];
    const named: Record<string, tf.Tensor> = {};
    tasks.forEach((name, i) => {
      named[name] = list[i]!;
    });
    return named;
  };
  const needDescription = (what: string): ModelMetadata => {
    if (!description) {
      throw new MtlError({
        code: 'model.no_metadata',
        path,
        expected: `a model saved with tfjs-multitask task metadata (${what} needs its task kinds and output names)`,
        found: 'a model without it (saved by an older version of tfjs-multitask or by plain tfjs)',
        fix: 'train it again with this version (mtl train), or use predict(x) for the raw outputs',
      });
    }
    return description;
  };
  const predictValues = (x: tf.Tensor): Record<string, tf.Tensor> => {
    needDescription('predictValues');
    return tf.tidy(() => {
      const raw = predict(x);
      const out: Record<string, tf.Tensor> = {};
      resolvedTasks!.forEach((t) => {
        out[t.name] = t.activate(raw[t.name] as tf.Tensor2D);
      });
      return out;
    });
  };
  const encodeRows = (rows: readonly RawRecord[], first = 0, rowName: (i: number) => string = (i) => `rows[${i}]`): tf.Tensor2D => {
    const d = needDescription('encodeRows');
    if (!encoder || !columns) {
      throw new MtlError({
        code: 'model.no_preprocessing',
        path,
        expected: 'a model trained on tabular (CSV) data, which saves its preprocessing',
        found: `a model with inputs of shape [${d.inputShape.join(', ')}] and no preprocessing`,
        fix: 'give the model its input tensor with predict(x) / predictValues(x)',
      });
    }
    const x = new Float32Array(rows.length * encoder.width);
    const values = new Array<unknown>(columns.length);
    rows.forEach((row, i) => {
      if (row === null || typeof row !== 'object') {
        throw new MtlError({ code: 'data.bad_row', path: rowName(first + i), expected: `a record of the columns [${columns.join(', ')}]`, found: String(row) });
      }
      for (let k = 0; k < columns.length; k++) values[k] = row[columns[k]!];
      encoder.encode(values, x, i * encoder.width, () => rowName(first + i));
    });
    return tf.tensor2d(x, [rows.length, encoder.width]);
  };
  return {
    model,
    tasks,
    metadata,
    ...(description ? { description } : {}),
    ...(columns ? { columns } : {}),
    ...(resolvedTasks ? { resolvedTasks } : {}),
    predict,
    predictValues,
    encodeRows: (rows) => encodeRows(rows),
    predictRows(rows, options = {}) {
      const d = needDescription('predictRows');
      const batchSize = options.batchSize ?? 512;
      const out: Prediction[] = [];
      for (let start = 0; start < rows.length; start += batchSize) {
        const part = rows.slice(start, start + batchSize);
        const x = encodeRows(part, start, options.rowName);
        let values: Record<string, tf.Tensor>;
        try {
          values = predictValues(x);
        } finally {
          x.dispose();
        }
        const arrays = d.tasks.map((t) => values[t.name]!.dataSync() as Float32Array);
        tf.dispose(Object.values(values));
        for (let i = 0; i < part.length; i++) {
          const p: Prediction = {};
          d.tasks.forEach((t, k) => {
            p[t.name] = formatPrediction(t, arrays[k]!, i);
          });
          out.push(p);
        }
      }
      return out;
    },
  };
}

/** One row's prediction of one task from its activated outputs. */
export function formatPrediction(t: TaskMetadata, values: Float32Array, row: number): TaskPrediction {
  const w = t.outputSize;
  const at = (k: number) => values[row * w + k]!;
  switch (t.kind) {
    case 'binary': {
      const p = at(0);
      return { label: t.outputNames[p >= 0.5 ? 1 : 0]!, probability: p };
    }
    case 'multiclass': {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let k = 0; k < w; k++) {
        probabilities[t.outputNames[k]!] = at(k);
        if (at(k) > at(best)) best = k;
      }
      return { label: t.outputNames[best]!, probabilities };
    }
    case 'multilabel': {
      const probabilities: Record<string, number> = {};
      const labels: string[] = [];
      for (let k = 0; k < w; k++) {
        probabilities[t.outputNames[k]!] = at(k);
        if (at(k) >= 0.5) labels.push(t.outputNames[k]!);
      }
      return { labels, probabilities };
    }
    case 'regression': {
      const v: Record<string, number> = {};
      for (let k = 0; k < w; k++) v[t.outputNames[k]!] = at(k);
      return { value: at(0), values: v };
    }
  }
}

/**
 * Task names of a loaded model, in output order: the `tasks` list tfjs-multitask saves in the
 * model's metadata when it has one name per output; otherwise the output names, with
 * the `head_` prefix of tfjs-multitask task heads removed.
 */
export function taskNamesOf(model: tf.LayersModel): string[] {
  const metadata = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  const saved = metadata.tasks;
  if (Array.isArray(saved) && saved.length === model.outputs.length && saved.every((n) => typeof n === 'string')) {
    return [...(saved as string[])];
  }
  return model.outputNames.map((name) => name.replace(/^head_/, ''));
}
