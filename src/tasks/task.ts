import type * as tf from '@tensorflow/tfjs';

/**
 * What a task predicts:
 * - `binary`: one logit, label 0/1, sigmoid cross-entropy;
 * - `multiclass`: `classes` logits, label = class index, softmax cross-entropy;
 * - `multilabel`: `outputs` independent logits, labels 0/1 each, sigmoid cross-entropy;
 * - `regression`: `outputs` real values, mean squared error.
 */
export type TaskKind = 'binary' | 'multiclass' | 'multilabel' | 'regression';

export const TASK_KINDS: readonly TaskKind[] = ['binary', 'multiclass', 'multilabel', 'regression'];

/** The task-specific head: a small MLP on the shared representation. */
export interface HeadSpec {
  /** Hidden layer widths (ReLU) before the output layer. @defaultValue [] */
  hidden?: number[];
  /** Dropout rate after each hidden layer. @defaultValue 0 */
  dropout?: number;
}

/** A task as data, as written in an experiment file. `N` is the task name, so names type-check as a literal union. */
export interface TaskSpec<N extends string = string> {
  name: N;
  kind: TaskKind;
  /** Number of classes, for `multiclass`. */
  classes?: number;
  /** Output width for `multilabel` (number of labels) and `regression`. @defaultValue 1 */
  outputs?: number;
  head?: HeadSpec;
  /**
   * Metrics reported for the task; the first is the task's main metric. Defaults per
   * kind: multiclass `accuracy`; binary `auc`, `accuracy`; multilabel `f1`, `accuracy`;
   * regression `mse`, `mae`.
   */
  metrics?: string[];
  /**
   * The metrics this task contributes to Δm (averaged within the task first, so every
   * task counts equally; see `deltaM`); each must be one of `metrics`.
   * @defaultValue the first of `metrics`
   */
  deltaMetrics?: string[];
  /**
   * Regression only: standardisation of the targets, per output: the head learns
   * (y − mean) / std (the loss is computed on that scale), and predictions and metrics
   * are mapped back to the targets' own units. Fitted on the training rows by the data
   * loaders (`standardize`).
   */
  targetScaling?: TargetScaling;
}

/** Per-output mean and standard deviation of regression targets (see {@link TaskSpec.targetScaling}). */
export interface TargetScaling {
  mean: number[];
  std: number[];
}

/** Whether a bigger metric value is better. */
export type MetricDirection = 'higher' | 'lower';

/**
 * A metric accumulated over an evaluation pass on the host: `update` gets one batch's
 * labels, predictions (after the output activation: probabilities for classification)
 * and mask as flat typed arrays; `result` gives the value.
 */
export interface Metric {
  readonly name: string;
  readonly direction: MetricDirection;
  create(): MetricAccumulator;
}

export interface MetricAccumulator {
  update(labels: Float32Array, predictions: Float32Array, mask: Float32Array, width: number, outputWidth: number): void;
  /** The metric over everything seen; NaN when nothing was seen. */
  result(): number;
  /** Why `result()` is NaN (e.g. "only one class among the 12 labelled examples"), when the metric can tell. */
  undefinedReason?(): string | undefined;
}

/** A resolved task: its spec plus the loss and metrics the trainer and evaluator use. */
export interface Task<N extends string = string> {
  readonly name: N;
  readonly kind: TaskKind;
  /** Width of the head's output (logits or values). */
  readonly outputSize: number;
  /** Width of one example's label (1 for binary and multiclass). */
  readonly labelWidth: number;
  readonly head: Required<HeadSpec>;
  readonly metrics: readonly Metric[];
  /** The names of the metrics this task contributes to Δm (see {@link TaskSpec.deltaMetrics}). */
  readonly deltaMetrics: readonly string[];
  /** Regression targets' standardisation, when the task has one (see {@link TaskSpec.targetScaling}). */
  readonly targetScaling?: TargetScaling;
  /**
   * Per-example loss, shape [batch], from head outputs (logits for classification)
   * and labels [batch, labelWidth]. Masking is applied by {@link maskedMeanLoss}.
   */
  exampleLosses(outputs: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D;
  /**
   * Output activation turning head outputs into predictions: probabilities (sigmoid,
   * softmax) or regression values in the targets' own units (the target scaling undone).
   */
  activate(outputs: tf.Tensor2D): tf.Tensor2D;
}
