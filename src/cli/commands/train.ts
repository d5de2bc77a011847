import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { runExperiment } from '../../experiment/runExperiment.js';
import { positiveIntegerOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl train`: train the multi-task model of an experiment file (and, with --baselines, its single-task baselines). */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train the multi-task model of an experiment (with --baselines also one single-task model per task, and Δm)',
  usage: 'mtl train <experiment.yaml|json> [--baselines] [--resume | --force] [--run-dir DIR] [--epochs N] [--backend NAME] [--no-progress]',
  description:
    'Trains the model the experiment file describes and writes its run folder (default runs/<name>/): config.json,\n' +
    'metrics.jsonl, checkpoint/, model/, summary.json and summary.md. The experiment is checked in full (schema,\n' +
    'tasks, method and its options, architecture and its options) before any data is read or any folder touched.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl train examples/multimnist.yaml' },
  options: {
    baselines: { type: 'boolean', description: 'also train one single-task model per task with the same budget, and report Δm' },
    resume: { type: 'boolean', description: 'continue a stopped run from its last checkpoint (same experiment)' },
    force: { type: 'boolean', description: 'replace an existing run folder' },
    'run-dir': { type: 'string', value: 'DIR', description: 'run folder (default runs/<experiment name>)' },
    epochs: { type: 'string', value: 'N', description: "override the experiment's number of epochs (recorded in the run's config.json)" },
    backend: BACKEND_OPTION,
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: [
    'mtl train examples/multimnist.yaml --baselines',
    'mtl train examples/multimnist.yaml --resume',
    'mtl train examples/patients-missing-labels.yaml --epochs 5 --run-dir runs/quick',
  ],
  async run(context) {
    const { values } = context;
    const epochs = positiveIntegerOption(values, 'epochs');
    const config = checkExperiment(readExperiment(context.positionals[0]!));
    const runDir = (values['run-dir'] as string | undefined) ?? join('runs', config.name);
    const backend = await useBackend(context);
    if (values.force && !values.resume && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
    await runExperiment(config, {
      runDir,
      resume: Boolean(values.resume),
      ...(epochs !== undefined ? { epochs } : {}),
      progress: !values['no-progress'],
      backend: backend.description,
      baselines: Boolean(values.baselines) || config.baselines,
      log: context.log,
    });
    context.log(`\nrun folder: ${runDir}`);
    return 0;
  },
};
