import * as tf from '@tensorflow/tfjs';
import { MtlError, closest, describeValue } from '../errors.js';
import { sigmoidCrossEntropy, softmaxCrossEntropy, squaredError } from './losses.js';
import { METRICS } from './metrics.js';
import { TASK_KINDS, type Metric, type Task, type TaskKind, type TaskSpec } from './task.js';

/** The metrics a task reports when its spec names none, by kind (the first is the main one). */
export const DEFAULT_METRICS: Readonly<Record<TaskKind, readonly string[]>> = {
  multiclass: ['accuracy'],
  binary: ['auc', 'accuracy'],
  multilabel: ['f1', 'accuracy'],
  regression: ['mse', 'mae'],
};

const METRICS_FOR_KIND: Record<TaskKind, string[]> = {
  multiclass: ['accuracy'],
  binary: ['accuracy', 'auc', 'f1'],
  multilabel: ['accuracy', 'auc', 'f1'],
  regression: ['mse', 'rmse', 'mae'],
};

/**
 * Resolve a task spec into a {@link Task}: checks the kind, widths and metric names and
 * attaches the loss (softmax / sigmoid cross-entropy, mean squared error) and metrics.
 * `path` names the spec in error messages (e.g. `tasks[1]`).
 */
export function createTask<N extends string>(spec: TaskSpec<N>, path = `tasks.${spec.name}`): Task<N> {
  if (typeof spec.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(spec.name)) {
    throw new MtlError({
      code: 'task.bad_name',
      path: `${path}.name`,
      expected: 'a name of letters, digits, "_", "-" or "." starting with a letter or "_"',
      found: describeValue(spec.name),
    });
  }
  if (!TASK_KINDS.includes(spec.kind)) {
    const near = typeof spec.kind === 'string' ? closest(spec.kind, TASK_KINDS) : undefined;
    throw new MtlError({
      code: 'task.unknown_kind',
      path: `${path}.kind`,
      expected: `one of ${TASK_KINDS.map((k) => `"${k}"`).join(', ')}`,
      found: describeValue(spec.kind),
      fix: near ? `did you mean "${near}"?` : 'pick one of the kinds listed',
    });
  }
  const positiveInt = (key: 'classes' | 'outputs', value: unknown, min: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new MtlError({
        code: 'task.bad_width',
        path: `${path}.${key}`,
        expected: `an integer ≥ ${min} for a ${spec.kind} task`,
        found: describeValue(value),
      });
    }
    return value;
  };
  let outputSize: number;
  let labelWidth: number;
  switch (spec.kind) {
    case 'multiclass':
      outputSize = positiveInt('classes', spec.classes, 2);
      labelWidth = 1;
      break;
    case 'binary':
      if (spec.outputs !== undefined && spec.outputs !== 1) {
        throw new MtlError({
          code: 'task.bad_width',
          path: `${path}.outputs`,
          expected: 'outputs 1 (or no "outputs") for a binary task',
          found: describeValue(spec.outputs),
          fix: 'use kind "multilabel" for several independent 0/1 labels',
        });
      }
      outputSize = 1;
      labelWidth = 1;
      break;
    case 'multilabel':
      outputSize = positiveInt('outputs', spec.outputs, 1);
      labelWidth = outputSize;
      break;
    case 'regression':
      outputSize = spec.outputs === undefined ? 1 : positiveInt('outputs', spec.outputs, 1);
      labelWidth = outputSize;
      break;
  }
  if (spec.kind !== 'multiclass' && spec.classes !== undefined) {
    throw new MtlError({
      code: 'task.bad_width',
      path: `${path}.classes`,
      expected: `no "classes" for a ${spec.kind} task (only multiclass tasks have classes)`,
      found: describeValue(spec.classes),
      fix: spec.kind === 'multilabel' || spec.kind === 'regression' ? 'use "outputs" for the output width' : 'remove "classes"',
    });
  }
  const metricNames = spec.metrics ?? DEFAULT_METRICS[spec.kind];
  if (metricNames.length === 0) {
    throw new MtlError({ code: 'task.no_metric', path: `${path}.metrics`, expected: 'at least one metric', found: 'an empty list' });
  }
  const metrics: Metric[] = metricNames.map((m, i) => {
    const allowed = METRICS_FOR_KIND[spec.kind];
    if (!allowed.includes(m)) {
      const near = closest(String(m), allowed);
      throw new MtlError({
        code: 'task.unknown_metric',
        path: `${path}.metrics[${i}]`,
        expected: `a metric for ${spec.kind} tasks: one of [${allowed.join(', ')}]`,
        found: describeValue(m),
        fix: near ? `did you mean "${near}"?` : undefined,
      });
    }
    return METRICS[m]!;
  });
  const deltaMetrics = spec.deltaMetrics ?? [metricNames[0]!];
  if (!Array.isArray(deltaMetrics) || deltaMetrics.length === 0) {
    throw new MtlError({
      code: 'task.no_metric',
      path: `${path}.deltaMetrics`,
      expected: 'a non-empty list of the task\'s metrics',
      found: describeValue(spec.deltaMetrics),
      fix: `e.g. deltaMetrics: [${metricNames[0]}], or leave it out to use the first metric`,
    });
  }
  deltaMetrics.forEach((m, i) => {
    if (!metricNames.includes(m)) {
      const near = closest(String(m), metricNames);
      throw new MtlError({
        code: 'task.unknown_metric',
        path: `${path}.deltaMetrics[${i}]`,
        expected: `one of the task's metrics [${metricNames.join(', ')}]`,
        found: describeValue(m),
        fix: near ? `did you mean "${near}"?` : 'add it to metrics, or choose one of them',
      });
    }
  });
  const scaling = spec.targetScaling;
  if (scaling !== undefined) {
    const ok = (v: unknown, positive: boolean) =>
      Array.isArray(v) && v.length === outputSize && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (spec.kind !== 'regression' || !ok(scaling.mean, false) || !ok(scaling.std, true)) {
      throw new MtlError({
        code: 'task.bad_target_scaling',
        path: `${path}.targetScaling`,
        expected:
          spec.kind === 'regression'
            ? `{ mean, std }: ${outputSize} finite means and ${outputSize} positive standard deviations (one per output)`
            : 'no target scaling (only regression targets are standardised)',
        found: spec.kind === 'regression' ? `mean ${describeValue(scaling.mean)}, std ${describeValue(scaling.std)}` : `target scaling on a ${spec.kind} task`,
      });
    }
  }
  const hidden = spec.head?.hidden ?? [];
  const dropout = spec.head?.dropout ?? 0;
  hidden.forEach((h, i) => {
    if (!Number.isInteger(h) || h < 1) {
      throw new MtlError({ code: 'task.bad_head', path: `${path}.head.hidden[${i}]`, expected: 'a positive integer width', found: describeValue(h) });
    }
  });
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new MtlError({ code: 'task.bad_head', path: `${path}.head.dropout`, expected: 'a rate in [0, 1)', found: describeValue(dropout) });
  }
  const kind = spec.kind;
  const targetScaling = scaling ? { mean: [...scaling.mean], std: [...scaling.std] } : undefined;
  // Regression with standardised targets: the head learns (y − mean)/std, predictions are
  // mapped back. The two constants are made per call (a task holds no tensors to dispose).
  const shift = targetScaling ? () => tf.tensor1d(targetScaling.mean) : undefined;
  const scale = targetScaling ? () => tf.tensor1d(targetScaling.std) : undefined;
  return {
    name: spec.name,
    kind,
    outputSize,
    labelWidth,
    head: { hidden, dropout },
    metrics,
    deltaMetrics: [...deltaMetrics],
    ...(targetScaling ? { targetScaling } : {}),
    exampleLosses(outputs, labels) {
      switch (kind) {
        case 'multiclass':
          return softmaxCrossEntropy(outputs, labels);
        case 'binary':
        case 'multilabel':
          return sigmoidCrossEntropy(outputs, labels);
        case 'regression':
          return shift ? tf.tidy(() => squaredError(outputs, tf.div(tf.sub(labels, shift()), scale!()) as tf.Tensor2D)) : squaredError(outputs, labels);
      }
    },
    activate(outputs) {
      switch (kind) {
        case 'multiclass':
          return tf.softmax(outputs);
        case 'binary':
        case 'multilabel':
          return tf.sigmoid(outputs);
        case 'regression':
          return shift ? tf.tidy(() => tf.add(tf.mul(outputs, scale!()), shift()) as tf.Tensor2D) : outputs.clone();
      }
    },
  };
}
