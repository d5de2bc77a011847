import { ArrayDataset, type Dataset } from '../data/dataset.js';
import { MtlError } from '../errors.js';
import type { Task } from './task.js';

/** Options of {@link checkLabels}. */
export interface CheckLabelsOptions {
  /** The split's role, for messages (`training`, `test`, ...). @defaultValue 'data' */
  split?: string;
  /** Require at least one example (an empty evaluation set gives no figure at all). @defaultValue false */
  requireExamples?: boolean;
  /**
   * Require at least one example and, for every task, at least one labelled example
   * (training data: a task without labels would train on nothing, and an empty set
   * gives NaN losses). @defaultValue false
   */
  requireLabels?: boolean;
}

/**
 * Check a data set's labels against the tasks that will read them, whatever the source
 * (CSV, IDX files, MultiMNIST, synthetic data, arrays built in code): every task has
 * labels of its width, and every labelled value is in range:
 * - `multiclass`: an integer class index in [0, classes) (a 12 with 10 classes would
 *   otherwise one-hot to all zeros and train and evaluate silently);
 * - `binary` and `multilabel`: 0 or 1;
 * - `regression`: a finite number.
 * Values of examples whose label is missing (mask 0) are not read. With
 * `requireLabels`, an empty set or a task without any label is an error too;
 * `requireExamples` refuses only an empty set.
 *
 * @throws MtlError `data.unknown_task`, `data.label_width`, `data.label_out_of_range`,
 *   `data.empty`, `data.no_labels`.
 * @example
 * checkLabels(train, model.tasks, { split: 'training', requireLabels: true });
 */
export function checkLabels(data: Dataset, tasks: readonly Task[], options: CheckLabelsOptions = {}): void {
  const split = options.split ?? 'data';
  if ((options.requireLabels || options.requireExamples) && data.size === 0) {
    throw new MtlError({
      code: 'data.empty',
      path: data.source,
      expected: `at least one ${split} example`,
      found: 'none (an empty file, a header-only CSV, or a split that kept no rows)',
      fix: 'check the data file and the split settings (testFraction, validationFraction, trainSize)',
    });
  }
  if (!(data instanceof ArrayDataset)) {
    checkStreamedLabels(data, tasks, split, options);
    return;
  }
  for (const task of tasks) {
    const labels = data.targets[task.name];
    if (!labels) {
      throw unknownTask(data, task, split);
    }
    if (labels.width !== task.labelWidth) {
      throw new MtlError({
        code: 'data.label_width',
        path: `${data.source}: labels of task "${task.name}"`,
        expected: `${task.labelWidth} value(s) per example (a ${task.kind} task${task.kind === 'multiclass' ? ': one class index' : ` with ${task.outputSize} output(s)`})`,
        found: `${labels.width} per example`,
        fix: task.kind === 'multiclass' ? 'give multiclass labels as one class index per example' : 'set the task\'s outputs to the label width',
      });
    }
    const { values, width, mask } = labels;
    let labelled = 0;
    let bad = -1;
    let badCount = 0;
    for (let i = 0; i < data.size; i++) {
      if (mask && mask[i] === 0) continue;
      labelled++;
      for (let k = 0; k < width; k++) {
        if (!inRange(task, values[i * width + k]!)) {
          if (bad < 0) bad = i * width + k;
          badCount++;
        }
      }
    }
    if (bad >= 0) {
      const example = Math.floor(bad / width);
      throw new MtlError({
        code: 'data.label_out_of_range',
        path: `${data.source}: example ${example}${width > 1 ? `, label ${bad % width}` : ''}, task "${task.name}"`,
        expected: expectedRange(task),
        found: `${values[bad]}${badCount > 1 ? ` (and ${badCount - 1} more labels out of range in the ${split} data)` : ''}`,
        fix:
          task.kind === 'multiclass'
            ? `correct the labels, or raise the task's classes to cover them (now ${task.outputSize})`
            : task.kind === 'regression'
              ? 'impute or drop the non-finite labels (an empty CSV cell marks a missing label)'
              : 'recode the labels to 0/1, or use kind "multiclass"/"regression" for other values',
      });
    }
    if (options.requireLabels && labelled === 0) {
      throw new MtlError({
        code: 'data.no_labels',
        path: `${data.source}: task "${task.name}"`,
        expected: `at least one labelled ${split} example for task "${task.name}"`,
        found: `none of the ${data.size} examples has a label for it`,
        fix: 'check the task\'s label column(s), or leave the task out',
      });
    }
  }
}

/**
 * A data set read from its file on every pass (a large CSV): its reader checked every
 * label value while scanning the file; here its tasks, label widths and label counts.
 */
function checkStreamedLabels(data: Dataset, tasks: readonly Task[], split: string, options: CheckLabelsOptions): void {
  const counts = data.labelCounts();
  for (const task of tasks) {
    const width = data.labelWidth(task.name);
    if (width === undefined) {
      throw unknownTask(data, task, split);
    }
    if (width !== task.labelWidth) {
      throw new MtlError({
        code: 'data.label_width',
        path: `${data.source}: labels of task "${task.name}"`,
        expected: `${task.labelWidth} value(s) per example`,
        found: `${width} per example`,
        fix: "set the task's outputs to the label width",
      });
    }
    if (options.requireLabels && !counts[task.name]) {
      throw new MtlError({
        code: 'data.no_labels',
        path: `${data.source}: task "${task.name}"`,
        expected: `at least one labelled ${split} example for task "${task.name}"`,
        found: `none of the ${data.size} examples has a label for it`,
        fix: "check the task's label column(s), or leave the task out",
      });
    }
  }
}

/** A task the data set has no labels for. */
function unknownTask(data: Dataset, task: Task, split: string): MtlError {
  return new MtlError({
    code: 'data.unknown_task',
    path: `${data.source}: tasks`,
    expected: `labels for task "${task.name}" in the ${split} data`,
    found: `labels for [${data.taskNames.join(', ')}]`,
    fix: 'name the tasks as the data set does',
  });
}

function inRange(task: Task, v: number): boolean {
  switch (task.kind) {
    case 'multiclass':
      return Number.isInteger(v) && v >= 0 && v < task.outputSize;
    case 'binary':
    case 'multilabel':
      return v === 0 || v === 1;
    case 'regression':
      return Number.isFinite(v);
  }
}

function expectedRange(task: Task): string {
  switch (task.kind) {
    case 'multiclass':
      return `a class index 0..${task.outputSize - 1} (the task has ${task.outputSize} classes)`;
    case 'binary':
      return 'a binary label, 0 or 1';
    case 'multilabel':
      return 'multilabel labels of 0 or 1';
    case 'regression':
      return 'a finite regression target';
  }
}
