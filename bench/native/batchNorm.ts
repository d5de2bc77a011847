/**
 * Training-step time (ms/step) on the native path with and without its batch-norm
 * kernel and its gradients for FusedBatchNorm and Mean, side by side in one process:
 * the same model cycles through the configurations round by round.
 *
 *   tfjs     the kernels named in `--kernels` on tfjs's own cpu code, tfjs's gradients
 *   kernel   the native kernels, tfjs's gradients
 *   native   the native path as installed: native kernels and its gradients
 *
 * Models: the resnet encoder with hard sharing, and MTAN on the LeNet encoder (two
 * 10-class heads, 28×28×1 inputs, equal weighting, Adam).
 *
 *   node --import tsx bench/native/batchNorm.ts [--model resnet,mtan] [--batch N] [--rounds R] [--steps K]
 *     [--kernels FusedBatchNorm] [--configs tfjs,kernel,native]
 *
 * Prints each configuration's median and min ms/step per model, in wall-clock time and
 * in CPU time of this process (all its threads), and how much less than the first
 * configuration listed each takes. Other processes on the machine move these numbers:
 * compare the columns of one run.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';

import { mtan } from '../../src/architectures/mtan.js';
import { originalCpuKernel, originalGradient, tryInstallNative } from '../../src/backend/native.js';
import { NATIVE_GRADIENTS } from '../../src/backend/native/gradients/index.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { buildWorkload, type Workload } from '../workload.js';
import { median } from '../median.js';

const CONFIGS = ['tfjs', 'kernel', 'native'] as const;
type Config = (typeof CONFIGS)[number];

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet,mtan' },
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '3' },
    kernels: { type: 'string', default: 'FusedBatchNorm' },
    configs: { type: 'string', default: CONFIGS.join(',') },
  },
});
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const list = (s: string) => s.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
const kernelNames = list(values.kernels!);
const configs = list(values.configs!).map((name) => {
  if (!(CONFIGS as readonly string[]).includes(name)) {
    throw new Error(`bench/native/batchNorm: --configs must list ${CONFIGS.join(', ')}, found "${name}"`);
  }
  return name as Config;
});

const native = await tryInstallNative();
if (!native.ok) throw new Error(`bench/native/batchNorm: the native path is needed: ${native.reason}`);

const nativeKernels = new Map(kernelNames.map((name) => [name, tf.getKernel(name, 'cpu')!]));
const gradientNames = NATIVE_GRADIENTS.map((g) => g.kernelName).filter((name) => tf.getGradient(name) !== originalGradient(name));
const nativeGradients = new Map(gradientNames.map((name) => [name, tf.getGradient(name)]));

/** Registers the kernels and gradients of one configuration. */
function use(config: Config): void {
  for (const name of kernelNames) {
    const kernel = config === 'tfjs' ? originalCpuKernel(name) : nativeKernels.get(name);
    if (!kernel) throw new Error(`bench/native/batchNorm: no cpu kernel ${name}`);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(kernel);
  }
  for (const name of gradientNames) {
    tf.registerGradient(config === 'native' ? nativeGradients.get(name)! : originalGradient(name)!);
  }
}

const builders: Record<string, () => Workload> = {
  resnet: () => buildWorkload(`resnet encoder, hard sharing, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'resnet' },
    { hidden: [], dropout: 0 }, undefined, batch),
  mtan: () => buildWorkload(`MTAN, LeNet encoder, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'lenet' },
    { hidden: [50], dropout: 0.5 }, mtan, batch),
};

console.log(`tfjs = ${kernelNames.join(', ')} on tfjs's cpu code, tfjs's gradients; kernel = native kernels, tfjs's gradients; ` +
  `native = native kernels and gradients (${gradientNames.join(', ')})`);
for (const name of list(values.model!)) {
  const build = builders[name];
  if (!build) throw new Error(`bench/native/batchNorm: --model must list resnet and/or mtan, found "${name}"`);
  const w = build();
  let step = 0;
  const run = () => w.step(equalWeighting as WeightingMethod<unknown, unknown>, {}, null, 'parameters', step++);
  const times = new Map(configs.map((c) => [c, [] as number[]]));
  const cpuTimes = new Map(configs.map((c) => [c, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    for (const config of configs) {
      use(config);
      run();  // warm-up after the switch
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        run();
        times.get(config)!.push(performance.now() - start);
        const used = process.cpuUsage(cpu);
        cpuTimes.get(config)!.push((used.user + used.system) / 1000);
      }
    }
  }
  use('native');
  w.dispose();
  const show = (t: Map<Config, number[]>) => configs.map((config, i) => {
    const xs = t.get(config)!;
    const less = i === 0 ? '' : `, ${((1 - median(xs) / median(t.get(configs[0]!)!)) * 100).toFixed(0)}% less`;
    return `${config} ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}${less})`;
  }).join('; ');
  console.log(`${w.name}\n  wall: ${show(times)}\n  cpu:  ${show(cpuTimes)}`);
}
