import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { closest, MtlError } from '../errors.js';
import type { CsvDelimiter } from '../data/csvParse.js';
import { openCsv, type CsvInput } from '../data/csvSource.js';
import type { RawRecord } from '../inference/loadedModel.js';
import { csvField, predictionCells, predictionColumns } from '../inference/predictionTable.js';
import { loadMultiTaskModel } from '../io/multiTaskModelFiles.js';

/** Options of {@link predictCsv}. */
export interface PredictCsvOptions {
  /** Write the predictions to this CSV file (created next to it under a temporary name, then renamed); otherwise to `write`. */
  out?: string;
  /** Replace `out` when it exists. @defaultValue false */
  force?: boolean;
  /** Where the CSV lines go without `out`. */
  write?: (line: string) => void;
  /** Field delimiter of the input, or `auto`. @defaultValue 'auto' */
  delimiter?: CsvDelimiter | 'auto';
  /** Rows predicted per forward pass. @defaultValue 1024 */
  batchSize?: number;
  /** Input columns copied into the output next to the row number (e.g. an id). */
  keep?: string[];
}

/**
 * Predict every row of a CSV file with a trained tabular model (a run folder or a model
 * folder): the model's saved preprocessing maps the raw cells (missing values imputed,
 * categories one-hot, numbers standardised) to its inputs, and the output has one line
 * per input row: its line number in the input file, any `keep` columns, then each
 * task's predicted class or value (in the targets' units) and probabilities (see
 * `predictionColumns`). The file is read in chunks, so it may be larger than memory.
 * Returns the number of rows predicted.
 *
 * @throws MtlError `io.missing_model`, `model.no_preprocessing` (a model not trained on
 *   CSV data), `data.csv_missing_columns` (the input lacks a column the model reads),
 *   `data.bad_feature` (a cell that is not a number in a numeric column, with its row),
 *   `io.exists` (`out` exists without `force`).
 */
export async function predictCsv(modelDir: string, input: CsvInput, options: PredictCsvOptions = {}): Promise<{ rows: number; columns: string[] }> {
  const model = await loadMultiTaskModel(modelDir);
  try {
    const description = model.description;
    if (!description?.preprocessing || !model.columns) {
      throw new MtlError({
        code: 'model.no_preprocessing',
        path: modelDir,
        expected: 'a model trained on CSV data (it saves the preprocessing that reads raw rows)',
        found: description ? `a model with inputs of shape [${description.inputShape.join(', ')}] and no preprocessing` : 'a model saved without tfjs-multitask metadata',
        fix: description ? 'mtl predict reads CSV rows; use the library (loadMultiTaskModel(dir).predict(x)) for other inputs' : 'train it again with this version of tfjs-multitask',
      });
    }
    const source = openCsv(input, { delimiter: options.delimiter ?? 'auto' });
    const header = source.header;
    const missing = model.columns.filter((c) => !header.includes(c));
    if (missing.length > 0) {
      const near = closest(missing[0]!, header);
      throw new MtlError({
        code: 'data.csv_missing_columns',
        path: `${source.source}: header`,
        expected: `the columns the model reads: [${model.columns.join(', ')}] (a missing value may be an empty cell, but the column must be there)`,
        found: `no ${missing.map((c) => JSON.stringify(c)).join(', ')} in [${header.join(', ')}]`,
        fix: near ? `did you mean "${near}"? rename the column to the name used in training` : 'add the column(s), empty where unknown (missing values are imputed)',
      });
    }
    const keep = options.keep ?? [];
    keep.forEach((c, i) => {
      if (!header.includes(c)) {
        throw new MtlError({ code: 'data.csv_unknown_column', path: `--keep ${c}`, expected: `a column of the header [${header.join(', ')}]`, found: JSON.stringify(c), fix: `keep[${i}]: check the name (case-sensitive)` });
      }
    });
    const positions = model.columns.map((c) => header.indexOf(c));
    const keepPositions = keep.map((c) => header.indexOf(c));
    const columns = ['row', ...keep, ...predictionColumns(description)];
    let fd: number | undefined;
    const partial = options.out ? `${options.out}.partial` : undefined;
    if (options.out) {
      if (existsSync(options.out) && !options.force) {
        throw new MtlError({ code: 'io.exists', path: options.out, expected: 'a new output file', found: 'a file that already exists', fix: 'choose another --out, or pass --force to replace it' });
      }
      fd = openSync(partial!, 'w');
    }
    const emit = fd !== undefined ? (line: string) => writeSync(fd!, line + '\n') : (options.write ?? ((line: string) => process.stdout.write(line + '\n')));
    let rows = 0;
    try {
      emit(columns.map(csvField).join(','));
      const batchSize = options.batchSize ?? 1024;
      let batch: RawRecord[] = [];
      let lines: number[] = [];
      let kept: string[][] = [];
      const flush = () => {
        const predictions = model.predictRows(batch, { batchSize, rowName: (i) => `${source.source}: row ${lines[i]}` });
        predictions.forEach((p, i) => emit([String(lines[i]), ...kept[i]!, ...predictionCells(description, p)].map(csvField).join(',')));
        rows += batch.length;
        batch = [];
        lines = [];
        kept = [];
      };
      for (const { fields, line } of source.records()) {
        const record: Record<string, string> = {};
        for (let k = 0; k < positions.length; k++) record[model.columns[k]!] = fields[positions[k]!]!;
        batch.push(record);
        lines.push(line);
        kept.push(keepPositions.map((p) => fields[p]!));
        if (batch.length === batchSize) flush();
      }
      if (batch.length > 0) flush();
      if (fd !== undefined) {
        closeSync(fd);
        fd = undefined;
        renameSync(partial!, options.out!);
      }
    } finally {
      if (fd !== undefined) {
        closeSync(fd);
        rmSync(partial!, { force: true });
      }
    }
    return { rows, columns };
  } finally {
    model.model.dispose();
  }
}
