import { MtlError } from '../../errors.js';
import { benchInference, formatInferenceComparison } from '../../experiment/benchInference.js';
import { readRunConfig } from '../../experiment/runFolder.js';
import { positiveIntegerOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl bench inference`: the multi-task model against the single-task models it replaces. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'inference: parameters, size, memory and latency of the multi-task model against the single-task models it replaces',
  usage: 'mtl bench inference <run folder> [--batch N] [--backend NAME]',
  description:
    "Compares a trained run's multi-task model with its single-task baselines (train with --baselines first):\n" +
    'parameters, size on disk, weight memory and the latency of predicting every task for one batch.',
  positionals: { min: 2, max: 2, names: '"inference" and a run folder', example: 'mtl bench inference runs/multimnist' },
  options: {
    batch: { type: 'string', value: 'N', description: 'batch size of the latency measurement (default 1)' },
    backend: BACKEND_OPTION,
  },
  examples: ['mtl bench inference runs/multimnist', 'mtl bench inference runs/multimnist --batch 64'],
  async run(context) {
    const [what, runDir] = context.positionals as [string, string];
    if (what !== 'inference') {
      throw new MtlError({ code: 'cli.unknown_command', path: 'mtl bench', expected: '"inference"', found: JSON.stringify(what), fix: 'mtl bench inference <run folder>' });
    }
    const batch = positiveIntegerOption(context.values, 'batch', 1 << 16) ?? 1;
    readRunConfig(runDir);
    await useBackend(context);
    context.log(formatInferenceComparison(benchInference(runDir, { batchSize: batch })));
    return 0;
  },
};
