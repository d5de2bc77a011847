import type * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { CheckpointContents, CheckpointSummary, TrainingPosition } from './checkpointState.js';

/**
 * Where `fit` keeps a run: its checkpoint (weights, optimizer state, training position),
 * its metrics log (one JSON record per line) and the weights of the best epoch under
 * early stopping. The training loop reads and writes a run only through this interface,
 * so the same loop runs in Node with a run folder ({@link FileRunStore}, `fit({ runDir })`)
 * and in a browser with IndexedDB ({@link IndexedDbRunStore}) or memory
 * ({@link MemoryRunStore}).
 *
 * A store must make each checkpoint write atomic (a reader sees the previous checkpoint
 * or the new one, never a mix) and verify a checkpoint when reading it (a damaged one is
 * an `MtlError` `checkpoint.corrupt`, never a model with garbage weights).
 */
export interface RunStore {
  /** Where the run lives, for messages (a folder, `indexeddb://name`, `memory://name`). */
  readonly location: string;
  /** Where the checkpoint lives, for messages. */
  readonly checkpointLocation: string;
  /** Where the metrics log lives, for messages. */
  readonly metricsLocation: string;
  /**
   * Claim the run before training touches it (a run folder: mark it, take its lock,
   * check it is writable); `release` is called when training ends, also on error.
   */
  open?(options: { resume: boolean; log: (line: string) => void }): Promise<{ release(): void }> | { release(): void };
  /** Whether a checkpoint exists to resume. */
  hasCheckpoint(): Promise<boolean>;
  /** The checkpoint, verified, not yet applied (see {@link applyCheckpoint}). @throws MtlError `checkpoint.missing`, `checkpoint.corrupt`. */
  readCheckpoint(): Promise<CheckpointContents>;
  /** Replace the checkpoint with the model's weights, the optimizer's state and `position`, atomically. */
  writeCheckpoint(model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void>;
  /** The checkpoint's position and weight magnitude, for a divergence report; undefined without an intact one. */
  inspectCheckpoint(): Promise<CheckpointSummary | undefined>;
  /** The metrics log's length in bytes of UTF-8 (recorded in each checkpoint's `metricsBytes`). */
  metricsBytes(): Promise<number>;
  /** Start an empty metrics log (a new run). */
  clearMetrics(): Promise<void>;
  /** Append one record (a line of JSON, ending in a newline) to the metrics log. */
  appendMetrics(line: string): Promise<void>;
  /**
   * On resume, before anything changes: check that the metrics log holds at least the
   * `bytes` the checkpoint recorded.
   * @throws MtlError `checkpoint.corrupt` when it is shorter (records were lost).
   */
  checkMetrics(bytes: number): Promise<void>;
  /**
   * On resume, after the checkpoint is applied: cut the metrics log back to `bytes` (records written after the checkpoint
   * are dropped, they are written again) and return its text.
   */
  resumeMetrics(bytes: number): Promise<string>;
  /** Keep the model's current weights as the best epoch's. */
  writeBest(model: MultiTaskModel): Promise<void>;
  /** The best epoch's weights, in the model's weight order; undefined when none were kept. */
  readBest(): Promise<tf.Tensor[] | undefined>;
}
