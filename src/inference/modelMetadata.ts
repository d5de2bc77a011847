import { MtlError } from '../errors.js';
import { checkPreprocessorJson, type PreprocessorJson } from '../preprocessing/preprocessor.js';
import { TASK_KINDS, type Task, type TaskKind, type TaskSpec, type TargetScaling } from '../tasks/task.js';

/**
 * What tfjs-multitask saves with a model (in `model.json`'s `userDefinedMetadata`) so that the
 * model can be used on raw data without the experiment that trained it: every task's
 * kind, output names (class names, labels, target names), output activation, target
 * scaling and metrics, and for tabular data the fitted preprocessing (feature names and
 * order, imputation values, vocabularies, scalers). Plain JSON, read by the same code in
 * Node and in the browser.
 */

/** The output activation that turns a task head's outputs into predictions. */
export type OutputActivation = 'sigmoid' | 'softmax' | 'identity';

/** One task as saved with the model. */
export interface TaskMetadata {
  name: string;
  kind: TaskKind;
  /** Width of the head's output. */
  outputSize: number;
  /** sigmoid (binary, multilabel), softmax (multiclass), identity (regression). */
  activation: OutputActivation;
  /**
   * Names of what the outputs mean: multiclass, the classes in index order; binary, the
   * negative and the positive class; multilabel, the labels; regression, the targets.
   */
  outputNames: string[];
  /** Regression: the targets' standardisation, undone at prediction (values in the targets' units). */
  targetScaling?: TargetScaling;
  metrics: string[];
  deltaMetrics: string[];
}

/** The tfjs-multitask part of a saved model's metadata (under the key `mtl`). */
export interface ModelMetadata {
  /** The format's name from before the package was renamed tfjs-multitask, kept so that files saved since still load. */
  format: 'mtl-ts/model';
  version: 1;
  architecture?: string;
  /** Input shape without the batch dimension. */
  inputShape: number[];
  /** In output order. */
  tasks: TaskMetadata[];
  /** Tabular data: the preprocessing that turns raw rows into the model's inputs. */
  preprocessing?: PreprocessorJson;
}

/** The key of {@link ModelMetadata} in `userDefinedMetadata`. */
export const METADATA_KEY = 'mtl';

/** The output activation of a task kind. */
export function activationOf(kind: TaskKind): OutputActivation {
  return kind === 'multiclass' ? 'softmax' : kind === 'regression' ? 'identity' : 'sigmoid';
}

/**
 * The metadata of a trained model: its tasks (with their target scaling), its input
 * shape and architecture, and the tabular preprocessing when there is one (which also
 * names the outputs: class names as the data spells them, label and target columns).
 * `classNames` names a multiclass task's classes when the preprocessing does not.
 */
export function describeModel(args: {
  tasks: readonly Task[];
  inputShape: readonly number[];
  architecture?: string;
  preprocessing?: PreprocessorJson;
  classNames?: Record<string, readonly string[]>;
}): ModelMetadata {
  const tasks = args.tasks.map((t): TaskMetadata => {
    const target = args.preprocessing?.targets.find((x) => x.task === t.name);
    const numbered = (prefix: string) => Array.from({ length: t.outputSize }, (_, i) => `${prefix}${i}`);
    let outputNames: string[];
    switch (t.kind) {
      case 'multiclass':
        outputNames = target?.classes ?? (args.classNames?.[t.name] ? [...args.classNames[t.name]!] : numbered(''));
        break;
      case 'binary':
        outputNames = target?.classes ?? ['0', '1'];
        break;
      case 'multilabel':
        outputNames = target?.columns ?? numbered('label');
        break;
      case 'regression':
        outputNames = target?.columns ?? (t.outputSize === 1 ? [t.name] : numbered(`${t.name}_`));
        break;
    }
    return {
      name: t.name,
      kind: t.kind,
      outputSize: t.outputSize,
      activation: activationOf(t.kind),
      outputNames: [...outputNames],
      ...(t.targetScaling ? { targetScaling: { mean: [...t.targetScaling.mean], std: [...t.targetScaling.std] } } : {}),
      metrics: t.metrics.map((m) => m.name),
      deltaMetrics: [...t.deltaMetrics],
    };
  });
  return {
    format: 'mtl-ts/model',
    version: 1,
    ...(args.architecture ? { architecture: args.architecture } : {}),
    inputShape: [...args.inputShape],
    tasks,
    ...(args.preprocessing ? { preprocessing: args.preprocessing } : {}),
  };
}

/** The `userDefinedMetadata` to save: the task names (read by older loaders), the architecture, and {@link ModelMetadata} under `mtl`. */
export function userDefinedMetadata(metadata: ModelMetadata): Record<string, unknown> {
  return {
    tasks: metadata.tasks.map((t) => t.name),
    ...(metadata.architecture ? { architecture: metadata.architecture } : {}),
    [METADATA_KEY]: metadata,
  };
}

/**
 * The {@link ModelMetadata} of a loaded model's `userDefinedMetadata`, checked; undefined
 * for a model saved without it (by an older version of tfjs-multitask, or by plain tfjs).
 * @throws MtlError `model.bad_metadata` for metadata this version cannot read.
 */
export function readModelMetadata(userMetadata: Readonly<Record<string, unknown>> | undefined, path = 'model.json'): ModelMetadata | undefined {
  const m = userMetadata?.[METADATA_KEY] as Partial<ModelMetadata> | undefined;
  if (m === undefined) return undefined;
  const bad = (what: string, found: unknown): never => {
    throw new MtlError({
      code: 'model.bad_metadata',
      path: `${path}: userDefinedMetadata.${METADATA_KEY}`,
      expected: `tfjs-multitask model metadata (format "mtl-ts/model", version 1): ${what}`,
      found: JSON.stringify(found)?.slice(0, 80) ?? String(found),
      fix: 'save the model again with this version of tfjs-multitask (mtl train)',
    });
  };
  if (!m || typeof m !== 'object' || m.format !== 'mtl-ts/model') bad('a format field', m?.format);
  if (m.version !== 1) bad('version 1', m.version);
  if (!Array.isArray(m.inputShape)) bad('an input shape', m.inputShape);
  if (!Array.isArray(m.tasks) || m.tasks.length === 0) bad('a list of tasks', m.tasks);
  for (const t of m.tasks!) {
    if (!t || typeof t.name !== 'string' || !TASK_KINDS.includes(t.kind)) bad('tasks with a name and a kind', t);
    if (!Array.isArray(t.outputNames) || t.outputNames.length !== (t.kind === 'binary' ? 2 : t.outputSize)) bad(`output names for task "${t.name}"`, t.outputNames);
  }
  if (m.preprocessing !== undefined) checkPreprocessorJson(m.preprocessing, `${path}: userDefinedMetadata.${METADATA_KEY}.preprocessing`);
  return m as ModelMetadata;
}

/** The task spec that rebuilds a saved task (kind, width, metrics, target scaling) with `createTask`. */
export function taskSpecOf(t: TaskMetadata): TaskSpec {
  return {
    name: t.name,
    kind: t.kind,
    ...(t.kind === 'multiclass' ? { classes: t.outputSize } : {}),
    ...(t.kind === 'multilabel' || t.kind === 'regression' ? { outputs: t.outputSize } : {}),
    metrics: [...t.metrics],
    deltaMetrics: [...t.deltaMetrics],
    ...(t.targetScaling ? { targetScaling: t.targetScaling } : {}),
  };
}
