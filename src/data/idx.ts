import { readRegularFile } from '../io/readFile.js';
import { gunzipSync } from 'node:zlib';
import { MtlError } from '../errors.js';

/**
 * IDX files: the binary array format of MNIST and its relatives (Fashion-MNIST,
 * KMNIST, EMNIST), as described on LeCun's MNIST page. Layout, all integers
 * big-endian: two zero bytes, one dtype byte, one byte for the number of dimensions
 * D, then D unsigned 32-bit sizes, then the values in row-major order.
 */

/** The element types an IDX file can declare, by their dtype byte. */
export const IDX_DTYPES = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
} as const;

/** Name of an IDX element type (`uint8` for dtype byte 0x08, and so on). */
export type IdxDtype = (typeof IDX_DTYPES)[keyof typeof IDX_DTYPES];

/** The typed array an IDX element type is returned in. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX array: the values in row-major order and the dimensions. */
export interface IdxArray {
  /**
   * The values. For `uint8` and `int8` this is a view on the file's bytes (no copy);
   * wider types are decoded from big-endian into a new typed array.
   */
  data: IdxData;
  /** Dimensions, outermost first, e.g. [60000, 28, 28] for MNIST training images. */
  shape: number[];
  dtype: IdxDtype;
}

/** The images and labels of one MNIST-family split, as compact typed arrays. */
export interface ImageSet {
  /** Pixels, row-major [count, height, width], 0..255. */
  images: Uint8Array;
  /** Class index of each image. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  /** Where the images came from, for error messages and run summaries. */
  source: string;
}

const BYTES_PER_ELEMENT: Record<IdxDtype, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parse the bytes of an IDX file, gzip-compressed or not (detected by the 1f 8b magic).
 *
 * @param bytes - the file's contents.
 * @param source - a name for error messages, usually the file path.
 * @throws MtlError `data.idx_gzip` for a corrupt or truncated gzip stream,
 *   `data.idx_magic` for a bad magic number or dtype, `data.idx_truncated` when the
 *   header or the values are shorter than the header declares, `data.idx_size` when
 *   bytes are left over after the declared values.
 * @example
 * ```ts
 * const { data, shape } = parseIdx(readFileSync('train-labels-idx1-ubyte.gz'), 'labels');
 * // shape = [60000], data: Uint8Array
 * ```
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new MtlError({
        code: 'data.idx_gzip',
        path: source,
        expected: 'a complete gzip stream (the file starts with the gzip magic 1f 8b)',
        found: `a stream that fails to decompress (${(e as Error).message})`,
        fix: 'the download is probably truncated or corrupt: fetch the file again',
      });
    }
  }
  if (buf.length < 4) {
    throw new MtlError({
      code: 'data.idx_truncated',
      path: source,
      expected: 'an IDX header of at least 4 bytes',
      found: `${buf.length} bytes`,
      fix: 'the file is truncated or empty: fetch it again',
    });
  }
  const dtype = IDX_DTYPES[buf[2]! as keyof typeof IDX_DTYPES];
  const rank = buf[3]!;
  if (buf[0] !== 0 || buf[1] !== 0 || dtype === undefined || rank === 0) {
    const magic = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new MtlError({
      code: 'data.idx_magic',
      path: source,
      expected:
        'the IDX magic number 00 00 TT DD (TT = 08 ubyte, 09 sbyte, 0b short, 0c int, 0d float, 0e double; DD = number of dimensions ≥ 1)',
      found: `${magic}`,
      fix: 'check that this is an IDX file (e.g. train-images-idx3-ubyte), not an image, archive or HTML error page',
    });
  }
  const headerSize = 4 + 4 * rank;
  if (buf.length < headerSize) {
    throw new MtlError({
      code: 'data.idx_truncated',
      path: source,
      expected: `a ${headerSize}-byte header for ${rank} dimensions`,
      found: `${buf.length} bytes`,
      fix: 'the file is truncated: fetch it again',
    });
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const width = BYTES_PER_ELEMENT[dtype];
  const available = buf.length - headerSize;
  if (available !== count * width) {
    throw new MtlError({
      code: available < count * width ? 'data.idx_truncated' : 'data.idx_size',
      path: source,
      expected: `${count * width} bytes of ${dtype} values after the header for shape [${shape.join(', ')}]`,
      found: `${available} bytes`,
      fix:
        available < count * width
          ? 'the file is truncated: fetch it again'
          : 'the file has trailing bytes: check that it is an unmodified IDX file',
    });
  }
  const offset = buf.byteOffset + headerSize;
  let data: IdxData;
  switch (dtype) {
    case 'uint8':
      data = new Uint8Array(buf.buffer, offset, count);
      break;
    case 'int8':
      data = new Int8Array(buf.buffer, offset, count);
      break;
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(headerSize + 2 * i, false);
      data = out;
      break;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(headerSize + 4 * i, false);
      data = out;
      break;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(headerSize + 4 * i, false);
      data = out;
      break;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(headerSize + 8 * i, false);
      data = out;
      break;
    }
  }
  return { data, shape, dtype };
}

/**
 * Read and parse one IDX file (gzip-compressed or not).
 *
 * @throws MtlError `data.file_missing` when there is no such file, `io.not_regular_file` and the
 *   other file errors of readRegularFile, and the errors of {@link parseIdx}.
 * @example
 * ```ts
 * const images = readIdxFile('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
 * // images.shape = [10000, 28, 28]
 * ```
 */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    // A regular file only: a named pipe would block forever, /dev/zero never end.
    bytes = readRegularFile(path, { what: 'an IDX file' });
  } catch (e) {
    if (e instanceof MtlError && e.code !== 'io.file_missing') throw e;
    throw new MtlError({
      code: 'data.file_missing',
      path,
      expected: 'a readable IDX file',
      found: 'no such file',
      fix: 'check the path',
    });
  }
  return parseIdx(bytes, path);
}

/**
 * Read an MNIST-style pair of IDX files: images (ubyte, [n, height, width]) and labels
 * (ubyte, [n]), checking the types, ranks and that both hold the same number of examples.
 *
 * @throws MtlError `data.idx_layout` for a wrong dtype or rank, `data.idx_count_mismatch`
 *   when the image and label counts differ, and the errors of {@link readIdxFile}.
 * @example
 * ```ts
 * const test = loadIdxImagesAndLabels('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz');
 * // test.count = 10000, test.height = test.width = 28
 * ```
 */
export function loadIdxImagesAndLabels(imagesPath: string, labelsPath: string): ImageSet {
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new MtlError({
      code: 'data.idx_layout',
      path: imagesPath,
      expected: 'uint8 images of shape [count, height, width]',
      found: `${images.dtype} values of shape [${images.shape.join(', ')}]`,
      fix: 'pass the images file (idx3-ubyte) as the first argument and the labels file (idx1-ubyte) as the second',
    });
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new MtlError({
      code: 'data.idx_layout',
      path: labelsPath,
      expected: 'uint8 labels of shape [count]',
      found: `${labels.dtype} values of shape [${labels.shape.join(', ')}]`,
      fix: 'pass the labels file (idx1-ubyte) as the second argument',
    });
  }
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) {
    throw new MtlError({
      code: 'data.idx_count_mismatch',
      path: `${imagesPath} + ${labelsPath}`,
      expected: `as many labels as images (${count})`,
      found: `${labels.shape[0]} labels`,
      fix: 'pair the images file with the labels file of the same split (train with train, t10k with t10k)',
    });
  }
  return {
    images: images.data as Uint8Array,
    labels: labels.data as Uint8Array,
    count,
    height,
    width,
    source: imagesPath,
  };
}
