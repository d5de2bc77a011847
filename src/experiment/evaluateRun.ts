import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import { evaluate } from '../evaluation/evaluate.js';
import { readWeights } from '../io/modelFiles.js';
import { installSeededRandom } from '../training/seededRandom.js';
import { buildModel, buildTasks } from './buildExperiment.js';
import { validateExperiment } from './config.js';
import { loadExperimentData } from './loadData.js';
import { formatSummary, isAdaShare, readPolicy, readSummary } from './runExperiment.js';

/**
 * Evaluate a run folder's trained model on the test split of its experiment and print
 * the per-task metrics (with the single-task baselines and Δm when the run has them).
 */
export async function evaluateRun(runDir: string, log: (line: string) => void = (l) => console.log(l)) {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath) || !existsSync(join(runDir, 'model', 'model.json'))) {
    throw new MtlError({
      code: 'run.missing',
      path: runDir,
      expected: 'a run folder with config.json and model/ (written by mtl train)',
      found: existsSync(runDir) ? 'a folder without a finished run' : 'no such folder',
      fix: 'train first: mtl train <experiment>',
    });
  }
  const config = validateExperiment(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
  installSeededRandom(config.seed);
  const data = loadExperimentData(config, configPath);
  const model = buildModel(config, buildTasks(config), data.train.inputShape);
  if (isAdaShare(model)) model.finalize(readPolicy(runDir), { fromScratch: false });
  const weights = readWeights(join(runDir, 'model'));
  model.model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  const evaluation = evaluate(model, data.test);
  model.model.dispose();
  for (const [task, e] of Object.entries(evaluation)) {
    log(`${task}: loss ${e.loss.toFixed(4)}  ${Object.entries(e.metrics).map(([m, v]) => `${m} ${v.toFixed(4)}`).join('  ')}  (${e.examples} examples)`);
  }
  const summary = readSummary(runDir);
  if (summary) log('\n' + formatSummary(summary));
  return evaluation;
}
