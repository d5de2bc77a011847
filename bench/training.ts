/**
 * Training-step throughput of the library itself (hard sharing + trainStep + the
 * per-variable Adam), on each backend available here, measured side by side in one
 * process with the backends alternated round by round:
 * - the MultiMNIST LeNet (two heads, batch 256), equal weighting;
 * - an MLP 64→256→256 with three heads of 3 classes (batch 256), equal weighting;
 *
 * Usage: node --import tsx bench/training.ts [--rounds N] [--seconds S]
 * Prints steps/s per model and backend, and each backend's ratio to the first one.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { buildWorkload } from './workload.js';
import { equalWeighting } from '../src/weighting/equal.js';
import type { WeightingMethod } from '../src/weighting/method.js';
import { median } from './median.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' } } });
const rounds = Number(values.rounds ?? 3);
const secondsPerMeasure = Number(values.seconds ?? 3);

interface Workload {
  name: string;
  build(): { step: () => void; dispose: () => void };
}

function workload(name: string, ...args: Parameters<typeof buildWorkload> extends [string, ...infer Rest] ? Rest : never): Workload {
  return {
    name,
    build() {
      const w = buildWorkload(name, ...args);
      let step = 0;
      return {
        step: () => void w.step(equalWeighting as WeightingMethod<unknown, unknown>, {}, null, 'parameters', step++),
        dispose: () => w.dispose(),
      };
    },
  };
}

const workloads: Workload[] = [
  workload('LeNet, 2 tasks, batch 256', [28, 28, 1], [10, 10], { type: 'lenet' }, { hidden: [50], dropout: 0.5 }),
  workload('MLP 64→256→256, 3 tasks, batch 256', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, { hidden: [], dropout: 0 }),
];

interface Backend {
  name: string;
  activate(): Promise<boolean>;
}

const backends: Backend[] = [];
try {
  const native = await import('../src/backend/native.js');
  backends.push({
    name: 'native (cpu + OpenBLAS kernels)',
    async activate() {
      const r = await native.tryInstallNative();
      return r.ok;
    },
  });
  backends.push({
    name: 'wasm + tfjs-multitask fixes',
    async activate() {
      native.uninstallNative();
      const { selectBackend } = await import('../src/backend/selectBackend.js');
      await selectBackend('wasm', { log: () => {} });
      return true;
    },
  });
} catch (error) {
  console.error(`native path unavailable: ${(error as Error).message}`);
}

function measure(w: ReturnType<Workload['build']>): number {
  for (let i = 0; i < 2; i++) w.step(); // warm-up
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < secondsPerMeasure * 1000) {
    w.step();
    steps++;
  }
  return steps / ((performance.now() - start) / 1000);
}

const results = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const b of backends) {
    if (!(await b.activate())) continue;
    for (const wl of workloads) {
      const w = wl.build();
      const sps = measure(w);
      w.dispose();
      const key = `${wl.name}|${b.name}`;
      results.set(key, [...(results.get(key) ?? []), sps]);
    }
  }
}

console.log(`\ntraining steps/s (median of ${rounds} rounds of ${secondsPerMeasure} s, backends alternated; ratio to the first backend)\n`);
console.log('| workload | backend | steps/s | ratio |');
console.log('| --- | --- | --- | --- |');
for (const wl of workloads) {
  let first: number | undefined;
  for (const b of backends) {
    const xs = results.get(`${wl.name}|${b.name}`);
    if (!xs) continue;
    const m = median(xs);
    first ??= m;
    console.log(`| ${wl.name} | ${b.name} | ${m.toFixed(2)} | ${(m / first).toFixed(2)}× |`);
  }
}
console.log(`\ntfjs ${tf.version.tfjs}, ${(await import('node:os')).cpus().length} CPUs`);
