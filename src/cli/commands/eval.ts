import { evaluateRun } from '../../experiment/evaluateRun.js';
import { readRunConfig } from '../../experiment/runFolder.js';
import type { Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl eval`: evaluate a trained run's model on its test split. */
export const evalCommand: Command = {
  name: 'eval',
  summary: "evaluate a trained run's model on its test split and print the summary",
  usage: 'mtl eval <run folder> [--backend NAME]',
  description: "Rebuilds the run's model from its config.json, loads the trained weights from model/, evaluates every task on\nthe experiment's test split and prints the metrics, with the single-task baselines and Δm when the run has them.",
  positionals: { min: 1, max: 1, names: 'a run folder', example: 'mtl eval runs/multimnist' },
  options: { backend: BACKEND_OPTION },
  examples: ['mtl eval runs/multimnist'],
  async run(context) {
    const runDir = context.positionals[0]!;
    readRunConfig(runDir); // a missing or unfinished run is reported before anything else
    await useBackend(context);
    await evaluateRun(runDir, context.log);
    return 0;
  },
};
