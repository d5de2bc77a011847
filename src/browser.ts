/**
 * Browser entry point (`mtl-ts/browser`): load a model saved by mtl-ts (a run folder's
 * `model/`, `best/` or `checkpoint/model/`, served over HTTP) and predict every task in
 * one call.
 *
 * Importing this module registers the library's custom layers (`MtlCrossStitch`,
 * `MtlExpertMixture`) with tfjs serialisation, so `tf.loadLayersModel` can rebuild
 * cross-stitch, MMoE and PLE models; the other architectures use built-in tfjs layers
 * only. It imports nothing from Node (no file system, native addon, experiments or
 * CLI), so any bundler can target the browser with it.
 *
 * The custom layers are registered with the `@tensorflow/tfjs` this module imports;
 * `tf` is re-exported so that a page can use that same instance.
 */
import * as tf from '@tensorflow/tfjs';
// Imported for their side effect too: each file registers its layer class.
import { CrossStitch } from './architectures/crossStitch.js';
import { ExpertMixture } from './architectures/expertMixture.js';

export { tf, CrossStitch, ExpertMixture };

/** A loaded multi-task model: the tfjs model and its outputs named by task. */
export interface LoadedMultiTaskModel {
  /** The ordinary tfjs model: one input, one output per task. */
  readonly model: tf.LayersModel;
  /** Task names in output order. */
  readonly tasks: readonly string[];
  /** The `userDefinedMetadata` saved with the model (mtl-ts writes `tasks`, and `architecture` for a run's final model). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Every task's output (logits for classification tasks) for a batch `x`, by task name, in one forward pass. The caller disposes them. */
  predict(x: tf.Tensor): Record<string, tf.Tensor>;
}

/**
 * Task names of a loaded model, in output order: the `tasks` list mtl-ts saves in the
 * model's metadata when it has one name per output; otherwise the output names, with
 * the `head_` prefix of mtl-ts task heads removed.
 */
export function taskNamesOf(model: tf.LayersModel): string[] {
  const metadata = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  const saved = metadata.tasks;
  if (Array.isArray(saved) && saved.length === model.outputs.length && saved.every((n) => typeof n === 'string')) {
    return [...(saved as string[])];
  }
  return model.outputNames.map((name) => name.replace(/^head_/, ''));
}

/**
 * Load a model saved by mtl-ts with `tf.loadLayersModel` (a URL of its `model.json`, or
 * any tfjs IO handler) and name its outputs by task.
 *
 * @example
 * import { tf, loadMultiTaskModel } from 'mtl-ts/browser';
 * const { predict } = await loadMultiTaskModel('/runs/mine/model/model.json');
 * const outputs = predict(tf.zeros([1, 28, 28, 1])); // { left: Tensor, right: Tensor }
 */
export async function loadMultiTaskModel(
  pathOrHandler: string | tf.io.IOHandler,
  options?: tf.io.LoadOptions,
): Promise<LoadedMultiTaskModel> {
  const model = await tf.loadLayersModel(pathOrHandler, options);
  const tasks = taskNamesOf(model);
  const metadata = { ...((model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>) };
  return {
    model,
    tasks,
    metadata,
    predict(x: tf.Tensor): Record<string, tf.Tensor> {
      const out = model.predict(x);
      const list = Array.isArray(out) ? out : [out];
      const named: Record<string, tf.Tensor> = {};
      tasks.forEach((name, i) => {
        named[name] = list[i]!;
      });
      return named;
    },
  };
}
