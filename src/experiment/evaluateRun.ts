import { join } from 'node:path';
import { evaluate } from '../evaluation/evaluate.js';
import { loadExperimentData } from './loadData.js';
import { formatSummary, readSummary } from './runExperiment.js';
import { formatFigure, undefinedReason } from '../evaluation/undefinedMetrics.js';
import { loadRunModel, readRunConfig } from './runFolder.js';
import { checkMemory } from './memoryEstimate.js';

/**
 * Evaluate a run folder's trained model on the test split of its experiment and print
 * the per-task metrics (with the single-task baselines and Δm when the run has them).
 */
export async function evaluateRun(runDir: string, log: (line: string) => void = (l) => console.log(l)) {
  const config = readRunConfig(runDir);
  checkMemory(config);
  const data = loadExperimentData(config, join(runDir, 'config.json'));
  const model = loadRunModel(config, join(runDir, 'model'), data.train.inputShape);
  const evaluation = evaluate(model, data.test);
  model.model.dispose();
  for (const [task, e] of Object.entries(evaluation)) {
    log(
      `${task}: loss ${formatFigure(e.loss, undefinedReason(e, 'loss'))}  ` +
        `${Object.entries(e.metrics).map(([m, v]) => `${m} ${formatFigure(v, undefinedReason(e, m))}`).join('  ')}  (${e.examples} examples)`,
    );
  }
  const summary = readSummary(runDir);
  if (summary) log('\n' + formatSummary(summary));
  return evaluation;
}
