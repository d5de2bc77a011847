import type { Prediction } from './loadedModel.js';
import type { ModelMetadata } from './modelMetadata.js';

/**
 * Predictions as a table (what `mtl predict` writes as CSV): per task, the predicted
 * label or value first, then the probabilities.
 * - binary `churn`: `churn` (the class name), `churn_probability` (of the positive class);
 * - multiclass `segment`: `segment` (the class), `segment_p_<class>` for every class;
 * - multilabel `tags`: `tags` (the predicted labels joined by `;`), `tags_p_<label>` for every label;
 * - regression `spend`: `spend` (one output), or `spend_<target>` for each output.
 */

/** The prediction columns of a model, in order. */
export function predictionColumns(description: ModelMetadata): string[] {
  const columns: string[] = [];
  for (const t of description.tasks) {
    switch (t.kind) {
      case 'binary':
        columns.push(t.name, `${t.name}_probability`);
        break;
      case 'multiclass':
      case 'multilabel':
        columns.push(t.name, ...t.outputNames.map((c) => `${t.name}_p_${c}`));
        break;
      case 'regression':
        if (t.outputSize === 1) columns.push(t.name);
        else columns.push(...t.outputNames.map((c) => `${t.name}_${c}`));
        break;
    }
  }
  return columns;
}

/** A number as written in the table: float32 precision, shortest form (9 significant digits round-trip a float32). */
export function formatNumber(v: number): string {
  return String(Number(v.toPrecision(9)));
}

/** One row's cells under {@link predictionColumns}. */
export function predictionCells(description: ModelMetadata, p: Prediction): string[] {
  const cells: string[] = [];
  for (const t of description.tasks) {
    const q = p[t.name]!;
    switch (t.kind) {
      case 'binary': {
        const b = q as { label: string; probability: number };
        cells.push(b.label, formatNumber(b.probability));
        break;
      }
      case 'multiclass': {
        const m = q as { label: string; probabilities: Record<string, number> };
        cells.push(m.label, ...t.outputNames.map((c) => formatNumber(m.probabilities[c]!)));
        break;
      }
      case 'multilabel': {
        const m = q as { labels: string[]; probabilities: Record<string, number> };
        cells.push(m.labels.join(';'), ...t.outputNames.map((c) => formatNumber(m.probabilities[c]!)));
        break;
      }
      case 'regression': {
        const r = q as { values: Record<string, number> };
        cells.push(...t.outputNames.map((c) => formatNumber(r.values[c]!)));
        break;
      }
    }
  }
  return cells;
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
