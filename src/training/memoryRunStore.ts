import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { checkpointRecord, readCheckpointRecord, summarizeCheckpointRecord, type CheckpointRecord } from './checkpointRecord.js';
import type { CheckpointContents, CheckpointSummary, TrainingPosition } from './checkpointState.js';
import { MetricsLines } from './metricsLines.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { RunStore } from './runStore.js';

/**
 * A run kept in memory (any platform): the checkpoint as one {@link CheckpointRecord}
 * (replaced in one assignment), the metrics log as lines, the best epoch's weights as
 * arrays. It lives as long as the object: a page can pause training (an `AbortSignal`)
 * and `resume` it with the same store, and tests use it to check resumption without
 * files. For a run that survives a reload, use {@link IndexedDbRunStore}.
 */
export class MemoryRunStore implements RunStore {
  readonly location: string;
  readonly checkpointLocation: string;
  readonly metricsLocation: string;
  private checkpoint: CheckpointRecord | undefined;
  private readonly metrics = new MetricsLines();
  private best: Array<{ shape: number[]; values: Float32Array }> | undefined;

  /** @param name Names the run in messages (`memory://<name>`). @defaultValue 'run' */
  constructor(name = 'run') {
    this.location = `memory://${name}`;
    this.checkpointLocation = `${this.location}/checkpoint`;
    this.metricsLocation = `${this.location}/metrics.jsonl`;
  }

  async hasCheckpoint(): Promise<boolean> {
    return this.checkpoint !== undefined;
  }

  async readCheckpoint(): Promise<CheckpointContents> {
    if (!this.checkpoint) {
      throw new MtlError({ code: 'checkpoint.missing', path: this.checkpointLocation, expected: 'a checkpoint to resume', found: 'no checkpoint', fix: 'train without resume' });
    }
    return readCheckpointRecord(this.checkpoint, this.checkpointLocation);
  }

  async writeCheckpoint(model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void> {
    this.checkpoint = checkpointRecord(model, optimizer, position);
  }

  async inspectCheckpoint(): Promise<CheckpointSummary | undefined> {
    return this.checkpoint ? summarizeCheckpointRecord(this.checkpoint) : undefined;
  }

  async metricsBytes(): Promise<number> {
    return this.metrics.bytes;
  }

  async clearMetrics(): Promise<void> {
    this.metrics.clear();
  }

  async appendMetrics(line: string): Promise<void> {
    this.metrics.append(line);
  }

  async checkMetrics(bytes: number): Promise<void> {
    this.metrics.check(bytes, this.metricsLocation);
  }

  async resumeMetrics(bytes: number): Promise<string> {
    return this.metrics.cutTo(bytes);
  }

  /** The metrics log's lines (JSON records, each ending in a newline). */
  metricsLines(): readonly string[] {
    return this.metrics.all;
  }

  async writeBest(model: MultiTaskModel): Promise<void> {
    this.best = model.model.getWeights().map((w) => ({ shape: [...w.shape], values: Float32Array.from(w.dataSync() as Float32Array) }));
  }

  async readBest(): Promise<tf.Tensor[] | undefined> {
    return this.best?.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  }
}
