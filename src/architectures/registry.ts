import type * as tf from '@tensorflow/tfjs';
import { MtlError, closest, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import { ADASHARE_SCHEDULE_KEYS, resolveAdaShareSchedule } from '../training/adashareSchedule.js';
import { adaShare } from './adashare.js';
import { crossStitch } from './crossStitch.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { hardSharing } from './hardSharing.js';
import { mmoe } from './mmoe.js';
import { mtan } from './mtan.js';
import type { MultiTaskModel } from './multiTaskModel.js';
import { booleanOption, checkOptionKeys, numberOption, type ArchitectureOptions } from './options.js';
import { ple } from './ple.js';
import { softSharing } from './softSharing.js';

/** Registry names of the sharing architectures, as written in experiment files (`model.architecture`). */
export const ARCHITECTURES = ['hard-sharing', 'soft-sharing', 'cross-stitch', 'mtan', 'mmoe', 'ple', 'adashare'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/** The options each architecture accepts under `model.options`. */
export const ARCHITECTURE_OPTIONS: Readonly<Record<ArchitectureName, readonly string[]>> = {
  'hard-sharing': [],
  'soft-sharing': ['strength'],
  'cross-stitch': ['selfWeight'],
  mtan: [],
  mmoe: ['experts'],
  ple: ['levels', 'sharedExperts', 'taskExperts'],
  adashare: ['sparsityWeight', 'sharingWeight', 'temperature', 'hardSampling', ...ADASHARE_SCHEDULE_KEYS],
};

export interface BuildArchitectureArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** A built-in encoder spec or the stages of a user's encoder (hard sharing also takes a ready tfjs model). */
  encoder: EncoderSpec | EncoderStages | tf.LayersModel;
  /** Architecture options (`model.options` of an experiment file); see {@link ARCHITECTURE_OPTIONS}. */
  options?: ArchitectureOptions;
}

/**
 * Build a multi-task model by registry name. Unknown names, unknown option keys and bad
 * option values throw an MtlError naming the option, what was expected, what was found
 * and a fix, before anything is built.
 *
 * Options and defaults:
 * - `hard-sharing`: none;
 * - `soft-sharing`: `strength` ρ of the squared-L2 tower penalty (1e-3);
 * - `cross-stitch`: `selfWeight`, initial diagonal of the stitch matrices (0.9);
 * - `mtan`: none;
 * - `mmoe`: `experts` (4);
 * - `ple`: `levels` (number of encoder stages), `sharedExperts` (1), `taskExperts` (1);
 * - `adashare`: `sparsityWeight` (0.001), `sharingWeight` (0.05), `temperature` (5),
 *   `hardSampling` (false), and the schedule read by `resolveAdaShareSchedule`:
 *   `warmupEpochs` (5), `searchEpochs` (20), `policyLearningRate` (0.01),
 *   `temperatureDecay` (0.965), `curriculumSpeed` (3), `policySelection` ("argmax"),
 *   `retrainFromScratch` (true), `retrainEpochs` (0).
 *
 * @example
 * const model = buildArchitecture('mmoe', { tasks, inputShape: [16], encoder: { type: 'mlp', hidden: [16] }, options: { experts: 8 } });
 */
export function buildArchitecture(name: string, args: BuildArchitectureArgs): MultiTaskModel {
  const resolved = resolveArchitecture(name, args.options, args.encoder);
  const { tasks, inputShape, encoder } = args;
  const staged = encoder as EncoderSpec | EncoderStages;
  switch (resolved.architecture) {
    case 'hard-sharing':
      return hardSharing({ tasks, inputShape, encoder });
    case 'soft-sharing':
      return softSharing({ tasks, inputShape, encoder: staged, strength: resolved.strength });
    case 'cross-stitch':
      return crossStitch({ tasks, inputShape, encoder: staged, selfWeight: resolved.selfWeight });
    case 'mtan':
      return mtan({ tasks, inputShape, encoder: staged });
    case 'mmoe':
      return mmoe({ tasks, inputShape, encoder: staged, experts: resolved.experts });
    case 'ple':
      return ple({
        tasks,
        inputShape,
        encoder: staged,
        ...(resolved.levels !== undefined ? { levels: resolved.levels } : {}),
        sharedExperts: resolved.sharedExperts,
        taskExperts: resolved.taskExperts,
      });
    case 'adashare':
      return adaShare({
        tasks,
        inputShape,
        encoder: encoder as EncoderSpec,
        sparsityWeight: resolved.sparsityWeight,
        sharingWeight: resolved.sharingWeight,
        temperature: resolved.temperature,
        hardSampling: resolved.hardSampling,
      });
  }
}

/** An architecture name with its options checked and defaults filled in (see {@link buildArchitecture}). */
export type ResolvedArchitecture =
  | { architecture: 'hard-sharing' | 'mtan' }
  | { architecture: 'soft-sharing'; strength: number }
  | { architecture: 'cross-stitch'; selfWeight: number }
  | { architecture: 'mmoe'; experts: number }
  | { architecture: 'ple'; levels?: number; sharedExperts: number; taskExperts: number }
  | { architecture: 'adashare'; sparsityWeight: number; sharingWeight: number; temperature: number; hardSampling: boolean };

/**
 * Check an architecture's name, option keys and option values (and, where given, that
 * the encoder suits it) without building anything, so an experiment is refused before
 * its data is read. {@link buildArchitecture} builds from what this returns.
 */
export function resolveArchitecture(name: string, rawOptions?: ArchitectureOptions, encoder?: BuildArchitectureArgs['encoder']): ResolvedArchitecture {
  if (!(ARCHITECTURES as readonly string[]).includes(name)) {
    const near = typeof name === 'string' ? closest(name, ARCHITECTURES) : undefined;
    throw new MtlError({
      code: 'model.unknown_architecture',
      path: 'model.architecture',
      expected: `one of [${ARCHITECTURES.map((a) => `"${a}"`).join(', ')}]`,
      found: describeValue(name),
      fix: near ? `did you mean "${near}"?` : 'pick one of the listed architectures',
    });
  }
  const architecture = name as ArchitectureName;
  const options = rawOptions ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options', expected: 'an object of options', found: describeValue(options) });
  }
  checkOptionKeys(architecture, options, ARCHITECTURE_OPTIONS[architecture]);
  switch (architecture) {
    case 'hard-sharing':
    case 'mtan':
      return { architecture };
    case 'soft-sharing':
      return { architecture, strength: numberOption(architecture, options, 'strength', 1e-3, { min: 0 }) };
    case 'cross-stitch':
      return { architecture, selfWeight: numberOption(architecture, options, 'selfWeight', 0.9, { min: 0, max: 1 }) };
    case 'mmoe':
      return { architecture, experts: numberOption(architecture, options, 'experts', 4, { min: 1, integer: true }) };
    case 'ple': {
      const levels = options.levels === undefined ? undefined : numberOption(architecture, options, 'levels', 1, { min: 1, integer: true });
      return {
        architecture,
        ...(levels !== undefined ? { levels } : {}),
        sharedExperts: numberOption(architecture, options, 'sharedExperts', 1, { min: 1, integer: true }),
        taskExperts: numberOption(architecture, options, 'taskExperts', 1, { min: 1, integer: true }),
      };
    }
    case 'adashare': {
      resolveAdaShareSchedule(options); // the schedule keys are read by the trainer; check them now
      if (encoder !== undefined && !isSpec(encoder)) {
        throw new MtlError({
          code: 'model.bad_encoder',
          path: 'model.encoder',
          expected: 'a built-in encoder spec made of residual blocks ({ type: "resnet" } or { type: "mlp" }) for architecture "adashare"',
          found: 'encoder stages or a ready tfjs model',
          fix: 'use { type: "resnet", ... } for images or { type: "mlp", hidden: [...] } for vectors',
        });
      }
      return {
        architecture,
        sparsityWeight: numberOption(architecture, options, 'sparsityWeight', 0.001, { min: 0 }),
        sharingWeight: numberOption(architecture, options, 'sharingWeight', 0.05, { min: 0 }),
        temperature: numberOption(architecture, options, 'temperature', 5, { above: 0 }),
        hardSampling: booleanOption(architecture, options, 'hardSampling', false),
      };
    }
  }
}

function isSpec(encoder: BuildArchitectureArgs['encoder']): encoder is EncoderSpec {
  return typeof (encoder as { type?: unknown }).type === 'string';
}
