import { join } from 'node:path';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { runBaselines } from '../../experiment/runExperiment.js';
import { positiveIntegerOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl baselines`: train only the single-task baselines of an experiment and update the run's Δm. */
export const baselinesCommand: Command = {
  name: 'baselines',
  summary: "train only the single-task baselines (into <run>/baselines/) and update the run's Δm",
  usage: 'mtl baselines <experiment.yaml|json> [--resume] [--run-dir DIR] [--epochs N] [--backend NAME] [--no-progress]',
  description:
    'Trains one single-task model per task of the experiment, with the same encoder, budget and seed as the\n' +
    'multi-task model, into <run folder>/baselines/<task>/, and recomputes the run summary with Δm.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl baselines examples/multimnist.yaml' },
  options: {
    resume: { type: 'boolean', description: 'continue stopped baselines from their checkpoints' },
    'run-dir': { type: 'string', value: 'DIR', description: 'run folder (default runs/<experiment name>)' },
    epochs: { type: 'string', value: 'N', description: "override the experiment's number of epochs" },
    backend: BACKEND_OPTION,
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: ['mtl baselines examples/multimnist.yaml', 'mtl baselines examples/multimnist.yaml --resume'],
  async run(context) {
    const { values } = context;
    const epochs = positiveIntegerOption(values, 'epochs');
    const config = checkExperiment(readExperiment(context.positionals[0]!));
    const runDir = (values['run-dir'] as string | undefined) ?? join('runs', config.name);
    await useBackend(context);
    await runBaselines(config, {
      runDir,
      resume: Boolean(values.resume),
      ...(epochs !== undefined ? { epochs } : {}),
      progress: !values['no-progress'],
      log: context.log,
    });
    context.log(`\nrun folder: ${runDir}`);
    return 0;
  },
};
