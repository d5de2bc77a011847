import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { formatAffinity } from '../../grouping/formatAffinity.js';
import { runAffinity } from '../../grouping/runAffinity.js';
import { positiveIntegerOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl affinity`: one joint run recording TAG's lookahead inter-task affinity. */
export const affinityCommand: Command = {
  name: 'affinity',
  summary: "train the experiment once, recording every pair's lookahead affinity (TAG) and gradient cosine",
  usage: 'mtl affinity <experiment.yaml|json> [--every K] [--resume | --force] [--run-dir DIR] [--epochs N] [--backend NAME] [--no-progress]',
  description:
    'Trains the experiment as mtl train does (the recording changes nothing in the training) and, every K steps,\n' +
    "measures for each task i the relative change of every task j's loss after a lookahead step on task i's gradient\n" +
    "alone with the run's own optimizer (Fifty et al., NeurIPS 2021), and the cosines between the task gradients.\n" +
    'Writes the run folder (default runs/<name>-affinity/) with affinity.json (averages over training and per epoch)\n' +
    'and affinity.jsonl (every recording), and prints the matrices with the negative pairs marked.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl affinity examples/planted-clusters.yaml' },
  options: {
    every: { type: 'string', value: 'K', description: 'record every K steps (default: grouping.affinityEvery, else 10)' },
    resume: { type: 'boolean', description: 'continue a stopped run from its last checkpoint (its recordings are kept)' },
    force: { type: 'boolean', description: 'replace an existing run folder' },
    'run-dir': { type: 'string', value: 'DIR', description: 'run folder (default runs/<experiment name>-affinity)' },
    epochs: { type: 'string', value: 'N', description: "override the experiment's number of epochs" },
    backend: BACKEND_OPTION,
    'no-progress': { type: 'boolean', description: 'no progress bar' },
  },
  examples: ['mtl affinity examples/planted-clusters.yaml', 'mtl affinity examples/multi-fashion-mnist-six-tasks.yaml --every 20 --epochs 5'],
  async run(context) {
    const { values } = context;
    const every = positiveIntegerOption(values, 'every');
    const epochs = positiveIntegerOption(values, 'epochs');
    const config = checkExperiment(readExperiment(context.positionals[0]!));
    const runDir = (values['run-dir'] as string | undefined) ?? join('runs', `${config.name}-affinity`);
    const backend = await useBackend(context);
    if (values.force && !values.resume && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
    const run = await runAffinity(config, {
      runDir,
      resume: Boolean(values.resume),
      ...(every !== undefined ? { every } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      progress: !values['no-progress'],
      backend: backend.description,
      log: context.log,
    });
    context.log('\n' + formatAffinity(run.affinity));
    context.log(`\nrun folder: ${runDir} (affinity.json, affinity.jsonl)`);
    return 0;
  },
};
