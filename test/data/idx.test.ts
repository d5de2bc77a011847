import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MtlError } from '../../src/errors.js';
import { isGzip, loadIdxImagesAndLabels, parseIdx, readIdxFile } from '../../src/data/idx.js';

/** Build an IDX file: header 00 00 dtype rank, big-endian dims, then `body`. */
function idx(dtype: number, shape: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + body.length);
  const view = new DataView(out.buffer);
  out[2] = dtype;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * shape.length);
  return out;
}

function bigEndian(bytesPer: number, values: number[], set: (v: DataView, off: number, x: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * bytesPer);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => set(view, i * bytesPer, x));
  return out;
}

function assertMtlError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MtlError, `expected MtlError, got ${String(e)}`);
    assert.equal(e.code, code);
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'mtl-idx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('parseIdx reads ubyte values as a view on the bytes, with the declared shape', () => {
  const file = idx(0x08, [2, 2, 3], Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
  const parsed = parseIdx(file);
  assert.deepEqual(parsed.shape, [2, 2, 3]);
  assert.equal(parsed.dtype, 'uint8');
  assert.ok(parsed.data instanceof Uint8Array);
  assert.deepEqual(Array.from(parsed.data), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  assert.equal(parsed.data.buffer, file.buffer, 'no copy for uint8');
  assert.equal(parsed.data.byteOffset, 16);
});

test('parseIdx detects gzip by its magic and gives the same result', () => {
  const file = idx(0x08, [3], Uint8Array.from([7, 8, 9]));
  const gz = gzipSync(file);
  assert.ok(isGzip(gz));
  assert.ok(!isGzip(file));
  const parsed = parseIdx(gz);
  assert.deepEqual(parsed.shape, [3]);
  assert.deepEqual(Array.from(parsed.data), [7, 8, 9]);
});

test('parseIdx decodes the signed and wide types from big-endian', () => {
  const i8 = parseIdx(idx(0x09, [3], Uint8Array.from([0xff, 0x80, 0x7f])));
  assert.ok(i8.data instanceof Int8Array);
  assert.deepEqual(Array.from(i8.data), [-1, -128, 127]);

  const i16 = parseIdx(idx(0x0b, [3], bigEndian(2, [-2, 300, 32767], (v, o, x) => v.setInt16(o, x, false))));
  assert.ok(i16.data instanceof Int16Array);
  assert.deepEqual(Array.from(i16.data), [-2, 300, 32767]);
  // 300 = 0x012c is stored as 01 2c.
  assert.deepEqual(
    Array.from(idx(0x0b, [1], bigEndian(2, [300], (v, o, x) => v.setInt16(o, x, false))).subarray(8)),
    [0x01, 0x2c],
  );

  const i32 = parseIdx(idx(0x0c, [2, 1], bigEndian(4, [-70000, 123456789], (v, o, x) => v.setInt32(o, x, false))));
  assert.ok(i32.data instanceof Int32Array);
  assert.deepEqual(i32.shape, [2, 1]);
  assert.deepEqual(Array.from(i32.data), [-70000, 123456789]);

  const f32 = parseIdx(idx(0x0d, [2], bigEndian(4, [1.5, -0.25], (v, o, x) => v.setFloat32(o, x, false))));
  assert.ok(f32.data instanceof Float32Array);
  assert.deepEqual(Array.from(f32.data), [1.5, -0.25]);

  const f64 = parseIdx(idx(0x0e, [2], bigEndian(8, [Math.PI, -1e300], (v, o, x) => v.setFloat64(o, x, false))));
  assert.ok(f64.data instanceof Float64Array);
  assert.deepEqual(Array.from(f64.data), [Math.PI, -1e300]);
});

test('parseIdx rejects bad magic numbers, unknown dtypes and rank 0', () => {
  assertMtlError(() => parseIdx(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), 'x.png'), 'data.idx_magic', 'x.png', '89 50 4e 47');
  assertMtlError(() => parseIdx(idx(0x0a, [1], Uint8Array.from([1])), 'f'), 'data.idx_magic', '00 00 0a 01');
  assertMtlError(() => parseIdx(idx(0x08, [], new Uint8Array(0)), 'f'), 'data.idx_magic');
});

test('parseIdx reports truncated headers, truncated values and trailing bytes', () => {
  assertMtlError(() => parseIdx(Uint8Array.from([0, 0]), 'tiny'), 'data.idx_truncated', 'tiny', '2 bytes');
  const full = idx(0x08, [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
  assertMtlError(() => parseIdx(full.subarray(0, 10), 'h'), 'data.idx_truncated', '12-byte header');
  assertMtlError(() => parseIdx(full.subarray(0, full.length - 1), 'v'), 'data.idx_truncated', '6 bytes of uint8', 'found 5 bytes');
  const wide = idx(0x0c, [2], new Uint8Array(7));
  assertMtlError(() => parseIdx(wide, 'w'), 'data.idx_truncated', '8 bytes of int32');
  const extra = idx(0x08, [2], Uint8Array.from([1, 2, 3]));
  assertMtlError(() => parseIdx(extra, 'e'), 'data.idx_size', 'trailing');
  const gz = gzipSync(full);
  assertMtlError(() => parseIdx(gz.subarray(0, gz.length - 6), 'z.gz'), 'data.idx_gzip', 'z.gz', 'fetch the file again');
});

test('readIdxFile reads plain and gzipped files and names a missing one', () => {
  const plain = join(tmp, 'a-idx1-ubyte');
  writeFileSync(plain, idx(0x08, [2], Uint8Array.from([4, 2])));
  writeFileSync(`${plain}.gz`, gzipSync(idx(0x08, [2], Uint8Array.from([4, 2]))));
  assert.deepEqual(Array.from(readIdxFile(plain).data), [4, 2]);
  assert.deepEqual(Array.from(readIdxFile(`${plain}.gz`).data), [4, 2]);
  assertMtlError(() => readIdxFile(join(tmp, 'nope')), 'data.file_missing', 'nope', 'no such file');
});

test('loadIdxImagesAndLabels pairs images with labels and checks the counts and layouts', () => {
  const images = join(tmp, 'images');
  const labels = join(tmp, 'labels');
  const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 10);
  writeFileSync(images, gzipSync(idx(0x08, [3, 2, 2], pixels)));
  writeFileSync(labels, idx(0x08, [3], Uint8Array.from([5, 0, 9])));
  const set = loadIdxImagesAndLabels(images, labels);
  assert.equal(set.count, 3);
  assert.equal(set.height, 2);
  assert.equal(set.width, 2);
  assert.deepEqual(Array.from(set.images), Array.from(pixels));
  assert.deepEqual(Array.from(set.labels), [5, 0, 9]);
  assert.equal(set.source, images);

  const fewer = join(tmp, 'labels2');
  writeFileSync(fewer, idx(0x08, [2], Uint8Array.from([5, 0])));
  assertMtlError(() => loadIdxImagesAndLabels(images, fewer), 'data.idx_count_mismatch', 'as many labels as images (3)', '2 labels');
  assertMtlError(() => loadIdxImagesAndLabels(labels, images), 'data.idx_layout', 'shape [3]');
  const wide = join(tmp, 'wide');
  writeFileSync(wide, idx(0x0c, [3], new Uint8Array(12)));
  assertMtlError(() => loadIdxImagesAndLabels(images, wide), 'data.idx_layout', 'int32');
});

const fashion = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
test('a real Fashion-MNIST label file parses to 10,000 labels', { skip: !existsSync(fashion) && 'dataset-fashion-mnist not installed' }, () => {
  const { data, shape, dtype } = readIdxFile(fashion);
  assert.deepEqual(shape, [10000]);
  assert.equal(dtype, 'uint8');
  assert.deepEqual(Array.from(data.subarray(0, 5)), [9, 2, 1, 1, 6]);
});
