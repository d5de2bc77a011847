import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import type { PreprocessorJson } from '../preprocessing/preprocessor.js';
import { csvRowWriter } from './csvEncode.js';
import type { CsvPlan, SplitCode } from './csvScan.js';
import type { Batch, BatchOptions, Dataset } from './dataset.js';

/** What {@link CsvStreamingDataset} is built from. */
export interface CsvStreamingDatasetArgs {
  plan: CsvPlan;
  preprocessor: PreprocessorJson;
  /** Part of each row of the file; null: every row belongs to this data set. */
  assignment: Uint8Array | null;
  part: SplitCode;
  /** Rows in this part. */
  size: number;
  /** Labelled rows per task. */
  labelled: Record<string, number>;
  /** Rows held in the shuffle buffer. @defaultValue 10,000 */
  shuffleBuffer?: number;
  /** Name for messages. */
  source: string;
  /** The tasks it yields labels for. @defaultValue every target of the plan */
  tasks?: string[];
}

/**
 * A data set read from a CSV file on every pass instead of held in memory, for files
 * larger than memory: the file is read in chunks, each row of this part encoded with
 * the fitted preprocessing, and the rows are shuffled within a buffer (the first
 * `shuffleBuffer` rows fill it; then each new row takes the place of a uniformly chosen
 * buffered row, which goes into the batch; at the end the buffer is emptied in random
 * order). Memory: the buffer and one batch. The shuffle is seeded like an in-memory
 * one (the `random` of {@link BatchOptions}), so runs reproduce and resume exactly; it
 * is a local shuffle, so a file sorted by its labels should be shuffled once on disk.
 */
export class CsvStreamingDataset implements Dataset {
  readonly size: number;
  readonly inputShape: number[];
  readonly source: string;
  readonly taskNames: string[];
  private readonly widths: Record<string, number>;

  constructor(private readonly args: CsvStreamingDatasetArgs) {
    this.size = args.size;
    this.source = args.source;
    const writer = csvRowWriter(args.plan, args.preprocessor);
    this.inputShape = [writer.width];
    const all = args.plan.readers.map((r) => r.target.name);
    this.widths = Object.fromEntries(all.map((name, t) => [name, writer.labelWidths[t]!]));
    this.taskNames = args.tasks ?? all;
  }

  labelWidth(task: string): number | undefined {
    return this.taskNames.includes(task) ? this.widths[task] : undefined;
  }

  labelCounts(): Record<string, number> {
    return Object.fromEntries(this.taskNames.map((t) => [t, this.args.labelled[t] ?? 0]));
  }

  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  withTasks(names: string[]): CsvStreamingDataset {
    for (const n of names) {
      if (!this.taskNames.includes(n)) {
        throw new MtlError({ code: 'data.unknown_task', path: `${this.source}: tasks`, expected: `one of [${this.taskNames.join(', ')}]`, found: JSON.stringify(n) });
      }
    }
    return new CsvStreamingDataset({ ...this.args, tasks: [...names] });
  }

  *batches(options: BatchOptions): Generator<Batch> {
    const { batchSize, random, dropLast = false, skipBatches = 0 } = options;
    const { plan, assignment, part } = this.args;
    const writer = csvRowWriter(plan, this.args.preprocessor);
    const width = writer.width;
    const taskIndex = this.taskNames.map((name) => plan.readers.findIndex((r) => r.target.name === name));
    const lw = writer.labelWidths;
    const slots = random ? Math.max(1, Math.min(this.args.shuffleBuffer ?? 10_000, this.size)) : 1;
    const bx = new Float32Array(slots * width);
    const bl = lw.map((w) => new Float32Array(slots * w));
    const bm = lw.map(() => new Uint8Array(slots));
    const x = new Float32Array(batchSize * width);
    const labels = taskIndex.map((t) => new Float32Array(batchSize * lw[t]!));
    const masks = taskIndex.map(() => new Float32Array(batchSize));
    let inBatch = 0;
    let batchIndex = 0;
    // Move buffered row `s` into the batch; true when the batch is full.
    const take = (s: number): boolean => {
      x.set(bx.subarray(s * width, (s + 1) * width), inBatch * width);
      taskIndex.forEach((t, k) => {
        const w = lw[t]!;
        labels[k]!.set(bl[t]!.subarray(s * w, (s + 1) * w), inBatch * w);
        masks[k]![inBatch] = bm[t]![s]!;
      });
      inBatch++;
      return inBatch === batchSize;
    };
    const emit = (): Batch | undefined => {
      const n = inBatch;
      inBatch = 0;
      if (batchIndex++ < skipBatches) return undefined;
      const batchLabels: Record<string, tf.Tensor2D> = {};
      const batchMasks: Record<string, tf.Tensor1D> = {};
      const labelled: Record<string, number> = {};
      this.taskNames.forEach((name, k) => {
        const w = lw[taskIndex[k]!]!;
        batchLabels[name] = tf.tensor2d(labels[k]!.slice(0, n * w), [n, w]);
        const m = masks[k]!.slice(0, n);
        batchMasks[name] = tf.tensor1d(m);
        let c = 0;
        for (let i = 0; i < n; i++) c += m[i]!;
        labelled[name] = c;
      });
      return { x: tf.tensor2d(x.slice(0, n * width), [n, width]), labels: batchLabels, masks: batchMasks, labelled, size: n };
    };
    let filled = 0;
    let i = 0;
    for (const { fields, line } of plan.source.records()) {
      const mine = !assignment || assignment[i] === part;
      i++;
      if (!mine) continue;
      if (!random) {
        writer.write(fields, line, bx, bl, bm, 0);
        if (take(0)) {
          const b = emit();
          if (b) yield b;
        }
        continue;
      }
      if (filled < slots) {
        writer.write(fields, line, bx, bl, bm, filled++);
        continue;
      }
      const s = random.int(slots);
      const full = take(s);
      writer.write(fields, line, bx, bl, bm, s);
      if (full) {
        const b = emit();
        if (b) yield b;
      }
    }
    if (random) {
      const order = random.permutation(filled);
      for (let k = 0; k < filled; k++) {
        if (take(order[k]!)) {
          const b = emit();
          if (b) yield b;
        }
      }
    }
    if (inBatch > 0 && !dropLast) {
      const b = emit();
      if (b) yield b;
    }
  }
}
