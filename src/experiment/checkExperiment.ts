import { resolveArchitecture } from '../architectures/registry.js';
import { buildTasks, buildWeighting } from './buildExperiment.js';
import type { ExperimentConfig } from './config.js';

/**
 * Everything about an experiment that can be checked without its data: the tasks
 * (kinds, widths, metric names), the weighting method and its options (and gradient
 * mode), the architecture and its options. The CLI runs this before it reads any data
 * or touches any folder, so a typo in `method` is reported as such, not as whatever
 * the data loading or the run folder would have tripped over first.
 *
 * Throws the first problem as an MtlError; returns the config unchanged.
 */
export function checkExperiment(config: ExperimentConfig): ExperimentConfig {
  const tasks = buildTasks(config);
  buildWeighting(config, tasks.map((t) => t.name));
  resolveArchitecture(config.model.architecture, config.model.options, config.model.encoder);
  return config;
}
