import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { readWeights, replaceFolder, saveModel } from '../io/modelFiles.js';
import type { Optimizer, OptimizerState } from './optimizers/optimizer.js';
import { methodStateFromJson, methodStateToJson } from '../weighting/stateJson.js';
import type { RandomState } from './random.js';

/** Where training stands: enough to continue exactly where a run stopped. */
export interface TrainingPosition {
  /** Epoch in progress (0-based) and how many of its batches are done. */
  epoch: number;
  batchInEpoch: number;
  /** Optimisation steps taken so far. */
  step: number;
  methodState: unknown;
  lastWeights: number[];
  /** The seeded Math.random generator's state (dropout masks etc.). */
  randomState?: RandomState;
  /** Running sums of this epoch's unweighted losses, per task, and their counts. */
  epochLossSums: Record<string, number>;
  epochLossCounts: Record<string, number>;
  /** Early-stopping bookkeeping. */
  best?: { value: number; epoch: number };
  epochsWithoutImprovement: number;
  /** Byte length of metrics.jsonl when the checkpoint was written; longer logs are cut back on resume. */
  metricsBytes: number;
}

/**
 * Write a checkpoint folder atomically: the model in tfjs format (model.json +
 * weights.bin), the optimizer's per-variable state (optimizer.bin + its index), and
 * the training position with the weighting method's JSON state (state.json).
 */
export async function saveCheckpoint(dir: string, model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void> {
  const state = optimizer.getState();
  const index = variableIndex(model);
  const entries: Array<{ name: string; shape: number[]; values: Float32Array }> = [];
  const slotIndex: Record<string, Record<string, string>> = {};
  for (const [varName, slots] of Object.entries(state.slots)) {
    const key = index.get(varName) ?? varName;
    slotIndex[key] = {};
    for (const [slot, { shape, values }] of Object.entries(slots)) {
      const name = `${key}::${slot}`;
      slotIndex[key]![slot] = name;
      entries.push({ name, shape, values });
    }
  }
  const steps: Record<string, number> = {};
  for (const [varName, count] of Object.entries(state.steps)) steps[index.get(varName) ?? varName] = count;
  await replaceFolder(dir, async (tmp) => {
    await saveModel(model.model, join(tmp, 'model'), { tasks: model.tasks.map((t) => t.name) });
    const tensors = entries.map((e) => ({ name: e.name, tensor: tf.tensor(e.values, e.shape) }));
    const { data, specs } = await tf.io.encodeWeights(tensors);
    tensors.forEach((t) => t.tensor.dispose());
    writeFileSync(join(tmp, 'optimizer.bin'), Buffer.from(data as ArrayBuffer));
    writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify({ type: optimizer.type, steps, slotIndex, specs }));
    writeFileSync(join(tmp, 'state.json'), JSON.stringify({ ...position, methodState: methodStateToJson(position.methodState) }));
  });
}

/** Whether a run folder holds a checkpoint (also one left half-replaced by a crash). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'state.json')) || existsSync(join(`${dir}.old`, 'state.json'));
}

/** Restore model weights and optimizer state from a checkpoint; returns the training position. */
export function loadCheckpoint(dir: string, model: MultiTaskModel, optimizer: Optimizer): TrainingPosition {
  if (!existsSync(join(dir, 'state.json')) && existsSync(join(`${dir}.old`, 'state.json'))) renameSync(`${dir}.old`, dir);
  if (!existsSync(join(dir, 'state.json'))) {
    throw new MtlError({
      code: 'checkpoint.missing',
      path: dir,
      expected: 'a checkpoint folder with state.json, model/ and optimizer.bin',
      found: 'no checkpoint',
      fix: 'start the run without --resume',
    });
  }
  const weights = readWeights(join(dir, 'model'));
  const current = model.model.weights;
  if (weights.length !== current.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, current[i]!.shape as number[]))) {
    weights.forEach((w) => w.dispose());
    throw new MtlError({
      code: 'checkpoint.mismatch',
      path: dir,
      expected: `a checkpoint of this model (${current.length} weight tensors)`,
      found: `${weights.length} weight tensors of other shapes`,
      fix: 'resume with the same experiment file the run was started with, or start a new run',
    });
  }
  model.model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  const meta = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as {
    steps: Record<string, number>;
    slotIndex: Record<string, Record<string, string>>;
    specs: tf.io.WeightsManifestEntry[];
  };
  const buf = readFileSync(join(dir, 'optimizer.bin'));
  const named = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), meta.specs);
  const slots: OptimizerState['slots'] = {};
  for (const [key, s] of Object.entries(meta.slotIndex)) {
    slots[key] = {};
    for (const [slot, name] of Object.entries(s)) {
      const t = named[name]!;
      slots[key]![slot] = { shape: t.shape, values: t.dataSync() as Float32Array };
      t.dispose();
    }
  }
  const names = variableNames(model);
  optimizer.setState({ steps: meta.steps, slots }, (key) => names.get(key) ?? key);
  const position = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as TrainingPosition;
  return { ...position, methodState: methodStateFromJson(position.methodState, `${join(dir, 'state.json')}: methodState`) };
}

/** Stable keys for a model's trainable variables (their position), independent of tfjs's global name counters. */
function variableIndex(model: MultiTaskModel): Map<string, string> {
  return new Map(model.model.trainableWeights.map((w, i) => [(w.read() as tf.Variable).name, `w${i}`]));
}

function variableNames(model: MultiTaskModel): Map<string, string> {
  return new Map(model.model.trainableWeights.map((w, i) => [`w${i}`, (w.read() as tf.Variable).name]));
}
