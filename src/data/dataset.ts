import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import type { TaskKind } from '../tasks/task.js';

/**
 * The labels of one task over a whole data set, stored as a typed array (never as JS
 * number arrays, so a 60,000-image set stays compact).
 *
 * - `values` holds `width` numbers per example: the class index for `multiclass`
 *   (width 1), 0/1 for `binary` (width 1) and `multilabel` (width = number of labels),
 *   real numbers for `regression`.
 * - `mask[i]` is 1 when example i has a label for this task and 0 when it is missing;
 *   omitted when every example is labelled. Missing examples hold 0 in `values`.
 */
export interface TaskLabels {
  values: Float32Array;
  width: number;
  mask?: Uint8Array;
  /** The kind of task the labels are for, when the loader knows it (the CSV loader does); splits stratify by binary and multiclass labels. */
  kind?: TaskKind;
}

/** Features of a whole data set: row-major, `shape[0]` examples of `shape.slice(1)` each. */
export interface Features {
  /** Raw storage. Uint8Array images are scaled by `scale` (e.g. 1/255) when a batch is made. */
  data: Float32Array | Uint8Array;
  shape: number[];
  /** Multiplier applied when building batches; defaults to 1. */
  scale?: number;
}

/** One mini-batch, as tensors. The caller disposes it with {@link disposeBatch}. */
export interface Batch {
  /** Inputs, shape [batch, ...inputShape]. */
  x: tf.Tensor;
  /** Per task: labels [batch, width] (float32). */
  labels: Record<string, tf.Tensor2D>;
  /** Per task: mask [batch] of 0/1 (float32); 1 where the example has a label. */
  masks: Record<string, tf.Tensor1D>;
  /** Per task: how many examples of this batch have a label (known on the host, no sync). */
  labelled: Record<string, number>;
  /** Number of examples in the batch. */
  size: number;
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  for (const t of Object.values(batch.labels)) t.dispose();
  for (const t of Object.values(batch.masks)) t.dispose();
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this generator (a new permutation per call); in order when omitted. */
  random?: Random;
  /** Drop the last incomplete batch. @defaultValue false */
  dropLast?: boolean;
  /** Skip this many batches at the start (resume mid-epoch). @defaultValue 0 */
  skipBatches?: number;
}

/**
 * What training and evaluation read from a data set: its size and input shape, its
 * tasks, and mini-batches. {@link ArrayDataset} holds everything in typed arrays;
 * `CsvStreamingDataset` reads a CSV file in chunks on every pass (files larger than
 * memory).
 */
export interface Dataset {
  readonly size: number;
  readonly inputShape: number[];
  /** Human-readable origin, for error messages and the run summary. */
  readonly source: string;
  readonly taskNames: string[];
  /** Label width of a task (undefined for a task the data set does not have). */
  labelWidth(task: string): number | undefined;
  /** Number of examples labelled for each task. */
  labelCounts(): Record<string, number>;
  /** Number of batches one pass yields with these options. */
  batchCount(batchSize: number, dropLast?: boolean): number;
  /** The same examples restricted to some tasks (single-task baselines). */
  withTasks(names: string[]): Dataset;
  /** Yield mini-batches as tensors; each must be disposed by the consumer ({@link disposeBatch}). */
  batches(options: BatchOptions): Generator<Batch>;
}

/**
 * A multi-task data set held in typed arrays: features plus, per task, labels and an
 * optional missing-label mask. Batches are gathered on demand, so only one batch of
 * float32 tensors exists at a time.
 */
export class ArrayDataset implements Dataset {
  readonly size: number;
  readonly inputShape: number[];

  constructor(
    readonly features: Features,
    readonly targets: Record<string, TaskLabels>,
    /** Human-readable origin, for error messages and the run summary. */
    readonly source = 'in-memory data',
  ) {
    this.size = features.shape[0] ?? 0;
    this.inputShape = features.shape.slice(1);
    const rowSize = this.inputShape.reduce((a, b) => a * b, 1);
    if (features.data.length !== this.size * rowSize) {
      throw new MtlError({
        code: 'data.shape_mismatch',
        path: `${source}: features`,
        expected: `${this.size} × ${rowSize} = ${this.size * rowSize} values for shape [${features.shape.join(', ')}]`,
        found: `${features.data.length} values`,
        fix: 'check the feature shape passed with the data',
      });
    }
    for (const [name, t] of Object.entries(targets)) {
      if (t.values.length !== this.size * t.width) {
        throw new MtlError({
          code: 'data.shape_mismatch',
          path: `${source}: labels of task "${name}"`,
          expected: `${this.size} examples × width ${t.width} = ${this.size * t.width} values`,
          found: `${t.values.length} values`,
        });
      }
      if (t.mask && t.mask.length !== this.size) {
        throw new MtlError({
          code: 'data.shape_mismatch',
          path: `${source}: label mask of task "${name}"`,
          expected: `${this.size} entries`,
          found: `${t.mask.length}`,
        });
      }
    }
  }

  get taskNames(): string[] {
    return Object.keys(this.targets);
  }

  labelWidth(task: string): number | undefined {
    return this.targets[task]?.width;
  }

  /** Number of examples labelled for each task. */
  labelCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, t] of Object.entries(this.targets)) {
      if (!t.mask) out[name] = this.size;
      else {
        let c = 0;
        for (let i = 0; i < t.mask.length; i++) c += t.mask[i]!;
        out[name] = c;
      }
    }
    return out;
  }

  /** Number of batches one pass yields with these options. */
  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /** A new data set holding the examples at `indices` (copied), e.g. for train/validation splits. */
  subset(indices: ArrayLike<number>, source = `${this.source} (subset)`): ArrayDataset {
    const rowSize = this.inputShape.reduce((a, b) => a * b, 1);
    const n = indices.length;
    const data = new (this.features.data.constructor as Float32ArrayConstructor | Uint8ArrayConstructor)(n * rowSize);
    for (let i = 0; i < n; i++) {
      const r = indices[i]!;
      data.set(this.features.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
    }
    const targets: Record<string, TaskLabels> = {};
    for (const [name, t] of Object.entries(this.targets)) {
      const values = new Float32Array(n * t.width);
      const mask = t.mask ? new Uint8Array(n) : undefined;
      for (let i = 0; i < n; i++) {
        const r = indices[i]!;
        values.set(t.values.subarray(r * t.width, (r + 1) * t.width), i * t.width);
        if (mask) mask[i] = t.mask![r]!;
      }
      targets[name] = { values, width: t.width, ...(mask ? { mask } : {}), ...(t.kind ? { kind: t.kind } : {}) };
    }
    return new ArrayDataset({ data, shape: [n, ...this.inputShape], scale: this.features.scale }, targets, source);
  }

  /** The same examples restricted to some tasks (single-task baselines). */
  withTasks(names: string[]): ArrayDataset {
    const targets: Record<string, TaskLabels> = {};
    for (const n of names) {
      const t = this.targets[n];
      if (!t) {
        throw new MtlError({
          code: 'data.unknown_task',
          path: `${this.source}: tasks`,
          expected: `one of [${this.taskNames.join(', ')}]`,
          found: JSON.stringify(n),
        });
      }
      targets[n] = t;
    }
    return new ArrayDataset(this.features, targets, this.source);
  }

  /** Yield mini-batches as tensors; each must be disposed by the consumer. */
  *batches(options: BatchOptions): Generator<Batch> {
    const { batchSize, random, dropLast = false, skipBatches = 0 } = options;
    const order = random ? random.permutation(this.size) : null;
    const rowSize = this.inputShape.reduce((a, b) => a * b, 1);
    const scale = this.features.scale ?? 1;
    const count = this.batchCount(batchSize, dropLast);
    for (let b = skipBatches; b < count; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, this.size - start);
      const x = new Float32Array(n * rowSize);
      const src = this.features.data;
      for (let i = 0; i < n; i++) {
        const r = order ? order[start + i]! : start + i;
        const off = r * rowSize;
        if (scale === 1 && src instanceof Float32Array) x.set(src.subarray(off, off + rowSize), i * rowSize);
        else for (let k = 0; k < rowSize; k++) x[i * rowSize + k] = src[off + k]! * scale;
      }
      const labels: Record<string, tf.Tensor2D> = {};
      const masks: Record<string, tf.Tensor1D> = {};
      const labelled: Record<string, number> = {};
      for (const [name, t] of Object.entries(this.targets)) {
        const v = new Float32Array(n * t.width);
        const m = new Float32Array(n);
        let count = 0;
        for (let i = 0; i < n; i++) {
          const r = order ? order[start + i]! : start + i;
          v.set(t.values.subarray(r * t.width, (r + 1) * t.width), i * t.width);
          const present = t.mask ? t.mask[r]! : 1;
          m[i] = present;
          count += present;
        }
        labels[name] = tf.tensor2d(v, [n, t.width]);
        masks[name] = tf.tensor1d(m);
        labelled[name] = count;
      }
      yield { x: tf.tensor(x, [n, ...this.inputShape]), labels, masks, labelled, size: n };
    }
  }
}
