import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';

/**
 * Save a tfjs model to a folder in the standard tfjs layers format (`model.json` +
 * `weights.bin`), loadable with `tf.loadLayersModel` from Node (see {@link loadModel}) or
 * from a browser over HTTP. `metadata` goes into `userDefinedMetadata`.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata: Record<string, unknown> = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(weights));
      const json = {
        format: 'layers-model',
        generatedBy: 'mtl-ts',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: metadata,
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/** Read the artifacts of a model saved by {@link saveModel} (topology, weight specs and data, metadata). */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts & { userDefinedMetadata?: Record<string, unknown> } {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) {
    throw new MtlError({
      code: 'io.missing_model',
      path,
      expected: 'a model.json written by mtl-ts (a run folder\'s model/ or checkpoint/)',
      found: 'no such file',
      fix: 'check the run folder path, or train first with `mtl train`',
    });
  }
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const manifest = json.weightsManifest as Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const data = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/** Load a model saved by {@link saveModel} as an ordinary tfjs LayersModel. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(dir)));
}

/** The saved weights of a model folder, in the model's weight order. */
export function readWeights(dir: string): tf.Tensor[] {
  const artifacts = readModelArtifacts(dir);
  const named = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  return artifacts.weightSpecs!.map((s) => named[s.name]!);
}

/**
 * Replace a folder atomically: `write` fills a temporary sibling folder, which then
 * takes the target's place. A crash mid-write leaves the previous folder intact.
 */
export async function replaceFolder(dir: string, write: (tmp: string) => Promise<void> | void): Promise<void> {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await write(tmp);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}
