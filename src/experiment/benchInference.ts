import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import { loadRunModel, readRunConfig } from './runFolder.js';
import { modelInputShape } from '../io/modelFiles.js';
import { checkInferenceMemory } from './memoryEstimate.js';

/** Inference cost of one saved model. */
export interface InferenceCost {
  parameters: number;
  /** model.json + weights.bin. */
  bytesOnDisk: number;
  /** Bytes of the model's weight tensors in memory. */
  weightBytes: number;
  /** Median latency of one prediction call at the given batch size, in milliseconds. */
  latencyMs: number;
}

export interface InferenceComparison {
  batchSize: number;
  multiTask: InferenceCost;
  /** The single-task models the multi-task model replaces, by task, and their sum. */
  singleTask: Record<string, InferenceCost>;
  singleTaskTotal: InferenceCost;
}

function folderBytes(dir: string): number {
  return ['model.json', 'weights.bin'].reduce((s, f) => s + (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0), 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * `mtl bench inference <run>`: the multi-task model against the T single-task models
 * it replaces (the run's baselines): parameters, size on disk, weight memory, and the
 * latency of predicting every task (one call, against one call per single-task model),
 * measured alternately in one process.
 */
export function benchInference(runDir: string, options: { batchSize?: number; iterations?: number } = {}): InferenceComparison {
  const batchSize = options.batchSize ?? 1;
  const iterations = options.iterations ?? 50;
  const config = readRunConfig(runDir);
  const tasks = config.tasks.map((t) => t.name);
  const missing = tasks.filter((t) => !existsSync(join(runDir, 'baselines', t, 'model', 'model.json')));
  if (missing.length > 0) {
    throw new MtlError({
      code: 'run.missing_baselines',
      path: join(runDir, 'baselines'),
      expected: `a single-task model for every task (${tasks.join(', ')})`,
      found: `none for ${missing.join(', ')}`,
      fix: `train them: mtl baselines <experiment> --run-dir ${runDir}`,
    });
  }
  const inputShape = modelInputShape(join(runDir, 'model'));
  checkInferenceMemory(config, inputShape, batchSize);
  const mtl = loadRunModel(config, join(runDir, 'model'), inputShape);
  const singles = tasks.map((t) => loadRunModel(config, join(runDir, 'baselines', t, 'model'), inputShape, { taskNames: [t] }));
  const x = tf.randomUniform([batchSize, ...inputShape]);
  const predict = (m: tf.LayersModel) => {
    const out = m.predict(x);
    const list = Array.isArray(out) ? out : [out];
    for (const o of list) o.dataSync();
    tf.dispose(list);
  };
  const mtlTimes: number[] = [];
  const singleTimes: number[][] = singles.map(() => []);
  for (let i = 0; i < 3; i++) {
    predict(mtl.model);
    singles.forEach((s) => predict(s.model));
  }
  for (let i = 0; i < iterations; i++) {
    let t0 = performance.now();
    predict(mtl.model);
    mtlTimes.push(performance.now() - t0);
    singles.forEach((s, k) => {
      t0 = performance.now();
      predict(s.model);
      singleTimes[k]!.push(performance.now() - t0);
    });
  }
  const weightBytes = (m: tf.LayersModel) => m.weights.reduce((s, w) => s + w.read().size * 4, 0);
  const singleTask: Record<string, InferenceCost> = {};
  tasks.forEach((t, k) => {
    singleTask[t] = {
      parameters: singles[k]!.parameterCount(),
      bytesOnDisk: folderBytes(join(runDir, 'baselines', t, 'model')),
      weightBytes: weightBytes(singles[k]!.model),
      latencyMs: median(singleTimes[k]!),
    };
  });
  const sum = (key: keyof InferenceCost) => Object.values(singleTask).reduce((s, c) => s + c[key], 0);
  // The T single-task predictions run one after another: their latencies add up per input.
  const totalLatency = median(mtlTimes.map((_, i) => singleTimes.reduce((s, ts) => s + ts[i]!, 0)));
  const result: InferenceComparison = {
    batchSize,
    multiTask: { parameters: mtl.parameterCount(), bytesOnDisk: folderBytes(join(runDir, 'model')), weightBytes: weightBytes(mtl.model), latencyMs: median(mtlTimes) },
    singleTask,
    singleTaskTotal: { parameters: sum('parameters'), bytesOnDisk: sum('bytesOnDisk'), weightBytes: sum('weightBytes'), latencyMs: totalLatency },
  };
  x.dispose();
  mtl.model.dispose();
  singles.forEach((s) => s.model.dispose());
  return result;
}

/** The comparison as a Markdown table. */
export function formatInferenceComparison(c: InferenceComparison): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const m = c.multiTask;
  const s = c.singleTaskTotal;
  const n = Object.keys(c.singleTask).length;
  return [
    `| | multi-task model | ${n} single-task models | ratio |`,
    '| --- | --- | --- | --- |',
    `| parameters | ${m.parameters} | ${s.parameters} | ${ratio(m.parameters, s.parameters)} |`,
    `| size on disk | ${kb(m.bytesOnDisk)} | ${kb(s.bytesOnDisk)} | ${ratio(m.bytesOnDisk, s.bytesOnDisk)} |`,
    `| weight memory | ${kb(m.weightBytes)} | ${kb(s.weightBytes)} | ${ratio(m.weightBytes, s.weightBytes)} |`,
    `| latency, every task, batch ${c.batchSize} | ${m.latencyMs.toFixed(3)} ms | ${s.latencyMs.toFixed(3)} ms | ${ratio(m.latencyMs, s.latencyMs)} |`,
  ].join('\n');
}
