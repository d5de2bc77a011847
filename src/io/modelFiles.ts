import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { MtlError } from '../errors.js';
import { fileError } from './fileErrors.js';
import { parseJsonText, readRegularFile, readTextFile, MAX_JSON_BYTES } from './readFile.js';
import { assertRunFolder, removeInsideRunFolder, runFolderOf } from './runMarker.js';
import { makeFolderChecked, renameChecked, writeFileChecked } from './writeFile.js';

/** The SHA-256 of some bytes, hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Save a tfjs model to a folder in the standard tfjs layers format (`model.json` +
 * `weights.bin`), loadable with `tf.loadLayersModel` from Node (see {@link loadModel}) or
 * from a browser over HTTP. `metadata` goes into `userDefinedMetadata`. `model.json`
 * also records the byte count and SHA-256 of `weights.bin` (`weightsChecksum`, ignored by
 * tfjs's own loaders), so a truncated or damaged file is detected before it is used.
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata: Record<string, unknown> = {}): Promise<void> {
  makeFolderChecked(dir, 'the model folder');
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0));
      writeFileChecked(join(dir, 'weights.bin'), weights, 'the model\'s weights.bin');
      const json = {
        format: 'layers-model',
        generatedBy: 'tfjs-multitask',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: metadata,
        weightsChecksum: { algorithm: 'sha256', bytes: weights.byteLength, digest: sha256(weights) },
      };
      // model.json last: a folder with a model.json has its weights.
      writeFileChecked(join(dir, 'model.json'), JSON.stringify(json), 'the model\'s model.json');
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/** Bytes per element of the dtypes a weights manifest may declare. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

const dimension = z.number().int().min(0).max(2 ** 32);
const weightSpecSchema = z
  .object({
    name: z.string(),
    shape: z.array(dimension).max(8),
    dtype: z.enum(['float32', 'int32', 'bool']),
  })
  .passthrough()
  .refine((s) => (s as { quantization?: unknown }).quantization === undefined, { message: 'quantized weights (not written by tfjs-multitask)' });

/** The parts of a model.json tfjs-multitask reads; other keys (format, generatedBy, ...) pass through. */
const modelJsonSchema = z
  .object({
    modelTopology: z.record(z.unknown()),
    weightsManifest: z.array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) }).passthrough()).min(1),
    userDefinedMetadata: z.record(z.unknown()).optional(),
    weightsChecksum: z.object({ algorithm: z.literal('sha256'), bytes: z.number().int().min(0), digest: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  })
  .passthrough();

/**
 * A weight file path of a manifest, confined to the model folder: a plain relative path
 * (no `..`, not absolute), whose real location (symlinks resolved) is inside the folder,
 * and a regular file (not a symlink, a pipe or a device).
 */
function confinedWeightPath(dir: string, manifestPath: string, p: string): string {
  const reject = (found: string) =>
    new MtlError({
      code: 'io.path_outside_model',
      path: `${manifestPath}: weightsManifest paths`,
      expected: 'weight files inside the model folder (plain relative file names, e.g. "weights.bin")',
      found,
      fix: 'a model folder is untrusted input: use one written by tfjs-multitask, or restore its model.json',
    });
  if (p === '' || isAbsolute(p) || p.includes('\\') || p.split('/').some((part) => part === '..' || part === '.' || part === '') || p.includes('\0')) {
    throw reject(JSON.stringify(p));
  }
  const root = resolve(dir);
  const full = resolve(root, p);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(full);
  } catch (error) {
    throw fileError(error, full, 'read', 'a weight file named by model.json');
  }
  if (stat.isSymbolicLink()) throw reject(`${JSON.stringify(p)}, a symbolic link`);
  if (!stat.isFile()) {
    throw new MtlError({
      code: 'io.not_regular_file',
      path: full,
      expected: 'a weight file, a regular file',
      found: stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a named pipe' : 'a device or other special file',
      fix: 'a model folder is untrusted input: use one written by tfjs-multitask',
    });
  }
  // A symlinked folder on the way (model/sub -> /etc) would escape too.
  const real = fs.realpathSync(full);
  const realRoot = fs.realpathSync(root);
  const rel = relative(realRoot, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw reject(`${JSON.stringify(p)}, which resolves to ${real}`);
  return full;
}

/**
 * Read the artifacts of a model saved by {@link saveModel} (topology, weight specs and
 * data, metadata), treating the folder as untrusted input: `model.json` must be valid
 * JSON of the expected shape; every weight path must stay inside the folder and be a
 * regular file; the files' total size must equal what the manifest declares
 * (Σ elements × bytes per dtype) before a byte of them is read; and the SHA-256 must
 * match where `model.json` records one.
 *
 * @throws MtlError `io.missing_model`, `io.bad_json`, `io.bad_file`, `io.path_outside_model`,
 *   `io.not_regular_file`, `io.size_mismatch`, `io.checksum_mismatch`, and file errors.
 */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts & { userDefinedMetadata?: Record<string, unknown> } {
  const path = join(dir, 'model.json');
  if (!fs.existsSync(path)) {
    throw new MtlError({
      code: 'io.missing_model',
      path,
      expected: 'a model.json written by tfjs-multitask (a run folder\'s model/ or checkpoint/)',
      found: 'no such file',
      fix: 'check the run folder path, or train first with `mtl train`',
    });
  }
  const json = parseJsonText(readTextFile(path, { what: 'the model\'s model.json', maxBytes: MAX_JSON_BYTES }), path, modelJsonSchema, 'the model\'s model.json');
  const specs = json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  const declared = specs.reduce((s, spec) => s + spec.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[spec.dtype]!, 0);
  const files = json.weightsManifest.flatMap((g) => g.paths).map((p) => confinedWeightPath(dir, path, p));
  const sizes = files.map((f) => fs.statSync(f).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== declared || (json.weightsChecksum && json.weightsChecksum.bytes !== total)) {
    throw new MtlError({
      code: 'io.size_mismatch',
      path: files.length === 1 ? files[0]! : `${dir}: ${files.map((f) => relative(dir, f)).join(' + ')}`,
      expected: `${declared} bytes, the ${specs.length} weight tensors model.json declares`,
      found: `${total} bytes${total < declared ? ' (truncated)' : ''}`,
      fix: 'the weight file is damaged or belongs to another model: restore it, or train again',
    });
  }
  const data = Buffer.concat(files.map((f, i) => readRegularFile(f, { what: 'a weight file', expectedBytes: sizes[i]! })));
  if (json.weightsChecksum && sha256(data) !== json.weightsChecksum.digest) {
    throw new MtlError({
      code: 'io.checksum_mismatch',
      path: files.length === 1 ? files[0]! : dir,
      expected: `weights with the SHA-256 model.json records (${json.weightsChecksum.digest.slice(0, 12)}…)`,
      found: `other content (${sha256(data).slice(0, 12)}…): the file was damaged or replaced`,
      fix: 'restore the model folder, or train again',
    });
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata as Record<string, {}> } : {}),
  };
}

/** Load a model saved by {@link saveModel} as an ordinary tfjs LayersModel (the folder checked as in {@link readModelArtifacts}). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(dir)));
}

/**
 * The saved weights of a model folder, in the model's weight order (checked as in
 * {@link readModelArtifacts}); a weight that is NaN or infinite is a coded error.
 *
 * @throws MtlError `io.bad_weights`, and those of {@link readModelArtifacts}.
 */
export function readWeights(dir: string): tf.Tensor[] {
  const artifacts = readModelArtifacts(dir);
  const specs = artifacts.weightSpecs!;
  let offset = 0;
  const view = artifacts.weightData as ArrayBuffer;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'float32') {
      const values = offset % 4 === 0 ? new Float32Array(view, offset, count) : new Float32Array(view.slice(offset, offset + 4 * count));
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new MtlError({
          code: 'io.bad_weights',
          path: `${join(dir, 'weights.bin')}: ${spec.name}`,
          expected: 'finite weights',
          found: `${values[bad]} at element ${bad}`,
          fix: 'these weights are from a diverged run: use an earlier checkpoint, or train again with a lower learning rate',
        });
      }
    }
    offset += count * DTYPE_BYTES[spec.dtype]!;
  }
  const named = tf.io.decodeWeights(view, specs);
  return specs.map((s) => named[s.name]!);
}

/**
 * The input shape (without the batch dimension) a saved model expects, from its
 * topology; a topology without one is a coded error.
 */
export function modelInputShape(dir: string): number[] {
  const path = join(dir, 'model.json');
  const json = parseJsonText(readTextFile(path, { what: 'the model\'s model.json', maxBytes: MAX_JSON_BYTES }), path, modelJsonSchema, 'the model\'s model.json');
  const firstLayer = z.object({ config: z.object({ batch_input_shape: z.array(z.number().int().positive().nullable()).min(2) }).passthrough() }).passthrough();
  const shape = z
    .object({ config: z.object({ layers: z.tuple([firstLayer]).rest(z.unknown()) }).passthrough() })
    .passthrough()
    .safeParse(json.modelTopology);
  if (!shape.success) {
    throw new MtlError({ code: 'io.bad_file', path: `${path}: modelTopology`, expected: 'a layers model whose first layer declares its batch_input_shape', found: `${shape.error.issues[0]!.message} at ${shape.error.issues[0]!.path.join('.')}`, fix: 'use a model folder written by tfjs-multitask' });
  }
  return shape.data.config.layers[0]!.config.batch_input_shape.slice(1).map((d) => d ?? 1);
}

/**
 * Replace a sub-folder of a run folder atomically: `write` fills a temporary sibling
 * folder, which then takes the target's place. A crash or a failed write (a full disk)
 * leaves the previous folder intact, and a failed write removes the temporary folder.
 * The folder holding `dir` must be a marked run folder (see runMarker.ts): nothing
 * outside one is ever deleted.
 */
export async function replaceFolder(dir: string, write: (tmp: string) => Promise<void> | void): Promise<void> {
  const runDir = runFolderOf(dir);
  assertRunFolder(runDir, 'replace');
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  removeInsideRunFolder(runDir, tmp);
  makeFolderChecked(tmp);
  try {
    await write(tmp);
  } catch (error) {
    try {
      removeInsideRunFolder(runDir, tmp);
    } catch {
      // Report the write's error, not the clean-up's.
    }
    throw error;
  }
  removeInsideRunFolder(runDir, old);
  if (fs.existsSync(dir)) renameChecked(dir, old, 'the previous folder');
  renameChecked(tmp, dir, 'the new folder');
  removeInsideRunFolder(runDir, old);
}
