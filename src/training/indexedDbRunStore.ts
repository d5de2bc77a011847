import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { checkpointRecord, readCheckpointRecord, summarizeCheckpointRecord } from './checkpointRecord.js';
import type { CheckpointContents, CheckpointSummary, TrainingPosition } from './checkpointState.js';
import { MetricsLines } from './metricsLines.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { RunStore } from './runStore.js';

/** The IndexedDB database holding runs' checkpoints and metrics (the best weights go to tfjs's own model store). */
export const RUN_DATABASE = 'tfjs-multitask-runs';
const OBJECT_STORE = 'runs';

/**
 * A run kept in the browser's IndexedDB, so that training survives a reload and resumes
 * exactly:
 * - the checkpoint: one {@link CheckpointRecord} under `<name>/checkpoint` in the
 *   `tfjs-multitask-runs` database, written by one `put` (a reader sees the old
 *   checkpoint or the new one) and checked field by field when read;
 * - the metrics log: its lines under `<name>/metrics`;
 * - the best epoch's weights (early stopping): a tfjs model saved with tfjs's IndexedDB
 *   IO handler at `indexeddb://<name>/best`, which a page loads with
 *   `tf.loadLayersModel('indexeddb://<name>/best')` or `loadMultiTaskModel`.
 *
 * Opening it for a new run (no `resume`) deletes the run's previous checkpoint, metrics
 * and best weights; where the Web Locks API exists, the run is locked for the
 * duration of training so a second tab cannot train the same run at once.
 *
 * @example
 * const store = new IndexedDbRunStore('churn-demo');
 * await fit({ ...args, store, resume: await store.hasCheckpoint() });
 */
export class IndexedDbRunStore implements RunStore {
  readonly location: string;
  readonly checkpointLocation: string;
  readonly metricsLocation: string;
  /** The tfjs URL of the best epoch's model. */
  readonly bestUrl: string;
  private metrics: MetricsLines | undefined;

  /** @param name The run's name (a key prefix in the database; letters, digits, `-`, `_`, `.` and `/`). */
  constructor(readonly name: string) {
    if (!/^[\w.\-/]+$/.test(name)) {
      throw new MtlError({ code: 'config.bad_value', path: 'IndexedDbRunStore.name', expected: 'a run name of letters, digits, "-", "_", "." or "/"', found: JSON.stringify(name) });
    }
    this.location = `indexeddb://${name}`;
    this.checkpointLocation = `${this.location}/checkpoint`;
    this.metricsLocation = `${this.location}/metrics`;
    this.bestUrl = `${this.location}/best`;
  }

  async open(options: { resume: boolean; log: (line: string) => void }): Promise<{ release(): void }> {
    const release = await lockRun(this.name, this.location);
    try {
      if (!options.resume) {
        await deleteKeys([`${this.name}/checkpoint`, `${this.name}/metrics`], this.location);
        await tf.io.removeModel(this.bestUrl).catch(() => undefined);
      }
      return { release };
    } catch (error) {
      release();
      throw error;
    }
  }

  async hasCheckpoint(): Promise<boolean> {
    return (await getValue(`${this.name}/checkpoint`, this.location)) !== undefined;
  }

  async readCheckpoint(): Promise<CheckpointContents> {
    const value = await getValue(`${this.name}/checkpoint`, this.location);
    if (value === undefined) {
      throw new MtlError({ code: 'checkpoint.missing', path: this.checkpointLocation, expected: 'a checkpoint to resume', found: 'no checkpoint', fix: 'train without resume' });
    }
    return readCheckpointRecord(value, this.checkpointLocation);
  }

  async writeCheckpoint(model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void> {
    await putValue(`${this.name}/checkpoint`, checkpointRecord(model, optimizer, position), this.checkpointLocation);
  }

  async inspectCheckpoint(): Promise<CheckpointSummary | undefined> {
    try {
      return summarizeCheckpointRecord(await getValue(`${this.name}/checkpoint`, this.location));
    } catch {
      return undefined;
    }
  }

  private async lines(): Promise<MetricsLines> {
    if (!this.metrics) {
      const stored = await getValue(`${this.name}/metrics`, this.location);
      const ok = Array.isArray(stored) && stored.every((l) => typeof l === 'string');
      if (stored !== undefined && !ok) {
        throw new MtlError({ code: 'checkpoint.corrupt', path: this.metricsLocation, expected: 'the metrics log as a list of lines', found: typeof stored, fix: 'delete the run and train again without resume' });
      }
      this.metrics = new MetricsLines(ok ? (stored as string[]) : []);
    }
    return this.metrics;
  }

  async metricsBytes(): Promise<number> {
    return (await this.lines()).bytes;
  }

  async clearMetrics(): Promise<void> {
    (await this.lines()).clear();
    await putValue(`${this.name}/metrics`, [], this.metricsLocation);
  }

  async appendMetrics(line: string): Promise<void> {
    const lines = await this.lines();
    lines.append(line);
    await putValue(`${this.name}/metrics`, [...lines.all], this.metricsLocation);
  }

  async checkMetrics(bytes: number): Promise<void> {
    (await this.lines()).check(bytes, this.metricsLocation);
  }

  async resumeMetrics(bytes: number): Promise<string> {
    const lines = await this.lines();
    const text = lines.cutTo(bytes);
    await putValue(`${this.name}/metrics`, [...lines.all], this.metricsLocation);
    return text;
  }

  /** The metrics log's lines (JSON records, each ending in a newline). */
  async metricsLines(): Promise<readonly string[]> {
    return (await this.lines()).all;
  }

  async writeBest(model: MultiTaskModel): Promise<void> {
    // tfjs's IndexedDB handler, with the task names as the Node model files carry them (loadMultiTaskModel names outputs by them).
    const target = tf.io.getSaveHandlers(this.bestUrl)[0]!;
    const tasks = model.tasks.map((t) => t.name);
    try {
      await model.model.save(tf.io.withSaveHandler((artifacts) => target.save!({ ...artifacts, userDefinedMetadata: { tasks } })));
    } catch (error) {
      throw storeFailed(this.bestUrl, 'write the best weights of', error);
    }
  }

  async readBest(): Promise<tf.Tensor[] | undefined> {
    const models = await tf.io.listModels().catch(() => ({}) as Record<string, unknown>);
    if (!(this.bestUrl in models)) return undefined;
    const handler = tf.io.getLoadHandlers(this.bestUrl)[0];
    const artifacts = await handler!.load!();
    if (!artifacts.weightSpecs || !artifacts.weightData) return undefined;
    const named = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    return artifacts.weightSpecs.map((s) => named[s.name]!);
  }
}

function storeFailed(location: string, action: string, error: unknown): MtlError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new MtlError({
    code: 'io.file_failed',
    path: location,
    expected: `to ${action} the run in IndexedDB`,
    found: detail,
    fix: /quota/i.test(detail) ? 'free browser storage (or ask for persistent storage), or keep the run in memory (MemoryRunStore)' : 'check that the page may use IndexedDB (not a private window with storage off)',
  });
}

function openDatabase(location: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(storeFailed(location, 'open', 'IndexedDB is not available here'));
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(RUN_DATABASE, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(OBJECT_STORE)) request.result.createObjectStore(OBJECT_STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(storeFailed(location, 'open', request.error));
  });
}

async function transact<T>(location: string, mode: IDBTransactionMode, action: string, work: (store: IDBObjectStore) => IDBRequest | undefined): Promise<T> {
  const db = await openDatabase(location);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(OBJECT_STORE, mode);
      const request = work(tx.objectStore(OBJECT_STORE));
      // Resolved when the transaction commits: a write is durable, not merely queued.
      tx.oncomplete = () => resolve(request?.result as T);
      tx.onerror = () => reject(storeFailed(location, action, tx.error));
      tx.onabort = () => reject(storeFailed(location, action, tx.error ?? 'the transaction was aborted'));
    });
  } finally {
    db.close();
  }
}

function getValue(key: string, location: string): Promise<unknown> {
  return transact(location, 'readonly', 'read', (s) => s.get(key));
}

function putValue(key: string, value: unknown, location: string): Promise<void> {
  return transact(location, 'readwrite', 'write', (s) => s.put(value, key));
}

function deleteKeys(keys: readonly string[], location: string): Promise<void> {
  return transact(location, 'readwrite', 'clear', (s) => {
    for (const k of keys) s.delete(k);
    return undefined;
  });
}

/** Hold the Web Lock named after the run while training; a no-op where the API is missing. */
async function lockRun(name: string, location: string): Promise<() => void> {
  const locks = (globalThis.navigator as (Navigator & { locks?: LockManager }) | undefined)?.locks;
  if (!locks) return () => undefined;
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await new Promise<void>((acquired, refused) => {
    locks
      .request(`tfjs-multitask:${name}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          refused(new MtlError({ code: 'run.locked', path: location, expected: 'a run no other page is training', found: 'the run is being trained in another tab or window', fix: 'wait for it to finish, or give this run another name' }));
          return undefined;
        }
        acquired();
        return held;
      })
      .catch(refused);
  });
  return release;
}
