import { buildArchitecture } from '../architectures/registry.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { createTask } from '../tasks/createTask.js';
import type { Task } from '../tasks/task.js';
import { Adam } from '../training/optimizers/adam.js';
import type { Optimizer } from '../training/optimizers/optimizer.js';
import { Sgd } from '../training/optimizers/sgd.js';
import type { WeightingMethod } from '../weighting/method.js';
import { getWeightingMethod } from '../weighting/registry.js';
import type { ExperimentConfig } from './config.js';
import type { PreprocessorJson } from '../preprocessing/preprocessor.js';

/**
 * Resolve the experiment's tasks (all of them, or the named subset for a single-task
 * baseline); with the data's fitted preprocessing, regression tasks get its target
 * scaling (standardised targets).
 */
export function buildTasks(config: ExperimentConfig, only?: readonly string[], preprocessing?: PreprocessorJson): Task[] {
  return config.tasks
    .map((t, i) => ({ spec: t, i }))
    .filter(({ spec }) => !only || only.includes(spec.name))
    .map(({ spec, i }) =>
      createTask(
        {
          name: spec.name,
          kind: spec.kind as Task['kind'],
          ...(spec.classes !== undefined ? { classes: Array.isArray(spec.classes) ? spec.classes.length : spec.classes } : {}),
          ...(spec.outputs !== undefined ? { outputs: spec.outputs } : {}),
          ...(spec.head ? { head: spec.head } : {}),
          ...(spec.metrics ? { metrics: spec.metrics } : {}),
          ...(spec.deltaMetrics ? { deltaMetrics: spec.deltaMetrics } : {}),
          ...targetScalingOf(preprocessing, spec.name),
        },
        `tasks[${i}]`,
      ),
    );
}

/** Build the multi-task model the experiment describes (a single-task baseline is the same architecture with one task). */
export function buildModel(config: ExperimentConfig, tasks: readonly Task[], inputShape: readonly number[]): MultiTaskModel {
  return buildArchitecture(config.model.architecture, {
    tasks,
    inputShape,
    encoder: config.model.encoder,
    ...(config.model.options ? { options: config.model.options } : {}),
  });
}

/** Build the optimizer the experiment describes (state keyed by variable). */
export function buildOptimizer(config: ExperimentConfig): Optimizer {
  const o = config.training.optimizer;
  const shared = o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {};
  switch (o.type) {
    case 'adam':
    case 'adamw':
      return new Adam({
        ...shared,
        ...(o.beta1 !== undefined ? { beta1: o.beta1 } : {}),
        ...(o.beta2 !== undefined ? { beta2: o.beta2 } : {}),
        ...(o.epsilon !== undefined ? { epsilon: o.epsilon } : {}),
        decoupled: o.type === 'adamw',
      });
    case 'sgd':
      return new Sgd({ ...shared, ...(o.momentum !== undefined ? { momentum: o.momentum } : {}), ...(o.nesterov !== undefined ? { nesterov: o.nesterov } : {}) });
  }
}

/** The weighting method and its resolved options; bad names and options fail here, before any training. */
export function buildWeighting(config: ExperimentConfig, taskNames: readonly string[]): { method: WeightingMethod<unknown, unknown>; options: unknown } {
  const method = getWeightingMethod(config.weighting.method) as WeightingMethod<unknown, unknown>;
  const options = method.resolveOptions(config.weighting.options, { taskNames, seed: config.seed });
  const mode = config.weighting.gradientMode;
  if (mode && method.needs !== 'losses' && !method.gradientModes.includes(mode)) {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'weighting.gradientMode',
      expected: `one of [${method.gradientModes.join(', ')}] for method "${method.name}"`,
      found: `"${mode}"`,
    });
  }
  return { method, options };
}

function targetScalingOf(preprocessing: PreprocessorJson | undefined, task: string): { targetScaling?: { mean: number[]; std: number[] } } {
  const scaling = preprocessing?.targets.find((t) => t.task === task)?.scaling;
  return scaling ? { targetScaling: scaling } : {};
}
