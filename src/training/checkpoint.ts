import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { readModelArtifacts, readWeights, replaceFolder, saveModel, sha256 } from '../io/modelFiles.js';
import { parseJsonText, readRegularFile, readTextFile, MAX_JSON_BYTES } from '../io/readFile.js';
import { assertRunFolder, removeInsideRunFolder, runFolderOf } from '../io/runMarker.js';
import { renameChecked, writeFileChecked } from '../io/writeFile.js';
import type { Optimizer, OptimizerState } from './optimizers/optimizer.js';
import { applyCheckpoint, optimizerSnapshot, positionSchema, type CheckpointContents, type CheckpointSummary, type TrainingPosition } from './checkpointState.js';
import { methodStateFromJson, methodStateToJson } from '../weighting/stateJson.js';
import type { RandomState } from '../random/random.js';

export { applyCheckpoint, type CheckpointContents, type CheckpointSummary, type TrainingPosition } from './checkpointState.js';

/** The files of a checkpoint besides state.json, which records their sizes and SHA-256s (and is written last). */
const CHECKPOINT_FILES = ['model/model.json', 'model/weights.bin', 'optimizer.json', 'optimizer.bin'] as const;

const count = z.number().int().min(0).safe();
const fileRecord = z.object({ bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

/** state.json: the training position, and the checksums of the other files. */
const stateSchema = positionSchema
  .extend({
    /** Absent in checkpoints of tfjs-multitask before 0.1 (sizes are still checked against the manifests). */
    files: z.object(Object.fromEntries(CHECKPOINT_FILES.map((f) => [f, fileRecord])) as Record<(typeof CHECKPOINT_FILES)[number], typeof fileRecord>).strict().optional(),
  })
  .strict();

const specSchema = z.object({ name: z.string(), shape: z.array(count).max(8), dtype: z.literal('float32') }).passthrough();
const optimizerSchema = z
  .object({
    type: z.string(),
    steps: z.record(count),
    slotIndex: z.record(z.record(z.string())),
    specs: z.array(specSchema),
  })
  .strict();

/**
 * Write a checkpoint folder atomically: the model in tfjs format (model.json +
 * weights.bin), the optimizer's per-variable state (optimizer.bin + its index), and
 * the training position with the weighting method's JSON state (state.json, written
 * last, with the size and SHA-256 of every other file, so that a truncated or damaged
 * checkpoint is detected before it is used). The folder holding `dir` must be a marked
 * run folder.
 */
export async function saveCheckpoint(dir: string, model: MultiTaskModel, optimizer: Optimizer, position: TrainingPosition): Promise<void> {
  const { entries, slotIndex, steps } = optimizerSnapshot(model, optimizer);
  await replaceFolder(dir, async (tmp) => {
    await saveModel(model.model, join(tmp, 'model'), { tasks: model.tasks.map((t) => t.name) });
    const tensors = entries.map((e) => ({ name: e.name, tensor: tf.tensor(e.values, e.shape) }));
    const { data, specs } = await tf.io.encodeWeights(tensors);
    tensors.forEach((t) => t.tensor.dispose());
    writeFileChecked(join(tmp, 'optimizer.bin'), new Uint8Array(data as ArrayBuffer), 'the checkpoint\'s optimizer.bin');
    writeFileChecked(join(tmp, 'optimizer.json'), JSON.stringify({ type: optimizer.type, steps, slotIndex, specs }), 'the checkpoint\'s optimizer.json');
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const f of CHECKPOINT_FILES) {
      const bytes = fs.readFileSync(join(tmp, f));
      files[f] = { bytes: bytes.length, sha256: sha256(bytes) };
    }
    writeFileChecked(
      join(tmp, 'state.json'),
      JSON.stringify({ ...position, methodState: methodStateToJson(position.methodState), files }),
      'the checkpoint\'s state.json',
    );
  });
}

/** Whether a run folder holds a checkpoint (also one left half-replaced by a crash). */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(join(dir, 'state.json')) || fs.existsSync(join(`${dir}.old`, 'state.json'));
}

/**
 * Read and verify a checkpoint folder without touching any model: state.json's shape,
 * every other file's size and SHA-256 against state.json, model.json and optimizer.json
 * against their schemas, optimizer.bin's size against its index, finite weights. A
 * checkpoint left as `<dir>.old` by a crash between the two renames of a replacement
 * is put back first (inside the marked run folder only).
 *
 * @throws MtlError `checkpoint.missing`, `checkpoint.corrupt` (naming the file and what is
 *   wrong with it), and the file errors of the io layer.
 */
export function readCheckpoint(dir: string): CheckpointContents {
  if (!fs.existsSync(join(dir, 'state.json')) && fs.existsSync(join(`${dir}.old`, 'state.json'))) {
    const runDir = runFolderOf(dir);
    assertRunFolder(runDir, 'repair');
    removeInsideRunFolder(runDir, resolve(dir));
    renameChecked(`${dir}.old`, dir, 'the previous checkpoint');
  }
  if (!fs.existsSync(join(dir, 'state.json'))) {
    throw new MtlError({
      code: 'checkpoint.missing',
      path: dir,
      expected: 'a checkpoint folder with state.json, model/ and optimizer.bin',
      found: 'no checkpoint',
      fix: 'start the run without --resume',
    });
  }
  return asCorrupt(() => readVerified(dir));
}

/** A damaged checkpoint file (an io.* error) reported as `checkpoint.corrupt`, naming the file. */
function asCorrupt<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MtlError && error.code.startsWith('io.')) {
      throw new MtlError({
        code: 'checkpoint.corrupt',
        path: error.path,
        expected: `a complete checkpoint (${error.expected})`,
        found: error.found,
        fix: 'the checkpoint is damaged: restore the run folder from a copy, or start the run again (mtl train --force)',
      });
    }
    throw error;
  }
}

/**
 * The position (step, epoch) a checkpoint folder records, read without changing
 * anything (also from `<dir>.old`, left by a crash mid-replacement); undefined without
 * a checkpoint.
 *
 * @throws MtlError `checkpoint.corrupt` for a damaged state.json.
 */
export function checkpointPosition(dir: string): { step: number; epoch: number } | undefined {
  for (const d of [dir, `${dir}.old`]) {
    const path = join(d, 'state.json');
    if (!fs.existsSync(path)) continue;
    const state = asCorrupt(() => parseJsonText(readTextFile(path, { what: 'the checkpoint\'s state.json', maxBytes: MAX_JSON_BYTES }), path, stateSchema, 'the checkpoint\'s state.json'));
    return { step: state.step, epoch: state.epoch };
  }
  return undefined;
}

function readVerified(dir: string): CheckpointContents {
  const statePath = join(dir, 'state.json');
  const state = parseJsonText(readTextFile(statePath, { what: 'the checkpoint\'s state.json', maxBytes: MAX_JSON_BYTES }), statePath, stateSchema, 'the checkpoint\'s state.json');
  for (const f of state.files ? CHECKPOINT_FILES : []) {
    const path = join(dir, f);
    const expected = state.files![f];
    const bytes = readRegularFile(path, { what: `the checkpoint's ${f}`, expectedBytes: expected.bytes });
    if (sha256(bytes) !== expected.sha256) {
      throw new MtlError({
        code: 'io.checksum_mismatch',
        path,
        expected: `the SHA-256 state.json records (${expected.sha256.slice(0, 12)}…)`,
        found: `other content (${sha256(bytes).slice(0, 12)}…): the file was damaged or replaced`,
      });
    }
  }
  const weights = readWeights(join(dir, 'model'));
  try {
    const optimizerPath = join(dir, 'optimizer.json');
    const meta = parseJsonText(readTextFile(optimizerPath, { what: 'the checkpoint\'s optimizer.json', maxBytes: MAX_JSON_BYTES }), optimizerPath, optimizerSchema, 'the checkpoint\'s optimizer.json');
    const declared = meta.specs.reduce((s, spec) => s + spec.shape.reduce((a, b) => a * b, 1) * 4, 0);
    const binPath = join(dir, 'optimizer.bin');
    const buf = readRegularFile(binPath, { what: 'the checkpoint\'s optimizer.bin', expectedBytes: declared });
    const aligned = new Uint8Array(buf.length);
    aligned.set(buf);
    const floats = new Float32Array(aligned.buffer);
    const bad = floats.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new MtlError({ code: 'io.bad_weights', path: binPath, expected: 'finite optimizer state', found: `${floats[bad]} at element ${bad}` });
    }
    const specNames = new Set(meta.specs.map((s) => s.name));
    const slots: OptimizerState['slots'] = {};
    let offset = 0;
    const bySpec = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const spec of meta.specs) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      bySpec.set(spec.name, { shape: spec.shape, values: floats.slice(offset, offset + n) });
      offset += n;
    }
    for (const [key, s] of Object.entries(meta.slotIndex)) {
      slots[key] = {};
      for (const [slot, name] of Object.entries(s)) {
        if (!specNames.has(name)) {
          throw new MtlError({ code: 'io.bad_file', path: `${optimizerPath}: slotIndex.${key}.${slot}`, expected: 'the name of a tensor in optimizer.bin', found: JSON.stringify(name) });
        }
        slots[key]![slot] = bySpec.get(name)!;
      }
    }
    const position: TrainingPosition = {
      epoch: state.epoch,
      batchInEpoch: state.batchInEpoch,
      step: state.step,
      methodState: methodStateFromJson(state.methodState, `${statePath}: methodState`),
      lastWeights: state.lastWeights,
      ...(state.randomState ? { randomState: state.randomState as RandomState } : {}),
      epochLossSums: state.epochLossSums,
      epochLossCounts: state.epochLossCounts,
      ...(state.best ? { best: state.best } : {}),
      epochsWithoutImprovement: state.epochsWithoutImprovement,
      metricsBytes: state.metricsBytes,
    };
    return { dir, position, weights, optimizer: { type: meta.type, steps: meta.steps, slots } };
  } catch (error) {
    weights.forEach((w) => w.dispose());
    throw error;
  }
}

/** Restore model weights and optimizer state from a checkpoint (verified first, see {@link readCheckpoint}); returns the training position. */
export function loadCheckpoint(dir: string, model: MultiTaskModel, optimizer: Optimizer): TrainingPosition {
  return applyCheckpoint(readCheckpoint(dir), model, optimizer);
}

/**
 * Read a checkpoint's position and the size of its weights without applying it; undefined
 * when there is no complete, undamaged checkpoint.
 */
export function inspectCheckpoint(dir: string): CheckpointSummary | undefined {
  if (!fs.existsSync(join(dir, 'state.json'))) return undefined;
  try {
    const statePath = join(dir, 'state.json');
    const state = parseJsonText(readTextFile(statePath, { maxBytes: MAX_JSON_BYTES }), statePath, stateSchema);
    const artifacts = readModelArtifacts(join(dir, 'model'));
    const floats = new Float32Array((artifacts.weightData as ArrayBuffer).slice(0));
    let max = 0;
    let finite = true;
    for (let i = 0; i < floats.length; i++) {
      const v = Math.abs(floats[i]!);
      if (!Number.isFinite(v)) finite = false;
      else if (v > max) max = v;
    }
    return { epoch: state.epoch, batchInEpoch: state.batchInEpoch, step: state.step, maxAbsWeight: max, finite };
  } catch {
    return undefined;
  }
}

