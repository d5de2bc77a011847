import fs from 'node:fs';
import { totalmem } from 'node:os';
import { MtlError } from '../errors.js';
import { getWeightingMethod } from '../weighting/registry.js';
import type { ExperimentConfig } from './config.js';

/**
 * Sizes are bounded before anything is allocated: the memory an experiment needs is
 * estimated from its config (the parameters its encoder and heads give, times the
 * encoder copies its architecture makes, times what training keeps per parameter; the
 * data set; the activations of a batch) and an experiment that cannot fit is refused,
 * naming the field that makes it large, instead of dying in an allocation (or taking
 * the machine's memory). The estimate counts what mtl itself holds; it is a lower bound
 * (tfjs's temporaries come on top), so only an experiment that cannot run is refused.
 */

/** One contribution to the estimate: the experiment field behind it and its bytes. */
export interface MemoryPart {
  field: string;
  bytes: number;
  what: string;
}

/** What {@link estimateMemory} found. */
export interface MemoryEstimate {
  /** Total bytes (the sum of `parts`). */
  bytes: number;
  parts: MemoryPart[];
  /** Trainable parameters of the multi-task model. */
  parameters: number;
  /** The largest single array (elements) and the field behind it. */
  largest: { field: string; elements: number };
}

/** Tensors index their elements with 32-bit integers in the kernels; a bigger array cannot be made. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

const DEFAULT_TRAIN_SIZE: Record<string, number> = { 'synthetic-gradnorm': 10000, 'synthetic-mmoe': 10000 };
const DEFAULT_TEST_SIZE: Record<string, number> = { 'synthetic-gradnorm': 2000, 'synthetic-mmoe': 2000 };

/** The input shape (without the batch dimension) an experiment's data gives, when it is known without loading the data. */
export function inputShapeOf(config: ExperimentConfig): number[] | undefined {
  const d = config.data;
  switch (d.source) {
    case 'multimnist':
    case 'multifashion':
    case 'multi-fashion-mnist':
      return [28, 28, 1];
    case 'synthetic-gradnorm':
      return [250];
    case 'synthetic-mmoe':
      return [100];
    case 'csv': {
      if (Array.isArray(d.features)) return [d.features.length];
      const header = csvHeader(d.path);
      if (!header) return undefined;
      const labels = new Set(config.tasks.flatMap((t) => t.columns ?? []));
      return [Math.max(1, header.filter((h) => !labels.has(h)).length)];
    }
  }
}

/** The first line's column names of a CSV file (read from its first 64 KiB only), or undefined. */
function csvHeader(path: string): string[] | undefined {
  try {
    if (!fs.statSync(path).isFile()) return undefined;
    const fd = fs.openSync(path, 'r');
    try {
      const buf = Buffer.alloc(65536);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const first = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0] ?? '';
      return first.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Parameters, output width and activations per example of one encoder copy, with each layer's field. */
function encoderCost(config: ExperimentConfig, inputShape: readonly number[]): { layers: Array<{ field: string; params: number; largest: number }>; output: number; activations: number } {
  const e = config.model.encoder;
  const size = inputShape.reduce((a, b) => a * b, 1);
  switch (e.type) {
    case 'mlp': {
      let previous = size;
      let activations = size;
      const layers = e.hidden.map((w, i) => {
        const layer = { field: `model.encoder.hidden[${i}]`, params: (previous + 1) * w, largest: previous * w };
        previous = w;
        activations += w;
        return layer;
      });
      return { layers, output: previous, activations };
    }
    case 'lenet': {
      const [h = 28, w = 28, c = 1] = inputShape;
      const h1 = Math.floor(Math.max(h - 4, 0) / 2);
      const w1 = Math.floor(Math.max(w - 4, 0) / 2);
      const h2 = Math.floor(Math.max(h1 - 4, 0) / 2);
      const w2 = Math.floor(Math.max(w1 - 4, 0) / 2);
      const flat = h2 * w2 * 20;
      return {
        layers: [{ field: 'model.encoder', params: (25 * c + 1) * 10 + 251 * 20 + (flat + 1) * 50, largest: flat * 50 }],
        output: 50,
        activations: size + 2 * (h - 4) * (w - 4) * 10 + 2 * (h1 - 4) * (w1 - 4) * 20 + flat + 50,
      };
    }
    case 'resnet': {
      const [h = 28, w = 28, c = 1] = inputShape;
      const width = e.width ?? 16;
      const stages = e.stages ?? 3;
      const blocks = e.blocksPerStage ?? 1;
      let params = 9 * c * width + 4 * width;
      let largest = 9 * c * width;
      let channels = width;
      let pixels = h * w;
      let activations = size + 3 * pixels * width;
      for (let s = 0; s < stages; s++) {
        const filters = width * 2 ** s;
        for (let b = 0; b < blocks; b++) {
          if (s > 0 && b === 0) pixels = Math.ceil(Math.sqrt(pixels) / 2) ** 2;
          params += 9 * channels * filters + 9 * filters * filters + 8 * filters;
          if (s > 0 && b === 0) params += channels * filters + 4 * filters;
          largest = Math.max(largest, 9 * filters * filters);
          activations += 7 * pixels * filters;
          channels = filters;
        }
      }
      return { layers: [{ field: width > 64 ? 'model.encoder.width' : 'model.encoder', params, largest }], output: channels, activations };
    }
  }
}

/** How many copies of the encoder an architecture makes, with the field that sets it. */
function encoderCopies(config: ExperimentConfig): { copies: number; field?: string } {
  const t = config.tasks.length;
  const o = config.model.options ?? {};
  const int = (key: string, fallback: number) => (typeof o[key] === 'number' && Number.isFinite(o[key]) ? (o[key] as number) : fallback);
  switch (config.model.architecture) {
    case 'soft-sharing':
    case 'cross-stitch':
      return { copies: t };
    case 'mmoe':
      return { copies: int('experts', 4), field: 'model.options.experts' };
    case 'ple':
      return { copies: int('sharedExperts', 1) + t * int('taskExperts', 1), field: int('sharedExperts', 1) >= t * int('taskExperts', 1) ? 'model.options.sharedExperts' : 'model.options.taskExperts' };
    default:
      return { copies: 1 };
  }
}

/**
 * Estimate the memory an experiment needs to train (see the module comment).
 * `inputShape` defaults to what the data source gives (`inputShapeOf`).
 */
export function estimateMemory(config: ExperimentConfig, inputShape: readonly number[] = inputShapeOf(config) ?? [1]): MemoryEstimate {
  const parts: MemoryPart[] = [];
  const t = config.tasks.length;
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const encoder = encoderCost(config, inputShape);
  const { copies, field: copiesField } = encoderCopies(config);
  const optimizer = config.training.optimizer;
  const slots = optimizer.type === 'sgd' ? ((optimizer.momentum ?? 0) > 0 ? 1 : 0) : 2;
  // Weights, gradients, optimizer slots, and the copies a checkpoint and the best weights take.
  const perParameter = 4 * (1 + 1 + slots + 2);
  let method: { needs: string } | undefined;
  try {
    method = getWeightingMethod(config.weighting.method);
  } catch {
    method = undefined;
  }
  // Gradient methods keep T rows of the shared gradient (and their concatenation).
  const gradientRows = method && method.needs !== 'losses' && config.weighting.gradientMode !== 'representation' ? 2 * t : 0;
  let parameters = 0;
  let largest = { field: 'model.encoder', elements: 0 };
  for (const layer of encoder.layers) {
    const bytes = layer.params * copies * (perParameter + 4 * gradientRows);
    parts.push({ field: copies >= 1000 && copiesField ? copiesField : layer.field, bytes, what: `${formatCount(layer.params * copies)} encoder parameters` });
    parameters += layer.params * copies;
    if (layer.largest > largest.elements) largest = { field: layer.field, elements: layer.largest };
  }
  config.tasks.forEach((task, i) => {
    const out = task.kind === 'multiclass' ? (Array.isArray(task.classes) ? task.classes.length : task.classes ?? 2) : task.outputs ?? 1;
    let previous = encoder.output;
    let params = 0;
    let field = task.kind === 'multiclass' ? `tasks[${i}].classes` : `tasks[${i}].outputs`;
    let widest = 0;
    (task.head?.hidden ?? []).forEach((w, j) => {
      params += (previous + 1) * w;
      if (previous * w > widest) {
        widest = previous * w;
        field = `tasks[${i}].head.hidden[${j}]`;
      }
      previous = w;
    });
    params += (previous + 1) * out;
    if (previous * out > widest) {
      widest = previous * out;
      field = task.kind === 'multiclass' ? `tasks[${i}].classes` : `tasks[${i}].outputs`;
    }
    parts.push({ field, bytes: params * perParameter, what: `${formatCount(params)} parameters of task "${task.name}"'s head` });
    parameters += params;
    if (widest > largest.elements) largest = { field, elements: widest };
  });
  // The data set, held in typed arrays (images as bytes), and the split copies.
  const d = config.data;
  const labels = config.tasks.reduce((s, task) => s + (task.kind === 'multiclass' ? 1 : task.outputs ?? 1), 0);
  if (d.source === 'csv') {
    let fileBytes = 0;
    try {
      fileBytes = fs.statSync(d.path).size + (d.testPath ? fs.statSync(d.testPath).size : 0);
    } catch {
      fileBytes = 0;
    }
    // Parsed cells are JavaScript strings (tens of bytes each), then float32 arrays.
    parts.push({ field: 'data.path', bytes: fileBytes * 24, what: `a CSV of ${formatBytes(fileBytes)} parsed` });
  } else {
    const image = d.source === 'multimnist' || d.source === 'multifashion' || d.source === 'multi-fashion-mnist';
    const train = d.trainSize ?? DEFAULT_TRAIN_SIZE[d.source] ?? (d.source === 'multimnist' && !('mnistDir' in d && d.mnistDir) ? 8000 : 60000);
    const test = d.testSize ?? DEFAULT_TEST_SIZE[d.source] ?? 10000;
    const perExample = rowSize * (image ? 1 : 4) + labels * 4;
    parts.push({ field: 'data.trainSize', bytes: 2 * train * perExample, what: `${formatCount(train)} training examples` });
    parts.push({ field: 'data.testSize', bytes: test * perExample, what: `${formatCount(test)} test examples` });
    if (train * rowSize > largest.elements) largest = { field: 'data.trainSize', elements: train * rowSize };
    if (test * rowSize > largest.elements) largest = { field: 'data.testSize', elements: test * rowSize };
  }
  // Activations of a training batch (kept for the backward pass) and of an evaluation batch.
  const batch = config.training.batchSize;
  parts.push({
    field: copies >= 1000 && copiesField ? copiesField : 'training.batchSize',
    bytes: 3 * 4 * (batch + 512) * encoder.activations * copies,
    what: `the activations of batches of ${formatCount(batch)}${copies > 1 ? ` in ${formatCount(copies)} encoder copies` : ''}`,
  });
  const bytes = parts.reduce((s, p) => s + p.bytes, 0);
  return { bytes, parts, parameters, largest };
}

/** The memory mtl may use: $MTL_MEMORY_LIMIT (bytes, or with a K/M/G suffix) when set, else the machine's total memory. */
export function memoryLimit(): { bytes: number; source: string } {
  const raw = process.env.MTL_MEMORY_LIMIT;
  if (raw !== undefined && raw.trim() !== '') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$/.exec(raw);
    if (!m) {
      throw new MtlError({ code: 'config.bad_environment', path: 'MTL_MEMORY_LIMIT', expected: 'a size such as 8G, 512M or 1073741824', found: JSON.stringify(raw), fix: 'fix or unset MTL_MEMORY_LIMIT' });
    }
    const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
    return { bytes: Number(m[1]) * unit, source: `MTL_MEMORY_LIMIT=${raw.trim()}` };
  }
  return { bytes: totalmem(), source: 'the machine\'s memory' };
}

/**
 * Refuse an experiment that cannot fit in memory (or holds an array larger than a
 * tensor can be), naming the field that makes it large.
 *
 * @throws MtlError `config.too_large`.
 */
export function checkMemory(config: ExperimentConfig, inputShape?: readonly number[]): MemoryEstimate {
  const estimate = estimateMemory(config, inputShape ?? inputShapeOf(config) ?? [1]);
  refuseIfTooLarge(estimate, `${config.name}: `);
  return estimate;
}

function refuseIfTooLarge(estimate: MemoryEstimate, prefix: string): void {
  if (estimate.largest.elements > MAX_TENSOR_ELEMENTS) {
    throw new MtlError({
      code: 'config.too_large',
      path: `${prefix}${estimate.largest.field}`,
      expected: `arrays of at most ${formatCount(MAX_TENSOR_ELEMENTS)} elements (what a tensor can index)`,
      found: `an array of ${formatCount(estimate.largest.elements)} elements`,
      fix: `lower ${estimate.largest.field}`,
    });
  }
  const limit = memoryLimit();
  if (estimate.bytes > limit.bytes) {
    const biggest = [...estimate.parts].sort((a, b) => b.bytes - a.bytes)[0]!;
    throw new MtlError({
      code: 'config.too_large',
      path: `${prefix}${biggest.field}`,
      expected: `an experiment that fits in ${formatBytes(limit.bytes)} (${limit.source})`,
      found: `about ${formatBytes(estimate.bytes)} needed, ${formatBytes(biggest.bytes)} of it for ${biggest.what}`,
      fix: `lower ${biggest.field}${limit.source.startsWith('MTL_') ? ', or raise MTL_MEMORY_LIMIT' : ''}`,
    });
  }
}

/**
 * Refuse an inference benchmark that cannot fit: the multi-task model and its T
 * single-task models, and a batch of `batch` inputs with its activations.
 *
 * @throws MtlError `config.too_large` naming `--batch` (or the model field behind the size).
 */
export function checkInferenceMemory(config: ExperimentConfig, inputShape: readonly number[], batch: number): MemoryEstimate {
  const training = estimateMemory(config, inputShape);
  const encoder = encoderCost(config, inputShape);
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const models = training.parameters * 4 * (1 + config.tasks.length);
  const activations = 2 * 4 * batch * (encoder.activations + rowSize) * encoderCopies(config).copies;
  const parts: MemoryPart[] = [
    { field: 'model', bytes: models, what: `the multi-task model and ${config.tasks.length} single-task models` },
    { field: '--batch', bytes: activations, what: `a batch of ${formatCount(batch)} inputs and its activations` },
  ];
  const largest = batch * rowSize > training.largest.elements ? { field: '--batch', elements: batch * rowSize } : training.largest;
  const estimate = { bytes: models + activations, parts, parameters: training.parameters, largest };
  refuseIfTooLarge(estimate, '');
  return estimate;
}

function formatCount(n: number): string {
  return n >= 1e6 ? n.toExponential(2).replace('e+', 'e') : String(Math.round(n));
}

/** Bytes as KiB / MiB / GiB / TiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v.toFixed(1)} ${units[u]}`;
}
