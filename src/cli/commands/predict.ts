import { openCsv } from '../../data/csvSource.js';
import { predictCsv } from '../../experiment/predictCsv.js';
import { modelFolder } from '../../io/multiTaskModelFiles.js';
import { MtlError } from '../../errors.js';
import { positiveIntegerOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

const DELIMITERS: Record<string, ',' | ';' | '\t' | 'auto'> = { ',': ',', comma: ',', ';': ';', semicolon: ';', tab: '\t', '\t': '\t', auto: 'auto' };

/** `mtl predict`: a trained tabular model on the raw rows of a CSV file. */
export const predictCommand: Command = {
  name: 'predict',
  summary: "predict every row of a CSV file with a trained run's model (class names, probabilities, values in their units)",
  usage: 'mtl predict <run folder> <data.csv> [--out predictions.csv] [--force] [--keep COLUMN]... [--delimiter D] [--batch N] [--backend NAME]',
  description:
    "Loads the run's model/ with the preprocessing it was trained with (feature columns and order, imputation,\n" +
    'categories, scalers, class names, target scaling) and predicts every row of the CSV file as it is: missing\n' +
    'cells are imputed, categories one-hot encoded, regression values mapped back to their units. Writes one CSV\n' +
    'line per input row (its line number, --keep columns, then each task: the predicted class or value and the\n' +
    'probabilities) to --out, or to standard output. The file is read in chunks, so it may be larger than memory.',
  positionals: { min: 2, max: 2, names: 'a run folder (or model folder) and a CSV file', example: 'mtl predict runs/customers new-customers.csv --out predictions.csv' },
  options: {
    out: { type: 'string', value: 'FILE', description: 'write the predictions to this CSV file (default: standard output)' },
    force: { type: 'boolean', description: 'replace --out when it exists' },
    keep: { type: 'string', value: 'COLUMN', multiple: true, description: 'copy this input column into the output (e.g. an id); repeatable' },
    delimiter: { type: 'string', value: 'D', description: 'the input\'s delimiter: comma, semicolon, tab or auto (default auto)' },
    batch: { type: 'string', value: 'N', description: 'rows per forward pass (default 1024)' },
    backend: BACKEND_OPTION,
  },
  examples: ['mtl predict runs/customers examples/data/customers.csv --out predictions.csv', 'mtl predict runs/customers new.csv --keep customer_id > predictions.csv'],
  async run(context) {
    const [runDir, csv] = context.positionals as [string, string];
    const batchSize = positiveIntegerOption(context.values, 'batch', 1 << 20);
    const raw = context.values.delimiter as string | undefined;
    const delimiter = raw === undefined ? 'auto' : DELIMITERS[raw];
    if (!delimiter) {
      throw new MtlError({ code: 'cli.bad_option', path: '--delimiter', expected: 'comma, semicolon, tab or auto', found: JSON.stringify(raw), fix: '--delimiter semicolon' });
    }
    const out = context.values.out as string | undefined;
    // A missing model or file is reported before anything else.
    modelFolder(runDir);
    openCsv(csv, { delimiter });
    // Without --out the CSV goes to standard output, so the backend line goes to standard error.
    await useBackend(out ? context : { ...context, log: (line) => process.stderr.write(line + '\n') });
    const { rows } = await predictCsv(runDir, csv, {
      ...(out ? { out } : { write: context.log }),
      force: Boolean(context.values.force),
      delimiter,
      ...(batchSize ? { batchSize } : {}),
      keep: (context.values.keep as string[] | undefined) ?? [],
    });
    if (out) context.log(`predicted ${rows} rows: ${out}`);
    return 0;
  },
};
