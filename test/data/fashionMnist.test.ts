import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_DIR_ENV,
  fashionMnistDir,
  loadFashionMnist,
} from '../../src/data/fashionMnist.js';
import { MtlError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-fashion-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const installed = existsSync(join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'));

function withEnv<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env[FASHION_MNIST_DIR_ENV];
  if (value === undefined) delete process.env[FASHION_MNIST_DIR_ENV];
  else process.env[FASHION_MNIST_DIR_ENV] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[FASHION_MNIST_DIR_ENV];
    else process.env[FASHION_MNIST_DIR_ENV] = saved;
  }
}

function idx(shape: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + body.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * shape.length);
  return out;
}

test('the installed Fashion-MNIST has 60,000 + 10,000 balanced 28×28 images', { skip: !installed && 'apt-get install dataset-fashion-mnist' }, () => {
  const { train, test: testSet } = withEnv(undefined, () => loadFashionMnist());
  assert.equal(train.count, 60000);
  assert.equal(testSet.count, 10000);
  assert.equal(train.height, 28);
  assert.equal(train.width, 28);
  assert.equal(train.images.length, 60000 * 784);
  const counts = (labels: Uint8Array): number[] => {
    const c = new Array<number>(10).fill(0);
    for (const l of labels) c[l]!++;
    return c;
  };
  assert.deepEqual(counts(train.labels), new Array(10).fill(6000));
  assert.deepEqual(counts(testSet.labels), new Array(10).fill(1000));
  assert.equal(FASHION_MNIST_CLASSES[train.labels[0]!], 'Ankle boot');
  assert.equal(loadFashionMnist({ dir: FASHION_MNIST_DEBIAN_DIR }).train, train, 'cached per directory');
});

test('a missing Fashion-MNIST says how to install it', () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  assert.throws(
    () => loadFashionMnist({ dir: empty }),
    (e: unknown) =>
      e instanceof MtlError &&
      e.code === 'data.fashion_mnist_missing' &&
      e.message.includes('apt-get install dataset-fashion-mnist') &&
      e.message.includes(FASHION_MNIST_DIR_ENV) &&
      e.message.includes('a directory without them') &&
      e.path.includes('dir argument'),
  );
  assert.throws(
    () => withEnv(join(tmp, 'absent'), () => fashionMnistDir()),
    (e: unknown) => e instanceof MtlError && e.path.includes(`$${FASHION_MNIST_DIR_ENV}`) && e.message.includes('no such directory'),
  );
});

test('the directory comes from the argument, then $MTL_FASHION_MNIST_DIR, then the Debian location', () => {
  const dir = join(tmp, 'custom');
  mkdirSync(dir);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([1, 1, 1], Uint8Array.from([200])));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([1], Uint8Array.from([8])));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([1, 1, 1], Uint8Array.from([100])));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([1], Uint8Array.from([1])));
  assert.equal(fashionMnistDir(dir), dir);
  const fromEnv = withEnv(dir, () => loadFashionMnist());
  assert.deepEqual(Array.from(fromEnv.train.images), [200]);
  assert.deepEqual(Array.from(fromEnv.train.labels), [8]);
  assert.deepEqual(Array.from(fromEnv.test.labels), [1]);
  if (installed) assert.equal(withEnv(undefined, () => fashionMnistDir()), FASHION_MNIST_DEBIAN_DIR);
  assert.equal(withEnv(join(tmp, 'absent'), () => fashionMnistDir(dir)), dir, 'the argument wins over the environment');
});
