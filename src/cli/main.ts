#!/usr/bin/env node
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MtlError } from '../errors.js';
import { selectBackend, type BackendPreference } from '../backend/selectBackend.js';
import { readExperiment, validateExperiment } from '../experiment/config.js';
import { benchInference, formatInferenceComparison } from '../experiment/benchInference.js';
import { evaluateRun } from '../experiment/evaluateRun.js';
import { runBaselines, runExperiment } from '../experiment/runExperiment.js';

const USAGE = `mtl: multi-task learning on TensorFlow.js

usage:
  mtl train <experiment.yaml|json> [--baselines] [--resume] [--force] [--run-dir DIR] [--epochs N] [--backend NAME] [--no-progress]
  mtl baselines <experiment.yaml|json> [--resume] [--run-dir DIR] [--epochs N] [--backend NAME]
  mtl eval <run folder> [--backend NAME]
  mtl bench inference <run folder> [--batch N] [--backend NAME]

  train      train the multi-task model; with --baselines also one single-task model per task, and report Δm
  baselines  train only the single-task baselines (into <run>/baselines/) and update the run's Δm
  eval       evaluate a trained run's model on its test split and print the summary
  bench      inference: parameters, size, memory and latency of the multi-task model
             against the single-task models it replaces (needs the run's baselines)

options:
  --run-dir DIR   run folder (default runs/<experiment name>)
  --resume        continue a stopped run from its last checkpoint
  --force         replace an existing run folder
  --epochs N      override the experiment's number of epochs
  --backend NAME  auto | native | wasm | cpu | tensorflow | webgpu (default: $MTL_BACKEND or auto)
  --no-progress   no progress bar
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      baselines: { type: 'boolean' },
      resume: { type: 'boolean' },
      force: { type: 'boolean' },
      'run-dir': { type: 'string' },
      epochs: { type: 'string' },
      backend: { type: 'string' },
      'no-progress': { type: 'boolean' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (command === 'bench' && rest[0] !== 'inference') {
    throw new MtlError({ code: 'cli.unknown_command', path: 'bench', expected: '"inference"', found: JSON.stringify(rest[0] ?? ''), fix: 'mtl bench inference <run folder>' });
  }
  const target = command === 'bench' ? rest[1] : rest[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (!['train', 'baselines', 'eval', 'bench'].includes(command)) {
    throw new MtlError({ code: 'cli.unknown_command', path: 'command', expected: 'train, baselines, eval or bench', found: `"${command}"`, fix: 'run mtl --help' });
  }
  if (!target) {
    throw new MtlError({
      code: 'cli.missing_argument',
      path: command,
      expected: command === 'eval' || command === 'bench' ? 'a run folder' : 'an experiment file (.yaml or .json)',
      found: 'nothing',
      fix: command === 'eval' || command === 'bench' ? `e.g. mtl ${command === 'bench' ? 'bench inference' : 'eval'} runs/multimnist` : 'e.g. mtl train examples/multimnist.yaml',
    });
  }
  let epochs: number | undefined;
  if (values.epochs !== undefined) {
    epochs = Number(values.epochs);
    if (!Number.isInteger(epochs) || epochs < 1) {
      throw new MtlError({ code: 'cli.bad_option', path: '--epochs', expected: 'a positive integer', found: JSON.stringify(values.epochs) });
    }
  }
  const backend = await selectBackend(values.backend as BackendPreference | undefined, { log: (line) => console.log(line) });
  const progress = !values['no-progress'];
  if (command === 'eval') {
    await evaluateRun(target);
    return 0;
  }
  if (command === 'bench') {
    const batch = values.batch === undefined ? 1 : Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1) {
      throw new MtlError({ code: 'cli.bad_option', path: '--batch', expected: 'a positive integer', found: JSON.stringify(values.batch) });
    }
    console.log(formatInferenceComparison(benchInference(target, { batchSize: batch })));
    return 0;
  }
  const config = readExperiment(target);
  const runDir = values['run-dir'] ?? join('runs', config.name);
  if (command === 'train') {
    if (values.force && !values.resume && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
    await runExperiment(config, {
      runDir,
      resume: values.resume ?? false,
      ...(epochs !== undefined ? { epochs } : {}),
      progress,
      backend: backend.description,
      baselines: values.baselines ?? config.baselines,
    });
  } else {
    await runBaselines(validateExperiment(config), { runDir, resume: values.resume ?? false, ...(epochs !== undefined ? { epochs } : {}), progress });
  }
  console.log(`\nrun folder: ${runDir}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof MtlError) {
      console.error(`error [${error.code}] ${error.path}\n  expected: ${error.expected}\n  found:    ${error.found}${error.fix ? `\n  fix:      ${error.fix}` : ''}`);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);
