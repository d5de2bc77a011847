import type { TaskEvaluation } from './evaluate.js';

/**
 * Figures that are undefined on the data (a task without a labelled test example, AUC
 * of a test split with a single class) are NaN in memory and null in run files; they
 * are printed as "undefined (reason)", never as a crash or a bare NaN.
 */

/** A figure for a table or a log line: 4 decimals, or "undefined (reason)". */
export function formatFigure(value: number | null | undefined, reason?: string, digits = 4): string {
  if (typeof value === 'number' && Number.isFinite(value)) return value.toFixed(digits);
  return `undefined${reason ? ` (${reason})` : ''}`;
}

/** Whether a figure is defined (a finite number). */
export function isDefined(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The reason a task evaluation gives for an undefined figure (`loss` or a metric name). */
export function undefinedReason(evaluation: TaskEvaluation | undefined, figure: string): string | undefined {
  return evaluation?.undefinedReasons?.[figure] ?? (evaluation && evaluation.examples === 0 ? 'no labelled examples' : undefined);
}
