/**
 * Layout kernels for the cpu backend: Pack (`tf.stack`) and Unpack (its gradient),
 * Concat and SplitV (its gradient), and Tile. tfjs's cpu versions compute every element's
 * source index one by one (Tile, and Unpack/SplitV through generic strided slices),
 * which made MMoE/PLE expert mixtures and MTAN's attention steps 10–40× slower than a
 * hard-sharing step; Pack and Concat along an inner axis copied element by element too
 * (a fifth of an MMoE step on a tabular batch). These copy contiguous blocks (`TypedArray.set` / `copyWithin`,
 * i.e. memmove); they need no native code but belong to the native path's kernel set.
 */
import type * as tf from '@tensorflow/tfjs';

import { float32Values, makeOutput, sizeOf, type NativeKernel } from '../cpuTensors.js';

function normaliseAxis(axis: unknown, rank: number): number | null {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) return null;
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : null;
}

/**
 * Writes into `out` the slab [start, start + size) along a dim of length `dim` of a
 * tensor viewed as [outer, dim, inner]: one contiguous block per outer index.
 */
function copySlab(values: Float32Array, out: Float32Array, outer: number, dim: number, inner: number, start: number, size: number): void {
  const block = size * inner;
  for (let o = 0; o < outer; o++) {
    const from = (o * dim + start) * inner;
    out.set(values.subarray(from, from + block), o * block);
  }
}

/** `Unpack`: the slices of `value` along `axis`, each without that axis. */
export const unpackKernel: NativeKernel = {
  kernelName: 'Unpack',
  run({ inputs, backend, attrs }) {
    const { value } = inputs;
    const x = float32Values(backend, value);
    if (!value || !x) return null;
    const axis = normaliseAxis(attrs['axis'] ?? 0, value.shape.length);
    if (axis === null) return null;
    const count = value.shape[axis]!;
    const outer = sizeOf(value.shape.slice(0, axis));
    const inner = sizeOf(value.shape.slice(axis + 1));
    const outShape = value.shape.filter((_, i) => i !== axis);
    const outputs: tf.TensorInfo[] = [];
    for (let k = 0; k < count; k++) {
      outputs.push(makeOutput(backend, outShape, (out) => copySlab(x, out, outer, count, inner, k, 1)));
    }
    return outputs;
  },
};

/** `SplitV`: consecutive pieces of `x` along `axis` of the given sizes (one may be −1). */
export const splitVKernel: NativeKernel = {
  kernelName: 'SplitV',
  run({ inputs, backend, attrs }) {
    const { x } = inputs;
    const values = float32Values(backend, x);
    if (!x || !values) return null;
    const axis = normaliseAxis(attrs['axis'] ?? 0, x.shape.length);
    if (axis === null) return null;
    const dim = x.shape[axis]!;
    const spec = attrs['numOrSizeSplits'];
    let sizes: number[];
    if (typeof spec === 'number') {
      if (spec <= 0 || dim % spec !== 0) return null;
      sizes = new Array<number>(spec).fill(dim / spec);
    } else if (Array.isArray(spec) && spec.every((s) => typeof s === 'number')) {
      sizes = [...(spec as number[])];
      const free = sizes.indexOf(-1);
      if (free >= 0) sizes[free] = dim - sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
      if (sizes.some((s) => s < 0) || sizes.reduce((a, s) => a + s, 0) !== dim) return null;
    } else {
      return null;
    }
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outputs: tf.TensorInfo[] = [];
    let begin = 0;
    for (const size of sizes) {
      const shape = [...x.shape];
      shape[axis] = size;
      const start = begin;
      outputs.push(makeOutput(backend, shape, (out) => copySlab(values, out, outer, dim, inner, start, size)));
      begin += size;
    }
    return outputs;
  },
};

/**
 * `Tile`: the input written into the output's start, then, from the last dim to the
 * first, every block repeated in place (chunks processed back to front, so no chunk is
 * overwritten before it is read).
 */
export const tileKernel: NativeKernel = {
  kernelName: 'Tile',
  run({ inputs, backend, attrs }) {
    const { x } = inputs;
    const values = float32Values(backend, x);
    const reps = attrs['reps'];
    if (!x || !values || !Array.isArray(reps) || reps.length !== x.shape.length) return null;
    if (!reps.every((r) => typeof r === 'number' && Number.isInteger(r) && r >= 0)) return null;
    const shape = x.shape;
    const outShape = shape.map((d, i) => d * (reps[i] as number));
    return makeOutput(backend, outShape, (out) => {
      out.set(values, 0);
      let block = 1; // size of one element of dim d in the current layout (out dims after d)
      for (let d = shape.length - 1; d >= 0; d--) {
        const rep = reps[d] as number;
        const chunk = shape[d]! * block;
        if (rep !== 1) {
          const count = sizeOf(shape.slice(0, d));
          for (let o = count - 1; o >= 0; o--) {
            const to = o * rep * chunk;
            if (to !== o * chunk) out.copyWithin(to, o * chunk, o * chunk + chunk);
            // Doubling: 1, 2, 4, … copies, then the remainder.
            let filled = 1;
            while (filled < rep) {
              const n = Math.min(filled, rep - filled);
              out.copyWithin(to + filled * chunk, to, to + n * chunk);
              filled += n;
            }
          }
        }
        block = outShape[d]! * block;
      }
    });
  },
};

/**
 * Copies each of `parts` (same outer extent, `widths[k]` values per outer index) into
 * `out` one after another within each outer index: the layout of a concatenation.
 */
function interleave(parts: Float32Array[], widths: number[], outer: number, out: Float32Array): void {
  const total = widths.reduce((a, b) => a + b, 0);
  for (let o = 0; o < outer; o++) {
    let at = o * total;
    for (let k = 0; k < parts.length; k++) {
      const w = widths[k]!;
      if (w > 0) out.set(parts[k]!.subarray(o * w, (o + 1) * w), at);
      at += w;
    }
  }
}

/** `Pack` (tf.stack): the inputs, all of one shape, stacked along a new `axis`. */
export const packKernel: NativeKernel = {
  kernelName: 'Pack',
  run({ inputs, backend, attrs }) {
    const list = Object.values(inputs) as tf.TensorInfo[];
    if (list.length === 0) return null;
    const shape = list[0]!.shape;
    const values = list.map((t) => float32Values(backend, t));
    if (values.some((v) => v === null) || list.some((t) => t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      return null;  // the original kernel reports mismatched shapes
    }
    const axis = normaliseAxis(attrs['axis'] ?? 0, shape.length + 1);
    if (axis === null) return null;
    const inner = sizeOf(shape.slice(axis));
    const outShape = [...shape.slice(0, axis), list.length, ...shape.slice(axis)];
    return makeOutput(backend, outShape, (out) =>
      interleave(values as Float32Array[], list.map(() => inner), sizeOf(shape.slice(0, axis)), out));
  },
};

/** `Concat` (tf.concat, tf.layers.concatenate): the inputs joined along `axis`. */
export const concatKernel: NativeKernel = {
  kernelName: 'Concat',
  run({ inputs, backend, attrs }) {
    const list = Object.values(inputs) as tf.TensorInfo[];
    if (list.length === 0) return null;
    const rank = list[0]!.shape.length;
    if (rank === 0) return null;
    const axis = normaliseAxis(attrs['axis'] ?? 0, rank);
    const values = list.map((t) => float32Values(backend, t));
    if (axis === null || values.some((v) => v === null)) return null;
    const first = list[0]!.shape;
    const sameElsewhere = list.every((t) => t.shape.length === rank && t.shape.every((d, i) => i === axis || d === first[i]));
    if (!sameElsewhere) return null;
    const inner = sizeOf(first.slice(axis + 1));
    const outShape = [...first];
    outShape[axis] = list.reduce((s, t) => s + t.shape[axis]!, 0);
    return makeOutput(backend, outShape, (out) =>
      interleave(values as Float32Array[], list.map((t) => t.shape[axis]! * inner), sizeOf(first.slice(0, axis)), out));
  },
};
