import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { methodStateFromJson, methodStateToJson } from '../weighting/stateJson.js';
import { optimizerSnapshot, positionSchema, type CheckpointContents, type CheckpointSummary, type TrainingPosition } from './checkpointState.js';
import type { Optimizer, OptimizerState } from './optimizers/optimizer.js';
import type { RandomState } from '../random/random.js';

/**
 * A checkpoint as one structured-cloneable value, for the stores that keep a run in a
 * page (memory, IndexedDB): the training position as JSON text (the weighting method's
 * state encoded as in state.json), the model weights and the optimizer's slots as
 * Float32Arrays. A store writes the whole record at once (one assignment, one IndexedDB
 * `put`), so a checkpoint is replaced atomically; `readCheckpointRecord` checks
 * every field before anything is built from it.
 */
export interface CheckpointRecord {
  format: typeof CHECKPOINT_RECORD_FORMAT;
  /** The training position, JSON (see {@link TrainingPosition}). */
  state: string;
  /** The model weights, in `model.model.weights` order. */
  weights: Array<{ shape: number[]; values: Float32Array }>;
  optimizer: { type: string; steps: Record<string, number>; slots: OptimizerState['slots'] };
}

/** The version tag of {@link CheckpointRecord}. */
export const CHECKPOINT_RECORD_FORMAT = 'tfjs-multitask-checkpoint/1';

/** Copy the model's weights, the optimizer's state and the position into a record (no tensor is kept). */
export function checkpointRecord(model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): CheckpointRecord {
  const weights = model.model.getWeights().map((w) => ({ shape: [...w.shape], values: Float32Array.from(w.dataSync() as Float32Array) }));
  const { entries, slotIndex, steps } = optimizerSnapshot(model, optimizer);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const slots: OptimizerState['slots'] = {};
  for (const [key, names] of Object.entries(slotIndex)) {
    slots[key] = {};
    for (const [slot, name] of Object.entries(names)) {
      const e = byName.get(name)!;
      slots[key]![slot] = { shape: [...e.shape], values: Float32Array.from(e.values) };
    }
  }
  return {
    format: CHECKPOINT_RECORD_FORMAT,
    state: JSON.stringify({ ...position, methodState: methodStateToJson(position.methodState) }),
    weights,
    optimizer: { type: optimizer.type, steps: { ...steps }, slots },
  };
}

const count = z.number().int().min(0).safe();
const shapeSchema = z.array(count).max(8);
const floatArray = z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'a Float32Array' });
const arraySchema = z.object({ shape: shapeSchema, values: floatArray }).strict();
const recordSchema = z
  .object({
    format: z.literal(CHECKPOINT_RECORD_FORMAT),
    state: z.string(),
    weights: z.array(arraySchema),
    optimizer: z.object({ type: z.string(), steps: z.record(count), slots: z.record(z.record(arraySchema)) }).strict(),
  })
  .strict();

/**
 * Check a stored record (its shape, each array's length against its shape, finite
 * numbers, the position's fields) and turn it into checkpoint contents, with the weights
 * as new tensors that the caller disposes (or `applyCheckpoint` does).
 *
 * @throws MtlError `checkpoint.corrupt` naming `location` and what is wrong.
 */
export function readCheckpointRecord(value: unknown, location: string): CheckpointContents {
  const corrupt = (path: string, expected: string, found: string) =>
    new MtlError({ code: 'checkpoint.corrupt', path, expected, found, fix: 'the stored checkpoint is damaged: delete the run and train again without resume' });
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(`${location}${issue.path.length ? `: ${issue.path.join('.')}` : ''}`, `a checkpoint record (${CHECKPOINT_RECORD_FORMAT})`, issue.message);
  }
  const record = parsed.data;
  const checkArray = (a: { shape: number[]; values: Float32Array }, path: string) => {
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (a.values.length !== size) throw corrupt(`${location}: ${path}`, `${size} values for shape [${a.shape.join(', ')}]`, `${a.values.length}`);
    const bad = a.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw corrupt(`${location}: ${path}`, 'finite values', `${a.values[bad]} at element ${bad}`);
  };
  record.weights.forEach((w, i) => checkArray(w, `weights[${i}]`));
  for (const [key, slots] of Object.entries(record.optimizer.slots)) for (const [slot, a] of Object.entries(slots)) checkArray(a, `optimizer.slots.${key}.${slot}`);
  let json: unknown;
  try {
    json = JSON.parse(record.state);
  } catch (error) {
    throw corrupt(`${location}: state`, 'the training position as JSON', (error as Error).message);
  }
  const state = positionSchema.safeParse(json);
  if (!state.success) {
    const issue = state.error.issues[0]!;
    throw corrupt(`${location}: state.${issue.path.join('.')}`, 'the training position as fit writes it', issue.message);
  }
  const s = state.data;
  const position: TrainingPosition = {
    epoch: s.epoch,
    batchInEpoch: s.batchInEpoch,
    step: s.step,
    methodState: methodStateFromJson(s.methodState, `${location}: methodState`),
    lastWeights: s.lastWeights,
    ...(s.randomState ? { randomState: s.randomState as RandomState } : {}),
    epochLossSums: s.epochLossSums,
    epochLossCounts: s.epochLossCounts,
    ...(s.best ? { best: s.best } : {}),
    epochsWithoutImprovement: s.epochsWithoutImprovement,
    metricsBytes: s.metricsBytes,
  };
  const weights = record.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  const slots: OptimizerState['slots'] = {};
  for (const [key, s2] of Object.entries(record.optimizer.slots)) {
    slots[key] = {};
    for (const [slot, a] of Object.entries(s2)) slots[key]![slot] = { shape: [...a.shape], values: Float32Array.from(a.values) };
  }
  return { dir: location, position, weights, optimizer: { type: record.optimizer.type, steps: { ...record.optimizer.steps }, slots } };
}

/** The position and weight magnitude of a stored record, for a divergence report; undefined for a damaged one. */
export function summarizeCheckpointRecord(value: unknown): CheckpointSummary | undefined {
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const state = positionSchema.safeParse((() => {
    try {
      return JSON.parse(parsed.data.state);
    } catch {
      return undefined;
    }
  })());
  if (!state.success) return undefined;
  let max = 0;
  let finite = true;
  for (const w of parsed.data.weights) {
    for (const v of w.values) {
      const a = Math.abs(v);
      if (!Number.isFinite(a)) finite = false;
      else if (a > max) max = a;
    }
  }
  return { epoch: state.data.epoch, batchInEpoch: state.data.batchInEpoch, step: state.data.step, maxAbsWeight: max, finite };
}
