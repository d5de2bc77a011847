import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import type { Optimizer, OptimizerState } from './optimizers/optimizer.js';
import type { RandomState } from '../random/random.js';

/*
 * What a training checkpoint holds, independent of where it is stored: the training
 * position, the optimizer's per-variable state keyed by the variable's position in the
 * model (stable across tfjs's global name counters), and how a verified checkpoint is put
 * back into a model. The file store (checkpoint.ts) and the browser stores
 * (memoryRunStore.ts, indexedDbRunStore.ts) share it; nothing here touches a file.
 */

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

const count = z.number().int().min(0).safe();
const finiteNumber = z.number().finite();
const u32 = z.number().int().min(0).max(2 ** 32 - 1);

/** The training position as stored (state.json, or a browser store's record), checked field by field. */
export const positionSchema = z
  .object({
    epoch: count,
    batchInEpoch: count,
    step: count,
    methodState: z.unknown(),
    lastWeights: z.array(finiteNumber).min(1),
    randomState: z.tuple([u32, u32, u32, u32]).optional(),
    epochLossSums: z.record(finiteNumber),
    epochLossCounts: z.record(count),
    best: z.object({ value: finiteNumber, epoch: count }).strict().optional(),
    epochsWithoutImprovement: count,
    metricsBytes: count,
  })
  .strict();

/** A checkpoint read and verified, not yet applied to a model (see {@link readCheckpoint}). */
export interface CheckpointContents {
  dir: string;
  position: TrainingPosition;
  /** The model weights, in the model's weight order (the caller disposes them, or {@link applyCheckpoint} does). */
  weights: tf.Tensor[];
  optimizer: { type: string; steps: Record<string, number>; slots: OptimizerState['slots'] };
}

/** One tensor of the optimizer's state: `<variable key>::<slot>`. */
export interface OptimizerEntry {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * The optimizer's state keyed by the variables' positions in the model (`w0`, `w1`, …):
 * its tensors (`entries`), which entry holds which slot of which variable (`slotIndex`)
 * and the per-variable step counts.
 */
export function optimizerSnapshot(model: MultiTaskModel, optimizer: Optimizer): { entries: OptimizerEntry[]; slotIndex: Record<string, Record<string, string>>; steps: Record<string, number> } {
  const state = optimizer.getState();
  const index = variableIndex(model);
  const entries: OptimizerEntry[] = [];
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
  for (const [varName, n] of Object.entries(state.steps)) steps[index.get(varName) ?? varName] = n;
  return { entries, slotIndex, steps };
}

/**
 * Put a verified checkpoint into a model and its optimizer; every shape is checked
 * before anything changes. Disposes the checkpoint's weight tensors.
 *
 * @throws MtlError `checkpoint.mismatch` for a checkpoint of another model or optimizer.
 */
export function applyCheckpoint(contents: CheckpointContents, model: MultiTaskModel, optimizer: Optimizer): TrainingPosition {
  const { dir, weights } = contents;
  try {
    const current = model.model.weights;
    if (weights.length !== current.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, current[i]!.shape as number[]))) {
      throw new MtlError({
        code: 'checkpoint.mismatch',
        path: dir,
        expected: `a checkpoint of this model (${current.length} weight tensors)`,
        found: `${weights.length} weight tensors of other shapes`,
        fix: 'resume with the same experiment file the run was started with, or start a new run',
      });
    }
    if (contents.optimizer.type !== optimizer.type) {
      throw new MtlError({
        code: 'checkpoint.mismatch',
        path: `${dir}/optimizer.json`,
        expected: `the state of a "${optimizer.type}" optimizer`,
        found: `a "${contents.optimizer.type}" optimizer`,
        fix: 'resume with the same experiment file the run was started with, or start a new run',
      });
    }
    const trainable = model.model.trainableWeights;
    for (const [key, slots] of Object.entries(contents.optimizer.slots)) {
      const index = /^w(\d+)$/.exec(key);
      const variable = index ? trainable[Number(index[1])] : undefined;
      for (const [slot, { shape }] of Object.entries(slots)) {
        if (!variable || !tf.util.arraysEqual(shape, variable.shape as number[])) {
          throw new MtlError({
            code: 'checkpoint.mismatch',
            path: `${dir}/optimizer.json`,
            expected: 'optimizer state for the variables of this model',
            found: `${key}::${slot} of shape [${shape.join(', ')}]${variable ? ` for a variable of shape [${(variable.shape as number[]).join(', ')}]` : ', an unknown variable'}`,
            fix: 'resume with the same experiment file the run was started with, or start a new run',
          });
        }
      }
    }
    model.model.setWeights(weights);
    const names = variableNames(model);
    optimizer.setState({ steps: contents.optimizer.steps, slots: contents.optimizer.slots }, (key) => names.get(key) ?? key);
    return contents.position;
  } finally {
    weights.forEach((w) => w.dispose());
  }
}

/** What a checkpoint says about its weights, for a divergence report (see {@link inspectCheckpoint}). */
export interface CheckpointSummary {
  epoch: number;
  batchInEpoch: number;
  step: number;
  /** Largest |w| over every weight of the model. */
  maxAbsWeight: number;
  /** Whether every weight is finite. */
  finite: boolean;
}

/** Stable keys for a model's trainable variables (their position), independent of tfjs's global name counters. */
export function variableIndex(model: MultiTaskModel): Map<string, string> {
  return new Map(model.model.trainableWeights.map((w, i) => [(w.read() as tf.Variable).name, `w${i}`]));
}

function variableNames(model: MultiTaskModel): Map<string, string> {
  return new Map(model.model.trainableWeights.map((w, i) => [`w${i}`, (w.read() as tf.Variable).name]));
}
