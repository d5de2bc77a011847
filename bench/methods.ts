/**
 * Benchmarks of the task-balancing methods.
 *
 * Default mode — step time: each gradient method's training-step time (hard sharing +
 * trainStep + Adam) as a ratio to an equal-weighting step on the same model and batch,
 * in every gradient mode the method supports, for
 * - the MultiMNIST LeNet with 2 tasks (input 28×28×1, heads fc 50 → 10, batch 256);
 * - an MLP 64→256→256 with 3 heads of 3 classes (batch 256);
 * random data. Methods are measured round-robin (each round visits every method once,
 * starting one place further along each round), each block of steps right after a block
 * of equal-weighting steps; the ratio is the median over
 * the rounds of the method's time to its paired equal-weighting time. The table checks
 * the issue's goals: representation mode ≤ 1.3× equal weighting,
 * exact (parameters) mode ≤ 1 + 0.6·T×.
 *
 * `--toy` — the CAGrad two-task toy (Liu et al., NeurIPS 2021): every gradient method of
 * the registry (and equal weighting, for reference) from the three standard starts,
 * 100,000 Adam steps (lr 1e-3) or `--toy-seconds` of wall time per run, printed as a
 * Markdown table (final point, losses, Pareto-stationarity, distance to the Pareto set).
 *
 * Usage:
 *   node --import tsx bench/methods.ts [--rounds 3] [--steps 3] [--min-seconds 0.4] [--backend native|wasm|cpu] (default: what the library picks)
 *     [--methods graddrop,pcgrad] (only those gradient methods, each still paired with equal weighting)
 * (a measurement takes at least `--steps` steps and at least `--min-seconds`, so the
 * fast MLP step is timed over many steps).
 *   node --import tsx bench/methods.ts --toy [--toy-seconds 10]
 */
import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildWorkload } from './workload.js';
import { selectBackend, type BackendPreference } from '../src/backend/selectBackend.js';
import { CAGRAD_TOY_STARTS } from '../src/data/synthetic.js';
import { PARETO_TOY_STEPS, formatParetoToyTable, runParetoToy, type ParetoToyResult } from './paretoToy.js';
import type { GradientMode, WeightingMethod } from '../src/weighting/method.js';
import { weightingMethods } from '../src/weighting/registry.js';
import { median } from './median.js';

const { values } = parseArgs({
  options: {
    toy: { type: 'boolean' },
    'toy-seconds': { type: 'string' },
    rounds: { type: 'string' },
    steps: { type: 'string' },
    'min-seconds': { type: 'string' },
    backend: { type: 'string' },
    methods: { type: 'string' },
  },
});

type AnyMethod = WeightingMethod<unknown, unknown>;
const onlyMethods = values.methods?.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
for (const name of onlyMethods ?? []) {
  if (weightingMethods[name]?.needs === 'losses' || !weightingMethods[name]) {
    throw new Error(`bench/methods: --methods takes gradient methods; "${name}" is ${weightingMethods[name] ? 'a loss-based method' : 'not a method'}`);
  }
}
const gradientMethods = Object.values(weightingMethods).filter((m) => m.needs !== 'losses' && (!onlyMethods || onlyMethods.includes(m.name))) as AnyMethod[];

/** Options the toy runs use where the paper's toy differs from a method's default. */
const TOY_OPTIONS: Record<string, Record<string, unknown>> = { cagrad: { conflictAversion: 0.5 } };
/**
 * The toy's losses go down to −20; methods that take logs or ratios of losses assume
 * non-negative ones, so the methods see L_t + 20 ≥ 0 (the gradients, and so every
 * gradient-only method, are unaffected).
 */
const TOY_LOSS_OFFSET = 20;

function runToy(): void {
  const seconds = Number(values['toy-seconds'] ?? 10);
  const methods = [weightingMethods['equal']! as AnyMethod, ...gradientMethods];
  const results: (ParetoToyResult & { label: string })[] = [];
  const started = performance.now();
  for (const method of methods) {
    const options = TOY_OPTIONS[method.name];
    for (const start of CAGRAD_TOY_STARTS) {
      const r = runParetoToy({ method, options, start: [start[0], start[1]], lossOffset: TOY_LOSS_OFFSET, maxSeconds: seconds });
      const label = options ? `${method.name} (${Object.entries(options).map(([k, v]) => `${k} ${v}`).join(', ')})` : method.name;
      results.push({ ...r, label });
      process.stderr.write(`${label} from (${start}): ${r.steps} steps, distance ${r.frontDistance.toExponential(2)}\n`);
    }
  }
  console.log(
    `\nCAGrad toy: Adam lr 1e-3, ${PARETO_TOY_STEPS} steps or ${seconds} s per run; methods see L + ${TOY_LOSS_OFFSET}; ` +
      `on front = within 0.05 of the Pareto set (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  console.log(formatParetoToyTable(results));
}

interface Entry {
  method: AnyMethod;
  mode: GradientMode;
  options: unknown;
  state: unknown;
  steps: number;
  times: number[];
}

async function runTiming(): Promise<void> {
  const rounds = Number(values.rounds ?? 3);
  const stepsPerMeasure = Number(values.steps ?? 3);
  const minSeconds = Number(values['min-seconds'] ?? 0.4);
  const backend = await selectBackend(values.backend as BackendPreference | undefined, { log: () => {} });
  const started = performance.now();
  const workloads = [
    () => buildWorkload('LeNet, 2 tasks, batch 256', [28, 28, 1], [10, 10], { type: 'lenet' }, { hidden: [50], dropout: 0.5 }),
    () => buildWorkload('MLP 64→256→256, 3 tasks, batch 256', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, { hidden: [], dropout: 0 }),
  ];
  const lines: string[] = [];
  for (const build of workloads) {
    const workload = build();
    const taskNames = Array.from({ length: workload.tasks }, (_, t) => `t${t}`);
    const context = { taskNames, seed: 0 };
    const entries: Entry[] = [];
    const add = (method: AnyMethod, mode: GradientMode) => {
      const options = method.resolveOptions(undefined, context);
      entries.push({ method, mode, options, state: method.init(context, options), steps: 0, times: [] });
    };
    add(weightingMethods['equal']! as AnyMethod, 'parameters');
    for (const method of gradientMethods) for (const mode of method.gradientModes) add(method, mode);
    // Warm-up: one untimed step of every entry (kernels, JIT, the methods' first-step state).
    for (const e of entries) e.state = workload.step(e.method, e.options, e.state, e.mode, e.steps++);
    const [equal, ...others] = entries as [Entry, ...Entry[]];
    const measure = (e: Entry): number => {
      const t0 = performance.now();
      let taken = 0;
      while (taken < stepsPerMeasure || performance.now() - t0 < 1000 * minSeconds) {
        e.state = workload.step(e.method, e.options, e.state, e.mode, e.steps++);
        taken++;
      }
      const ms = (performance.now() - t0) / taken;
      e.times.push(ms);
      return ms;
    };
    // Each method's block is paired with an equal-weighting block right before it, and its
    // ratio is taken to that one: the machine's drift over a round (other processes, CPU
    // frequency) cancels out of the ratio.
    const ratios = new Map<Entry, number[]>(others.map((e) => [e, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < others.length; k++) {
        const e = others[(k + round) % others.length]!;
        const base = measure(equal);
        ratios.get(e)!.push(measure(e) / base);
      }
      process.stderr.write(`${workload.name}: round ${round + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    const base = median(equal.times);
    const exactGoal = 1 + 0.6 * workload.tasks;
    lines.push(`| ${workload.name} | equal | – | ${base.toFixed(1)} | 1.00× | – | – |`);
    for (const e of others) {
      const ms = median(e.times);
      const ratio = median(ratios.get(e)!);
      const goal = e.mode === 'representation' ? 1.3 : exactGoal;
      lines.push(
        `| ${workload.name} | ${e.method.name} | ${e.mode} | ${ms.toFixed(1)} | ${ratio.toFixed(2)}× | ≤ ${goal.toFixed(1)}× | ${ratio <= goal ? 'yes' : 'no'} |`,
      );
    }
    workload.dispose();
  }
  console.log(
    `\nTraining-step time per method, ratio to an equal-weighting step (median of ${rounds} rounds of ≥ ${stepsPerMeasure} steps and ≥ ${minSeconds} s, ` +
      `each paired with an equal-weighting block, ratio = median of the paired ratios; backend ${backend.tfBackend}, tfjs ${tf.version.tfjs}, ${cpus().length} CPUs, ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  console.log('| workload | method | gradient mode | ms/step | ratio to equal | goal | meets |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const line of lines) console.log(line);
}

if (values.toy) runToy();
else await runTiming();
