/**
 * Training speed of tfjs's cpu backend, stock wasm and wasm with tfjs-multitask's kernel
 * fixes, side by side in one run (`node --import tsx bench/kernels.ts`, about a
 * minute and a half on 2 cores):
 *
 * - LeNet (MultiMNIST shape): [256,28,28,1] → conv 5×5 (1→10) → maxpool 2 → ReLU →
 *   conv 5×5 (10→20) → dropout 0.5 → maxpool 2 → ReLU → flatten → dense 50 ReLU →
 *   two heads (dense 50 ReLU → dense 10), softmax cross-entropy each, Adam;
 * - MLP: [256,64] → dense 256 ReLU → dense 256 ReLU → three heads of 3 outputs, MSE
 *   each, Adam;
 * - a 512×512×512 matmul, plain and with either operand transposed.
 *
 * Each configuration warms up, then the configurations take turns (three rounds of
 * about a second each) so that drift on a shared machine hits all of them alike; the
 * table shows the median round. cpu's LeNet step takes about a minute at batch 256,
 * so it runs at batch 16 and is scaled to 256 (its cost is linear in the batch).
 *
 * Also exports the two models, which the backend tests reuse.
 */
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/backend/selectBackend.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backend/wasmKernels.js';
import { median } from './median.js';

/** A model as the benchmark trains it: variables, a loss over a fixed batch, and disposal. */
export interface BenchModel {
  /** Trainable variables by name. */
  variables: Record<string, tf.Variable>;
  /** The summed task losses on the model's batch (call inside a tidy or variableGrads). */
  loss(): tf.Scalar;
  /** Frees the variables and the batch. */
  dispose(): void;
}

/** Options of the benchmark models. */
export interface BenchModelOptions {
  /** Batch size. @defaultValue 256 */
  batch?: number;
  /** Seed of the weights, the batch and the dropout mask (the same on every backend). @defaultValue 1 */
  seed?: number;
  /** Dropout rate of LeNet's second conv block. @defaultValue 0.5 */
  dropout?: number;
}

function variable(shape: number[], seed: number, name: string): tf.Variable {
  const fanIn = shape.length === 4 ? shape[0]! * shape[1]! * shape[2]! : shape[0]!;
  const init = shape.length === 1 ? tf.zeros(shape) : tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
  return tf.variable(init, true, `${name}_${seed}_${Math.random().toString(36).slice(2)}`);
}

function dense(x: tf.Tensor, w: tf.Variable, b: tf.Variable, relu: boolean): tf.Tensor {
  const y = tf.add(tf.matMul(x, w), b);
  return relu ? tf.relu(y) : y;
}

/**
 * The MultiMNIST LeNet: shared conv trunk, two 10-way heads, softmax cross-entropy.
 * Weights, inputs, labels and the dropout mask come from `seed`.
 */
export function createLeNet(options: BenchModelOptions = {}): BenchModel {
  const { batch = 256, seed = 1, dropout = 0.5 } = options;
  const shapes: Record<string, number[]> = {
    conv1: [5, 5, 1, 10], conv1Bias: [10], conv2: [5, 5, 10, 20], conv2Bias: [20],
    shared: [320, 50], sharedBias: [50],
    leftHidden: [50, 50], leftHiddenBias: [50], leftOut: [50, 10], leftOutBias: [10],
    rightHidden: [50, 50], rightHiddenBias: [50], rightOut: [50, 10], rightOutBias: [10],
  };
  const v: Record<string, tf.Variable> = {};
  Object.entries(shapes).forEach(([name, shape], i) => (v[name] = variable(shape, seed * 100 + i, name)));
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
  const labels = [1, 2].map((k) =>
    tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', seed * 10 + k) as tf.Tensor1D, 10)),
  );
  const loss = (): tf.Scalar => {
    let h: tf.Tensor4D = tf.add(tf.conv2d(x, v['conv1'] as tf.Tensor4D, 1, 'valid'), v['conv1Bias']!);
    h = tf.relu(tf.maxPool(h, 2, 2, 'valid'));
    h = tf.add(tf.conv2d(h, v['conv2'] as tf.Tensor4D, 1, 'valid'), v['conv2Bias']!);
    if (dropout > 0) h = tf.dropout(h, dropout, undefined, seed) as tf.Tensor4D;
    h = tf.relu(tf.maxPool(h, 2, 2, 'valid'));
    const features = dense(tf.reshape(h, [batch, 320]), v['shared']!, v['sharedBias']!, true);
    const logits = ['left', 'right'].map((side) =>
      dense(dense(features, v[`${side}Hidden`]!, v[`${side}HiddenBias`]!, true), v[`${side}Out`]!, v[`${side}OutBias`]!, false),
    );
    return tf.add(tf.losses.softmaxCrossEntropy(labels[0]!, logits[0]!), tf.losses.softmaxCrossEntropy(labels[1]!, logits[1]!));
  };
  return { variables: v, loss, dispose: () => tf.dispose([...Object.values(v), x, ...labels]) };
}

/** The MLP: 64 → 256 → 256 shared trunk, three regression heads of 3 outputs, MSE. */
export function createMlp(options: BenchModelOptions = {}): BenchModel {
  const { batch = 256, seed = 1 } = options;
  const v: Record<string, tf.Variable> = {
    hidden1: variable([64, 256], seed * 100, 'hidden1'), hidden1Bias: variable([256], seed * 100 + 1, 'hidden1Bias'),
    hidden2: variable([256, 256], seed * 100 + 2, 'hidden2'), hidden2Bias: variable([256], seed * 100 + 3, 'hidden2Bias'),
  };
  for (let t = 0; t < 3; t++) {
    v[`head${t}`] = variable([256, 3], seed * 100 + 10 + t, `head${t}`);
    v[`head${t}Bias`] = variable([3], seed * 100 + 20 + t, `head${t}Bias`);
  }
  const x = tf.randomNormal([batch, 64], 0, 1, 'float32', seed);
  const targets = [0, 1, 2].map((t) => tf.randomNormal([batch, 3], 0, 1, 'float32', seed * 10 + t));
  const loss = (): tf.Scalar => {
    const h = dense(dense(x, v['hidden1']!, v['hidden1Bias']!, true), v['hidden2']!, v['hidden2Bias']!, true);
    const losses = targets.map((y, t) => tf.losses.meanSquaredError(y, dense(h, v[`head${t}`]!, v[`head${t}Bias`]!, false)));
    return tf.addN(losses) as tf.Scalar;
  };
  return { variables: v, loss, dispose: () => tf.dispose([...Object.values(v), x, ...targets]) };
}

/** One training step: gradients with `tf.variableGrads`, an optimizer update; returns the loss. */
export function trainStep(model: BenchModel, optimizer: tf.Optimizer): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(model.loss);
    optimizer.applyGradients(grads);
    return value.dataSync()[0]!;
  });
}

// ---------------------------------------------------------------------------------------------
// The benchmark itself.

type ConfigName = 'cpu' | 'wasm' | 'wasm+fixes';
const CONFIGS: ConfigName[] = ['cpu', 'wasm', 'wasm+fixes'];

async function activate(config: ConfigName): Promise<void> {
  if (config === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  await selectBackend('wasm', { log: () => {}, env: {} });
  if (config === 'wasm') uninstallWasmKernelFixes();
  else installWasmKernelFixes();
}

interface Workload {
  name: string;
  unit: string;
  /** Builds the work for one configuration; returns one timed unit of work and the amount it counts for. */
  setup(config: ConfigName): { run: () => number; dispose: () => void };
}

function training(name: string, create: (batch: number) => BenchModel, cpuBatch?: number): Workload {
  return {
    name,
    unit: 'steps/s',
    setup(config) {
      const batch = config === 'cpu' && cpuBatch !== undefined ? cpuBatch : 256;
      const model = create(batch);
      const optimizer = tf.train.adam(1e-3);
      return {
        run: () => {
          trainStep(model, optimizer);
          return batch / 256; // steps at batch 256
        },
        dispose: () => {
          model.dispose();
          optimizer.dispose();
        },
      };
    },
  };
}

function matmul(transposeA: boolean, transposeB: boolean): Workload {
  const label = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
  return {
    name: `matmul 512³ ${label}`,
    unit: 'GFLOP/s',
    setup() {
      const a = tf.randomNormal([512, 512], 0, 1, 'float32', 1);
      const b = tf.randomNormal([512, 512], 0, 1, 'float32', 2);
      return {
        run: () => {
          // (Return nothing from the tidy: it would walk a returned typed array element by element.)
          tf.tidy(() => {
            tf.matMul(a, b, transposeA, transposeB).dataSync();
          });
          return (2 * 512 ** 3) / 1e9;
        },
        dispose: () => tf.dispose([a, b]),
      };
    },
  };
}

interface Cell {
  rates: number[];
  error?: string;
  note?: string;
}

async function measure(workload: Workload, rounds: number, secondsPerRound: number): Promise<Record<ConfigName, Cell>> {
  const cells = {} as Record<ConfigName, Cell>;
  const live = new Map<ConfigName, { run: () => number; dispose: () => void }>();
  for (const config of CONFIGS) {
    await activate(config);
    const cell: Cell = { rates: [] };
    cells[config] = cell;
    try {
      const work = workload.setup(config);
      live.set(config, work);
      work.run(); // warm-up: kernel setup, XNNPACK operator creation, optimizer state
      work.run();
    } catch (error) {
      cell.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 70);
      live.get(config)?.dispose();
      live.delete(config);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const config of CONFIGS) {
      const work = live.get(config);
      if (!work) continue;
      await activate(config);
      let amount = 0;
      const start = performance.now();
      do amount += work.run();
      while (performance.now() - start < secondsPerRound * 1000);
      cells[config].rates.push(amount / ((performance.now() - start) / 1000));
    }
  }
  for (const [config, work] of live) {
    await activate(config);
    work.dispose();
  }
  return cells;
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!.toFixed(1);
  const workloads: Workload[] = [
    training('LeNet, batch 256', (batch) => createLeNet({ batch }), 16),
    training('MLP, batch 256', (batch) => createMlp({ batch })),
    matmul(false, false),
    matmul(true, false),
    matmul(false, true),
  ];
  const rows: string[][] = [];
  for (const workload of workloads) {
    const cells = await measure(workload, 3, 1);
    const rate = (config: ConfigName) => (cells[config].rates.length ? median(cells[config].rates) : undefined);
    const show = (config: ConfigName) => {
      const r = rate(config);
      if (r === undefined) return `fails: ${cells[config].error ?? '?'}`;
      return format(r) + (config === 'cpu' && workload.name.startsWith('LeNet') ? ' (batch 16, scaled)' : '');
    };
    const ratio = (config: ConfigName) => {
      const fixed = rate('wasm+fixes');
      const other = rate(config);
      return fixed !== undefined && other !== undefined ? `${format(fixed / other)}×` : '–';
    };
    rows.push([`${workload.name} (${workload.unit})`, show('cpu'), show('wasm'), show('wasm+fixes'), ratio('cpu'), ratio('wasm')]);
    console.error(`done: ${workload.name}`);
  }
  const header = ['workload', 'cpu', 'wasm (stock)', 'wasm + fixes', 'fixes ÷ cpu', 'fixes ÷ stock'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  await selectBackend('wasm', { log: () => {}, env: {} });
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(
    `tfjs ${tf.version.tfjs}, Node ${process.version}, wasm SIMD ${simd ? 'on' : 'off'}, 1 thread; ` +
      `median of 3 alternating rounds; load average ${load} (before: ${loadBefore})`,
  );
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of rows) console.log(line(row));
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
