import { featureEncoder, type PreprocessorJson } from '../preprocessing/preprocessor.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';
import type { CsvPlan, SplitCode } from './csvScan.js';

/**
 * Writes one CSV row (its feature inputs and every task's labels) into typed arrays at
 * a row position: the step shared by the in-memory encoding and the streaming data set.
 */
export interface CsvRowWriter {
  /** Model inputs per row. */
  readonly width: number;
  /** Label values per row, per task. */
  readonly labelWidths: number[];
  /**
   * Encode `fields` (a record of the plan's file) at row `r` of `x` (width inputs per
   * row), of each `labels[t]` (labelWidths[t] per row) and of `masks[t]` (1 labelled, 0
   * missing; missing labels leave 0 in `labels`).
   */
  write(fields: readonly string[], line: number, x: Float32Array, labels: Float32Array[], masks: Uint8Array[], r: number): void;
}

/** The row writer of a plan with a fitted preprocessing. */
export function csvRowWriter(plan: CsvPlan, preprocessor: PreprocessorJson): CsvRowWriter {
  const encoder = featureEncoder(preprocessor);
  const { featureColumns } = plan.layout;
  const values = new Array<string>(featureColumns.length);
  const labelWidths = plan.readers.map((reader) => reader.width);
  const source = plan.source.source;
  return {
    width: encoder.width,
    labelWidths,
    write(fields, line, x, labels, masks, r) {
      for (let k = 0; k < featureColumns.length; k++) values[k] = fields[featureColumns[k]!]!;
      encoder.encode(values, x, r * encoder.width, () => `${source}: row ${line}`);
      for (let t = 0; t < plan.readers.length; t++) {
        const w = labelWidths[t]!;
        const labelled = plan.readers[t]!.decode(fields, line, labels[t]!, r * w);
        if (!labelled) labels[t]!.fill(0, r * w, (r + 1) * w);
        masks[t]![r] = labelled ? 1 : 0;
      }
    },
  };
}

/**
 * Encode the rows of one part of a CSV file (`assignment[i] === part`; every row when
 * `assignment` is null) into an in-memory data set: one pass over the file.
 */
export function encodeCsvPart(
  plan: CsvPlan,
  preprocessor: PreprocessorJson,
  assignment: Uint8Array | null,
  part: SplitCode,
  count: number,
  name: string,
): ArrayDataset {
  const writer = csvRowWriter(plan, preprocessor);
  const x = new Float32Array(count * writer.width);
  const labels = writer.labelWidths.map((w) => new Float32Array(count * w));
  const masks = writer.labelWidths.map(() => new Uint8Array(count));
  let i = 0;
  let r = 0;
  for (const { fields, line } of plan.source.records()) {
    const keep = !assignment || assignment[i] === part;
    i++;
    if (!keep) continue;
    writer.write(fields, line, x, labels, masks, r);
    r++;
  }
  const targets: Record<string, TaskLabels> = {};
  plan.readers.forEach((reader, t) => {
    const mask = masks[t]!;
    const complete = mask.every((m) => m === 1);
    targets[reader.target.name] = { values: labels[t]!, width: writer.labelWidths[t]!, kind: reader.target.kind, ...(complete ? {} : { mask }) };
  });
  return new ArrayDataset({ data: x, shape: [r, writer.width] }, targets, name);
}
