import { MtlError, describeValue } from '../errors.js';
import type { AdaShareTrainingArgs } from './adashareTraining.js';

/*
 * AdaShare's schedule options (warm-up, search, curriculum, re-training), checked apart
 * from the trainer: the architecture registry checks them when a model is built, and it
 * must not pull the trainer's search checkpoints (files) into the browser entry.
 */

/** Keys of {@link AdaShareTrainingArgs} that an experiment file may set (under `model.options` of an `adashare` model). */
export const ADASHARE_SCHEDULE_KEYS = [
  'warmupEpochs',
  'searchEpochs',
  'policyLearningRate',
  'temperatureDecay',
  'curriculumSpeed',
  'policySelection',
  'retrainFromScratch',
  'retrainEpochs',
] as const;

export type AdaShareSchedule = Pick<AdaShareTrainingArgs, (typeof ADASHARE_SCHEDULE_KEYS)[number]>;

/**
 * The schedule options among an experiment file's `model.options` (other keys are
 * ignored), checked and with their defaults filled in; throws an MtlError naming the
 * option for a bad value.
 */
export function resolveAdaShareSchedule(options: Record<string, unknown> | undefined): Required<AdaShareSchedule> {
  const o = options ?? {};
  const integer = (key: string, defaultValue: number, min: number) => {
    const raw = o[key];
    if (raw === undefined) return defaultValue;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min) {
      throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected: `an integer ≥ ${min}`, found: describeValue(raw), fix: `remove ${key} to use the default ${defaultValue}` });
    }
    return raw;
  };
  const number = (key: string, defaultValue: number, ok: (v: number) => boolean, expected: string) => {
    const raw = o[key];
    if (raw === undefined) return defaultValue;
    if (typeof raw !== 'number' || !Number.isFinite(raw) || !ok(raw)) {
      throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected, found: describeValue(raw), fix: `remove ${key} to use the default ${defaultValue}` });
    }
    return raw;
  };
  const selection = o.policySelection ?? 'argmax';
  if (selection !== 'argmax' && selection !== 'sample') {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.policySelection', expected: '"argmax" or "sample"', found: describeValue(selection) });
  }
  const scratch = o.retrainFromScratch ?? true;
  if (typeof scratch !== 'boolean') {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.retrainFromScratch', expected: 'true or false', found: describeValue(scratch) });
  }
  return {
    warmupEpochs: integer('warmupEpochs', 5, 0),
    searchEpochs: integer('searchEpochs', 20, 0),
    policyLearningRate: number('policyLearningRate', 0.01, (v) => v > 0, 'a number > 0'),
    temperatureDecay: number('temperatureDecay', 0.965, (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    curriculumSpeed: integer('curriculumSpeed', 3, 1),
    policySelection: selection,
    retrainFromScratch: scratch,
    retrainEpochs: integer('retrainEpochs', 0, 0),
  };
}
