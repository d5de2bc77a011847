import type { EncoderSpec } from '../architectures/encoders.js';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import type { Candidate } from './candidates.js';

/** Width factor of a half-size network: 1/√2 of the channels or units, about half the multiply-adds of the inner layers. */
export const HALF_WIDTH = Math.SQRT1_2;

/** Share of the training data held out for selection when the experiment's data section sets none. @defaultValue 0.2 */
export const GROUPING_VALIDATION_FRACTION = 0.2;

/**
 * The encoder of a half-size network: every width of the experiment's encoder times
 * `HALF_WIDTH` (rounded, at least 1): the mlp's hidden units, the resnet's base
 * width, the LeNet's channels (`widthScale`).
 * @throws MtlError `grouping.no_half_size` for encoders given as user stages
 */
export function halfSizeEncoder(encoder: EncoderSpec): EncoderSpec {
  const scale = (w: number) => Math.max(1, Math.round(w * HALF_WIDTH));
  switch (encoder.type) {
    case 'mlp':
      return { ...encoder, hidden: encoder.hidden.map(scale) };
    case 'lenet':
      return { ...encoder, widthScale: (encoder.widthScale ?? 1) * HALF_WIDTH };
    case 'resnet':
      return { ...encoder, width: scale(encoder.width ?? 16) };
    default:
      throw new MtlError({
        code: 'grouping.no_half_size',
        path: 'model.encoder',
        expected: 'a built-in encoder (mlp, lenet, resnet) to make half-size networks from',
        found: JSON.stringify(encoder),
        fix: 'set grouping.halfCost: false',
      });
  }
}

/**
 * The folder (under `<group>/candidates/`) of a candidate trained for `epochs` epochs: its
 * tasks joined by `+` (`a+b`), then `++half` for a half-size network and `++e<epochs>` when
 * it trains for fewer epochs than the experiment (ESA). Task names cannot contain `+`, so
 * no subset is named like a suffix; the names are valid trial ids.
 */
export function candidateFolder(candidate: Candidate, epochs: number, fullEpochs: number): string {
  return candidate.tasks.join('+') + (candidate.size === 'half' ? '++half' : '') + (epochs === fullEpochs ? '' : `++e${epochs}`);
}

/** The validation share a grouping uses: the data section's, else the grouping section's `validationShare`, else {@link GROUPING_VALIDATION_FRACTION}. */
export function groupingValidationFraction(config: ExperimentConfig): number {
  return config.data.validationFraction ?? config.grouping?.validationShare ?? GROUPING_VALIDATION_FRACTION;
}

/**
 * The experiment that trains one candidate network: the experiment restricted to the
 * candidate's tasks (in experiment order), with the half-size encoder for a half-size
 * network, equal weighting for a single task, `epochs` epochs, a validation split (the
 * selection reads validation losses; test metrics are only reported), no baselines and no
 * grouping section. Everything else (seed, data, optimizer, schedule) is the experiment's,
 * so a candidate reproduces from its own config.json.
 *
 * @throws MtlError `grouping.unknown_task` for a task the experiment does not have
 */
export function candidateExperiment(config: ExperimentConfig, candidate: Candidate, epochs = config.training.epochs): ExperimentConfig {
  const names = config.tasks.map((t) => t.name);
  for (const t of candidate.tasks) {
    if (!names.includes(t)) {
      throw new MtlError({ code: 'grouping.unknown_task', path: `candidate ${candidate.id}`, expected: `tasks of the experiment: one of [${names.join(', ')}]`, found: `"${t}"` });
    }
  }
  const { grouping: _grouping, ...rest } = config;
  return {
    ...rest,
    name: `${config.name}.${candidate.id.replace(/\+/g, '.').replace('@', '-')}`,
    data: { ...config.data, validationFraction: groupingValidationFraction(config) },
    tasks: config.tasks.filter((t) => candidate.tasks.includes(t.name)) as ExperimentConfig['tasks'],
    model: { ...config.model, encoder: candidate.size === 'half' ? (halfSizeEncoder(config.model.encoder as EncoderSpec) as ExperimentConfig['model']['encoder']) : config.model.encoder },
    weighting: candidate.tasks.length === 1 ? { method: 'equal' } : config.weighting,
    training: { ...config.training, epochs },
    baselines: false,
  };
}
