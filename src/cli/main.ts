#!/usr/bin/env node
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
  mtl train <experiment.yaml|json> [--baselines] [--resume] [--force] [--run-dir DIR] [--epochs N] [--learning-rate X] [--backend NAME] [--no-progress]
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
  --force         replace an existing run folder (only one mtl created)
  --epochs N      override the experiment's number of epochs (with --resume: extend the run)
  --learning-rate X  override the learning rate (with --resume: continue from the last
                  checkpoint with it, e.g. after a divergence; recorded in config.json)
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
      'learning-rate': { type: 'string' },
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
    epochs = /^\s*\d+\s*$/.test(values.epochs) ? Number(values.epochs) : NaN;
    if (!Number.isSafeInteger(epochs) || epochs < 1) {
      throw new MtlError({ code: 'cli.bad_option', path: '--epochs', expected: 'a positive integer', found: JSON.stringify(values.epochs) });
    }
  }
  const learningRate = parseLearningRate(values['learning-rate']);
  const backend = await selectBackend(values.backend as BackendPreference | undefined, { log: (line) => console.log(line) });
  const progress = !values['no-progress'];
  if (command === 'eval') {
    await evaluateRun(target);
    return 0;
  }
  if (command === 'bench') {
    const batch = values.batch === undefined ? 1 : /^\s*\d+\s*$/.test(values.batch) ? Number(values.batch) : NaN;
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new MtlError({ code: 'cli.bad_option', path: '--batch', expected: 'a positive integer', found: JSON.stringify(values.batch) });
    }
    console.log(formatInferenceComparison(benchInference(target, { batchSize: batch })));
    return 0;
  }
  const config = readExperiment(target);
  const runDir = values['run-dir'] ?? join('runs', config.name);
  if (command === 'train') {
    await runExperiment(config, {
      runDir,
      resume: values.resume ?? false,
      force: values.force ?? false,
      ...(learningRate !== undefined ? { learningRate } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      progress,
      backend: backend.description,
      baselines: values.baselines ?? config.baselines,
    });
  } else {
    await runBaselines(validateExperiment(config), { runDir, resume: values.resume ?? false, ...(epochs !== undefined ? { epochs } : {}), ...(learningRate !== undefined ? { learningRate } : {}), progress });
  }
  console.log(`\nrun folder: ${runDir}`);
  return 0;
}

/** `--learning-rate X`: a finite number > 0 (a plain decimal), or undefined when not given. */
function parseLearningRate(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new MtlError({ code: 'cli.bad_option', path: '--learning-rate', expected: 'a finite number > 0, e.g. 0.001 or 1e-3', found: JSON.stringify(raw) });
  }
  return value;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof MtlError) {
      console.error(`error [${error.code}] ${error.path}\n  expected: ${error.expected}\n  found:    ${error.found}${error.fix ? `\n  fix:      ${error.fix}` : ''}`);
      process.exit(1);
    }
    // Not a coded error: a bug. One block, no stack trace unless asked for (MTL_DEBUG=1).
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error [internal] ${message.split('\n')[0]}\n  this is a bug in mtl-ts: please report it with the command you ran${process.env.MTL_DEBUG ? '' : ' (MTL_DEBUG=1 shows the stack trace)'}`);
    if (process.env.MTL_DEBUG && error instanceof Error) console.error(error.stack);
    process.exit(1);
  },
);
