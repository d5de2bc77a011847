import { MtlError } from '../errors.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';

/**
 * Six tasks derived from the two labels of a Multi-(Fashion+MNIST) pair (the digit A from
 * MNIST, the garment B from Fashion-MNIST), for task-grouping studies on real images:
 * three related tasks about each item, and two items that compete for the shared encoder.
 * - `digit`: the digit's class (multiclass, 10);
 * - `digitOdd`: whether the digit is odd (binary);
 * - `digitAtLeast5`: whether the digit is 5 or more (binary);
 * - `garment`: the Fashion-MNIST class (multiclass, 10);
 * - `footwear`: sandal, sneaker or ankle boot (classes 5, 7, 9; binary);
 * - `upperBody`: T-shirt/top, pullover, coat or shirt (classes 0, 2, 4, 6; binary; a dress is
 *   a whole-body garment and counts as 0).
 */
export const MULTI_MNIST_ATTRIBUTE_TASKS = ['digit', 'digitOdd', 'digitAtLeast5', 'garment', 'footwear', 'upperBody'] as const;

/** Fashion-MNIST classes that are footwear: Sandal, Sneaker, Ankle boot. */
export const FOOTWEAR_CLASSES: readonly number[] = [5, 7, 9];
/** Fashion-MNIST classes worn on the upper body: T-shirt/top, Pullover, Coat, Shirt. */
export const UPPER_BODY_CLASSES: readonly number[] = [0, 2, 4, 6];

/**
 * The same images with the six {@link MULTI_MNIST_ATTRIBUTE_TASKS} as labels, derived from the
 * data set's `digitTask` (MNIST digit) and `garmentTask` (Fashion-MNIST class) labels.
 *
 * @throws MtlError `data.unknown_task` when the data set lacks either source task
 * @example
 * ```ts
 * const { train } = multiMnistSplits({ source: 'fashion+mnist', seed: 0, trainSize: 100 });
 * withAttributeTasks(train).taskNames; // ['digit', 'digitOdd', 'digitAtLeast5', 'garment', 'footwear', 'upperBody']
 * ```
 */
export function withAttributeTasks(data: ArrayDataset, options: { digitTask?: string; garmentTask?: string } = {}): ArrayDataset {
  const digitTask = options.digitTask ?? 'left';
  const garmentTask = options.garmentTask ?? 'right';
  for (const name of [digitTask, garmentTask]) {
    if (!data.targets[name]) {
      throw new MtlError({ code: 'data.unknown_task', path: `${data.source}: tasks`, expected: `a task "${name}" to derive the attribute tasks from`, found: `tasks [${data.taskNames.join(', ')}]` });
    }
  }
  const digits = data.targets[digitTask]!.values;
  const garments = data.targets[garmentTask]!.values;
  const derive = (source: Float32Array, f: (label: number) => number): TaskLabels => ({ values: Float32Array.from(source, f), width: 1 });
  return new ArrayDataset(
    data.features,
    {
      digit: derive(digits, (d) => d),
      digitOdd: derive(digits, (d) => d % 2),
      digitAtLeast5: derive(digits, (d) => (d >= 5 ? 1 : 0)),
      garment: derive(garments, (g) => g),
      footwear: derive(garments, (g) => (FOOTWEAR_CLASSES.includes(g) ? 1 : 0)),
      upperBody: derive(garments, (g) => (UPPER_BODY_CLASSES.includes(g) ? 1 : 0)),
    },
    `${data.source} (six attribute tasks)`,
  );
}
