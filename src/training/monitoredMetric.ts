import { MtlError, closest } from '../errors.js';

/** What a monitored metric needs to know of a task: its name and the metrics it reports. */
export interface MonitoredTask {
  name: string;
  metrics: readonly string[];
}

/**
 * Check an early-stopping metric (see `EarlyStoppingSpec.metric`) against the tasks
 * before anything trains: `loss`, `<task>/loss`, `<task>/<metric>` with a metric the
 * task reports, or `mean/<metric>` with a metric every task reports. A typo is a coded
 * error naming the field, the choices and the closest one, never a failure after the
 * first epoch.
 *
 * @throws MtlError `config.unknown_metric`.
 * @example
 * checkMonitoredMetric('left/acuracy', [{ name: 'left', metrics: ['accuracy'] }]); // throws: did you mean "left/accuracy"?
 */
export function checkMonitoredMetric(metric: string, tasks: readonly MonitoredTask[], path = 'training.earlyStopping.metric'): void {
  const choices = monitoredChoices(tasks);
  if (choices.includes(metric)) return;
  const near = closest(metric, choices);
  throw new MtlError({
    code: 'config.unknown_metric',
    path,
    expected: `"loss", "<task>/loss", "<task>/<metric>" or "mean/<metric>": one of [${choices.join(', ')}]`,
    found: JSON.stringify(metric),
    fix: near ? `did you mean "${near}"?` : 'use one of the listed names (a task\'s metrics are its `metrics`, or the defaults of its kind)',
  });
}

/** Every name {@link checkMonitoredMetric} accepts for these tasks. */
export function monitoredChoices(tasks: readonly MonitoredTask[]): string[] {
  const choices = ['loss'];
  for (const t of tasks) choices.push(`${t.name}/loss`, ...t.metrics.map((m) => `${t.name}/${m}`));
  const shared = tasks.length === 0 ? [] : tasks[0]!.metrics.filter((m) => tasks.every((t) => t.metrics.includes(m)));
  choices.push('mean/loss', ...shared.map((m) => `mean/${m}`));
  return choices;
}
