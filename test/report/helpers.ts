import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'mtl-report-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface FakeRun {
  config?: Record<string, unknown> | string;
  lines?: object[];
  /** Raw text appended after the lines (e.g. a cut-off line). */
  tail?: string;
  summary?: Record<string, unknown> | string;
  baselineLines?: Record<string, object[]>;
  files?: Record<string, unknown>;
}

/** Write a run folder by hand (config.json, metrics.jsonl, summary.json, baselines/<task>/metrics.jsonl, extra JSON files). */
export function writeRun(dir: string, run: FakeRun): string {
  mkdirSync(dir, { recursive: true });
  if (run.config !== undefined) writeFileSync(join(dir, 'config.json'), typeof run.config === 'string' ? run.config : JSON.stringify(run.config, null, 2));
  if (run.lines !== undefined || run.tail !== undefined) writeFileSync(join(dir, 'metrics.jsonl'), (run.lines ?? []).map((l) => JSON.stringify(l) + '\n').join('') + (run.tail ?? ''));
  if (run.summary !== undefined) writeFileSync(join(dir, 'summary.json'), typeof run.summary === 'string' ? run.summary : JSON.stringify(run.summary, null, 2));
  for (const [task, lines] of Object.entries(run.baselineLines ?? {})) {
    mkdirSync(join(dir, 'baselines', task), { recursive: true });
    writeFileSync(join(dir, 'baselines', task, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));
  }
  for (const [name, value] of Object.entries(run.files ?? {})) writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  return dir;
}

/** A two-task config (a: accuracy, b: mse) with the given method, architecture and seed. */
export function config(method: string, seed: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `toy-${method}-s${seed}`,
    seed,
    data: { source: 'csv', path: 'toy.csv' },
    tasks: [{ name: 'a', kind: 'multiclass' }, { name: 'b', kind: 'regression' }],
    model: { architecture: 'hard-sharing', encoder: { type: 'mlp', hidden: [8] } },
    weighting: { method },
    training: { epochs: 3, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 } },
    baselines: false,
    ...extra,
  };
}

/** Epoch lines with a falling loss and a rising accuracy. */
export function epochLines(epochs: number, weights: Record<string, number> = { a: 1, b: 1 }): object[] {
  return Array.from({ length: epochs }, (_, e) => ({
    type: 'epoch',
    epoch: e,
    step: (e + 1) * 10,
    learningRate: 0.01,
    trainLoss: { a: 1 / (e + 1), b: 2 / (e + 1) },
    weights,
    evaluation: { a: { loss: 1.1 / (e + 1), metrics: { accuracy: 0.5 + 0.1 * e }, examples: 20 }, b: { loss: 2.2 / (e + 1), metrics: { mse: 2.2 / (e + 1), mae: 1 / (e + 1) }, examples: 15 } },
    seconds: 0.5,
    stepsPerSecond: 20,
  }));
}

/** A summary.json with multi-task results (and single-task ones when given). */
export function summary(a: number, b: number, single?: { a: number; b: number }): Record<string, unknown> {
  return {
    name: 'toy',
    multiTask: { evaluation: { a: { loss: 0.5, metrics: { accuracy: a }, examples: 20 }, b: { loss: b, metrics: { mse: b }, examples: 15 } }, epochs: 3, steps: 30, seconds: 2, parameters: 100 },
    ...(single
      ? { singleTask: { a: { evaluation: { loss: 0.5, metrics: { accuracy: single.a }, examples: 20 }, epochs: 3, seconds: 1, parameters: 60 }, b: { evaluation: { loss: single.b, metrics: { mse: single.b }, examples: 15 }, epochs: 3, seconds: 1, parameters: 60 } } }
      : {}),
  };
}

/** Every file below a folder with its size, time and content, to show that something left it untouched. */
export function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(`${p}:${statSync(p).size}:${statSync(p).mtimeMs}:${readFileSync(p, 'base64')}`);
      else out.push(`${p}:link`);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Count the data marks of a rendered figure: the items inside Vega's role-mark groups. */
export function markCount(svg: string): number {
  let n = 0;
  const re = /<g class="mark-([a-z]+) role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g;
  for (const m of svg.matchAll(re)) n += (m[2]!.match(/<(path|rect|text|line|circle)\b/g) ?? []).length;
  return n;
}
