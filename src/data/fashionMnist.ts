import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { ImageSet } from './idx.js';
import { loadMnistIdx, MNIST_IDX_FILES } from './mnist.js';

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 60,000 training and
 * 10,000 test 28×28 grey images of clothing in 10 classes, in the MNIST IDX layout.
 */

/** Class names of Fashion-MNIST, by label index. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Where the Debian/Ubuntu package `dataset-fashion-mnist` installs the IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Environment variable naming a directory with the Fashion-MNIST IDX files. */
export const FASHION_MNIST_DIR_ENV = 'MTL_FASHION_MNIST_DIR';

/**
 * The directory to read Fashion-MNIST from: `dir` when given, else the environment
 * variable `MTL_FASHION_MNIST_DIR`, else `/usr/share/datasets/fashion-mnist` (the
 * `dataset-fashion-mnist` Debian package).
 *
 * @throws MtlError `data.fashion_mnist_missing` when the chosen directory lacks the
 *   training images, saying how to install them.
 */
export function fashionMnistDir(dir?: string): string {
  const fromEnv = process.env[FASHION_MNIST_DIR_ENV];
  const chosen = dir ?? (fromEnv ? fromEnv : FASHION_MNIST_DEBIAN_DIR);
  const origin = dir !== undefined ? 'the dir argument' : fromEnv ? `$${FASHION_MNIST_DIR_ENV}` : 'the default location';
  const probe = join(chosen, MNIST_IDX_FILES.trainImages);
  if (!existsSync(probe) && !existsSync(`${probe}.gz`)) {
    throw new MtlError({
      code: 'data.fashion_mnist_missing',
      path: `Fashion-MNIST directory (${origin})`,
      expected: `${MNIST_IDX_FILES.trainImages}.gz and the three other IDX files in ${chosen}`,
      found: existsSync(chosen) ? 'a directory without them' : 'no such directory',
      fix: `install them with \`apt-get install dataset-fashion-mnist\` (into ${FASHION_MNIST_DEBIAN_DIR}), or download the four files from https://github.com/zalandoresearch/fashion-mnist and pass their directory as \`dir\` or in $${FASHION_MNIST_DIR_ENV}`,
    });
  }
  return chosen;
}

/**
 * Load Fashion-MNIST's training (60,000) and test (10,000) images with their labels
 * (see {@link FASHION_MNIST_CLASSES}). Cached in-process (read-only).
 *
 * @param options.dir - directory of the IDX files; see {@link fashionMnistDir} for the fallbacks.
 * @throws MtlError `data.fashion_mnist_missing` when the files are not installed.
 * @example
 * ```ts
 * const { train, test } = loadFashionMnist();
 * // train.count = 60000, FASHION_MNIST_CLASSES[train.labels[0]] = 'Ankle boot'
 * ```
 */
export function loadFashionMnist(options: { dir?: string } = {}): { train: ImageSet; test: ImageSet } {
  return loadMnistIdx(fashionMnistDir(options.dir));
}
