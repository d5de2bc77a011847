import { join } from 'node:path';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { runExperiment } from '../../experiment/runExperiment.js';
import { positiveIntegerOption, positiveNumberOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl train`: train the multi-task model of an experiment file (and, with --baselines, its single-task baselines). */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train the multi-task model of an experiment (with --baselines also one single-task model per task, and Δm)',
  usage: 'mtl train <experiment.yaml|json> [--baselines] [--resume | --force] [--run-dir DIR] [--epochs N] [--learning-rate X] [--backend NAME] [--no-progress]',
  description:
    'Trains the model the experiment file describes and writes its run folder (default runs/<name>/): config.json,\n' +
    'metrics.jsonl, checkpoint/, model/, summary.json and summary.md. The experiment is checked in full (schema,\n' +
    'tasks, method and its options, architecture and its options) before any data is read or any folder touched.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl train examples/multimnist.yaml' },
  options: {
    baselines: { type: 'boolean', description: 'also train one single-task model per task with the same budget, and report Δm' },
    resume: { type: 'boolean', description: 'continue a stopped run from its last checkpoint (same experiment; the learning rate and epochs may change)' },
    force: { type: 'boolean', description: 'replace an existing run folder (only one mtl created: see docs/reliability.md)' },
    'run-dir': { type: 'string', value: 'DIR', description: 'run folder (default runs/<experiment name>)' },
    epochs: { type: 'string', value: 'N', description: "override the experiment's number of epochs (recorded in the run's config.json; with --resume: extend the run)" },
    'learning-rate': {
      type: 'string',
      value: 'X',
      description: "override the learning rate (with --resume: continue from the last checkpoint with it, e.g. after a divergence; recorded in config.json)",
    },
    backend: BACKEND_OPTION,
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: [
    'mtl train examples/multimnist.yaml --baselines',
    'mtl train examples/multimnist.yaml --resume',
    'mtl train examples/multimnist.yaml --resume --learning-rate 0.0001',
    'mtl train examples/patients-missing-labels.yaml --epochs 5 --run-dir runs/quick',
  ],
  async run(context) {
    const { values } = context;
    const epochs = positiveIntegerOption(values, 'epochs');
    const learningRate = positiveNumberOption(values, 'learning-rate');
    const config = checkExperiment(readExperiment(context.positionals[0]!));
    const runDir = (values['run-dir'] as string | undefined) ?? join('runs', config.name);
    const backend = await useBackend(context);
    // --force empties the run folder inside runExperiment, after its checks and under its lock.
    await runExperiment(config, {
      runDir,
      resume: Boolean(values.resume),
      force: Boolean(values.force),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(learningRate !== undefined ? { learningRate } : {}),
      progress: !values['no-progress'],
      backend: backend.description,
      baselines: Boolean(values.baselines) || config.baselines,
      log: context.log,
    });
    context.log(`\nrun folder: ${runDir}`);
    return 0;
  },
};
