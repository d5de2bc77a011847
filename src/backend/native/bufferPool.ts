/**
 * Reuses the Float32Arrays of disposed native-kernel outputs for later outputs of
 * the same length, sparing the allocation and zero-filling of a fresh buffer (tens
 * of microseconds for a 256×256 output, more than the kernel itself).
 *
 * A buffer is recycled only if nothing outside the backend can still see it: it
 * must have been allocated here, and must never have been handed out by the cpu
 * backend's read/readSync (dataSync, data, arraySync, bufferSync) nor stored as
 * the values of a second tensor (e.g. a slice view). Those buffers are marked
 * escaped and left to the garbage collector.
 */
import type * as tf from '@tensorflow/tfjs';

/** The cpu backend methods the pool hooks. */
interface PooledBackend {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  readSync(dataId: tf.DataId): unknown;
  read(dataId: tf.DataId): Promise<unknown>;
  write(values: unknown, shape: number[], dtype: tf.DataType): tf.DataId;
  move(dataId: tf.DataId, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

type Hooked = Pick<PooledBackend, 'readSync' | 'read' | 'write' | 'move' | 'disposeData'>;

/** Options of {@link BufferPool}. */
export interface BufferPoolOptions {
  /** Most bytes kept for reuse; beyond it released buffers go to the GC. @defaultValue 256 MiB */
  maxBytes?: number;
  /** Smallest length (in floats) worth pooling; smaller arrays are cheap to allocate. @defaultValue 4096 */
  minLength?: number;
}

/** A per-length free list of output buffers, fed by the cpu backend's disposeData. */
export class BufferPool {
  private readonly owned = new WeakSet<ArrayBuffer>();
  private readonly escaped = new WeakSet<ArrayBuffer>();
  private readonly free = new Map<number, Float32Array[]>();
  private readonly maxBytes: number;
  private readonly minLength: number;
  private pooledBytes = 0;
  private writingOwn = false;
  private hooked: { backend: PooledBackend; originals: Hooked; own: Set<keyof Hooked> } | null = null;

  constructor(options: BufferPoolOptions = {}) {
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.minLength = options.minLength ?? 4096;
  }

  /** Bytes currently held for reuse. */
  get bytes(): number {
    return this.pooledBytes;
  }

  /** A buffer of `length` floats: a recycled one (contents undefined) or a new zeroed one. */
  take(length: number): Float32Array {
    const list = this.free.get(length);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    const fresh = new Float32Array(length);
    if (this.hooked && length >= this.minLength) this.owned.add(fresh.buffer);
    return fresh;
  }

  /** Wraps a taken buffer as a tensor of `backend` without the write hook marking it escaped. */
  adopt<T>(makeTensorInfo: () => T): T {
    this.writingOwn = true;
    try {
      return makeTensorInfo();
    } finally {
      this.writingOwn = false;
    }
  }

  /** Hooks the cpu backend so disposed outputs come back here and escapes are noticed. */
  attach(backend: PooledBackend): void {
    if (this.hooked) return;
    const originals: Hooked = {
      readSync: backend.readSync,
      read: backend.read,
      write: backend.write,
      move: backend.move,
      disposeData: backend.disposeData,
    };
    const own = new Set((Object.keys(originals) as Array<keyof Hooked>).filter((k) => Object.hasOwn(backend, k)));
    const escape = (values: unknown) => {
      if (ArrayBuffer.isView(values) && this.owned.has(values.buffer as ArrayBuffer)) this.escaped.add(values.buffer as ArrayBuffer);
    };
    backend.readSync = (dataId) => {
      const values = originals.readSync.call(backend, dataId);
      escape(values);
      return values;
    };
    backend.read = async (dataId) => {
      const values = await originals.read.call(backend, dataId);
      escape(values);
      return values;
    };
    backend.write = (values, shape, dtype) => {
      if (!this.writingOwn) escape(values);
      return originals.write.call(backend, values, shape, dtype);
    };
    backend.move = (dataId, values, shape, dtype, refCount) => {
      escape(values);
      originals.move.call(backend, dataId, values, shape, dtype, refCount);
    };
    backend.disposeData = (dataId, force) => {
      const values = backend.data.get(dataId)?.values;
      const deleted = originals.disposeData.call(backend, dataId, force);
      if (deleted) this.release(values);
      return deleted;
    };
    this.hooked = { backend, originals, own };
  }

  /** Removes the hooks and drops every pooled buffer. */
  detach(): void {
    if (!this.hooked) return;
    const { backend, originals, own } = this.hooked;
    for (const key of Object.keys(originals) as Array<keyof Hooked>) {
      // Methods that came from the prototype go back to it; earlier own overrides are restored.
      if (own.has(key)) Object.assign(backend, { [key]: originals[key] });
      else delete (backend as Partial<Hooked>)[key];
    }
    this.hooked = null;
    this.free.clear();
    this.pooledBytes = 0;
  }

  private release(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buffer = values.buffer as ArrayBuffer;
    if (!this.owned.has(buffer) || this.escaped.has(buffer)) return;
    if (this.pooledBytes + values.byteLength > this.maxBytes) return;
    let list = this.free.get(values.length);
    if (!list) this.free.set(values.length, (list = []));
    list.push(values);
    this.pooledBytes += values.byteLength;
  }
}
