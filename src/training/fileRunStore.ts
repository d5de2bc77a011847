import type * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { acquireRunLock } from '../io/runLock.js';
import { ensureRunFolder } from '../io/runMarker.js';
import { readTextFile } from '../io/readFile.js';
import { appendFileChecked, checkWritable, truncateFileChecked, writeFileChecked } from '../io/writeFile.js';
import { hasCheckpoint, inspectCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { CheckpointContents, CheckpointSummary, TrainingPosition } from './checkpointState.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { RunStore } from './runStore.js';

/**
 * A run kept in a run folder (Node): `checkpoint/` (written atomically, verified by
 * checksums when read, see checkpoint.ts), `metrics.jsonl` and `best/`. Opening the
 * store marks the folder as a run folder (or adopts an unmarked one on resume), takes
 * its lock (re-entrant: `runExperiment` holds it already) and checks it is writable.
 * This is what `fit({ runDir })` uses.
 */
export class FileRunStore implements RunStore {
  readonly location: string;
  readonly checkpointLocation: string;
  readonly metricsLocation: string;
  private readonly bestDir: string;

  constructor(readonly runDir: string) {
    this.location = runDir;
    this.checkpointLocation = join(runDir, 'checkpoint');
    this.metricsLocation = join(runDir, 'metrics.jsonl');
    this.bestDir = join(runDir, 'best');
  }

  open(options: { resume: boolean; log: (line: string) => void }): { release(): void } {
    // The run folder: created and marked (or already ours), one writer at a time, writable.
    ensureRunFolder(this.runDir, { adoptLegacy: options.resume, log: options.log });
    // Re-entrant: a run (runExperiment) holds this lock already while its trainer runs.
    const lock = acquireRunLock(this.runDir, { log: options.log, reentrant: true });
    try {
      checkWritable(this.runDir);
    } catch (error) {
      lock.release();
      throw error;
    }
    return lock;
  }

  async hasCheckpoint(): Promise<boolean> {
    return hasCheckpoint(this.checkpointLocation);
  }

  async readCheckpoint(): Promise<CheckpointContents> {
    return readCheckpoint(this.checkpointLocation);
  }

  async writeCheckpoint(model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void> {
    await saveCheckpoint(this.checkpointLocation, model, optimizer, position);
  }

  async inspectCheckpoint(): Promise<CheckpointSummary | undefined> {
    return inspectCheckpoint(this.checkpointLocation);
  }

  async metricsBytes(): Promise<number> {
    return existsSync(this.metricsLocation) ? statSync(this.metricsLocation).size : 0;
  }

  async clearMetrics(): Promise<void> {
    writeFileChecked(this.metricsLocation, '', 'the run\'s metrics.jsonl');
  }

  async appendMetrics(line: string): Promise<void> {
    appendFileChecked(this.metricsLocation, line, 'the run\'s metrics.jsonl');
  }

  async checkMetrics(bytes: number): Promise<void> {
    const path = this.metricsLocation;
    const size = await this.metricsBytes();
    if (size < bytes) {
      throw new MtlError({
        code: 'checkpoint.corrupt',
        path,
        expected: `at least the ${bytes} bytes the checkpoint recorded`,
        found: existsSync(path) ? `${size} bytes (truncated)` : 'no such file',
        fix: 'the run\'s metrics log lost records: restore it, or start the run again (--force)',
      });
    }
  }

  async resumeMetrics(bytes: number): Promise<string> {
    const path = this.metricsLocation;
    if (!existsSync(path)) return '';
    if (statSync(path).size > bytes) truncateFileChecked(path, bytes, 'the run\'s metrics.jsonl');
    return readTextFile(path, { what: 'the run\'s metrics.jsonl' });
  }

  async writeBest(model: MultiTaskModel): Promise<void> {
    const { replaceFolder, saveModel } = await import('../io/modelFiles.js');
    await replaceFolder(this.bestDir, (tmp) => saveModel(model.model, tmp, { tasks: model.tasks.map((t) => t.name) }));
  }

  async readBest(): Promise<tf.Tensor[] | undefined> {
    if (!existsSync(join(this.bestDir, 'model.json'))) return undefined;
    const { readWeights } = await import('../io/modelFiles.js');
    return readWeights(this.bestDir);
  }
}
