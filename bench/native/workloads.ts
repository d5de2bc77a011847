/**
 * The library training steps the native path is measured on (bench/native/steps.ts,
 * kernelCounts.ts), each built as users build it (an architecture from
 * src/architectures, `trainStep`, the library's Adam at lr 5e-4) on one fixed random
 * batch. bench/native/reference.py builds the same networks in PyTorch.
 *
 * - `mlp`: hard sharing, MLP encoder 64→256→256 (ReLU), three dense 256→3 heads
 *   (softmax cross-entropy), batch 256, equal weighting;
 * - `pcgrad`: the same model with PCGrad on per-task gradients of the shared
 *   parameters (gradient mode `parameters`);
 * - `lenet`: hard sharing, the MultiMNIST LeNet encoder (dropout off), two dense 50→10
 *   heads, batch 256;
 * - `mmoe`: MMoE on tabular data, 100 features, 8 experts of one dense 64-unit ReLU
 *   layer, a softmax gate per task, two binary tasks with towers dense 16 (ReLU) → 1,
 *   batch 1,024;
 * - `ple`: PLE with one CGC level on the same data: 4 shared experts and 2 per task,
 *   the same experts and towers, batch 1,024;
 * - `mtan`: MTAN on the LeNet encoder (dropout off), two dense 50→10 heads, batch 256.
 */
import { mmoe } from '../../src/architectures/mmoe.js';
import { mtan } from '../../src/architectures/mtan.js';
import { ple } from '../../src/architectures/ple.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { projectingConflictingGradients } from '../../src/weighting/pcgrad.js';
import { buildWorkload, type Workload } from '../workload.js';

type AnyMethod = WeightingMethod<unknown, unknown>;

/** A named library training step. */
export interface LibraryWorkload {
  /** Short key, e.g. `mlp`. */
  key: string;
  label: string;
  build(): Workload;
  method: AnyMethod;
}

const linearHeads = { hidden: [], dropout: 0 };
const towers = { hidden: [16], dropout: 0 };
const expert = { type: 'mlp' as const, hidden: [64] };

/** Every workload, by key. */
export const LIBRARY_WORKLOADS: Record<string, LibraryWorkload> = {
  mlp: {
    key: 'mlp',
    label: 'MLP 64→256→256, 3 heads, batch 256',
    build: () => buildWorkload('MLP', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, linearHeads),
    method: equalWeighting as AnyMethod,
  },
  pcgrad: {
    key: 'pcgrad',
    label: 'per-task gradients + PCGrad, same MLP',
    build: () => buildWorkload('MLP', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, linearHeads),
    method: projectingConflictingGradients as AnyMethod,
  },
  lenet: {
    key: 'lenet',
    label: 'MultiMNIST LeNet, 2 heads, batch 256',
    build: () => buildWorkload('LeNet', [28, 28, 1], [10, 10], { type: 'lenet', dropout: 0 }, linearHeads),
    method: equalWeighting as AnyMethod,
  },
  mmoe: {
    key: 'mmoe',
    label: 'MMoE, 8 experts, tabular 100 features, batch 1,024',
    build: () =>
      buildWorkload('MMoE', [100], [2, 2], expert, towers, (a) => mmoe({ ...a, experts: 8 }), 1024, 'binary'),
    method: equalWeighting as AnyMethod,
  },
  ple: {
    key: 'ple',
    label: 'PLE (CGC), 4 shared + 2×2 task experts, tabular, batch 1,024',
    build: () =>
      buildWorkload('PLE', [100], [2, 2], expert, towers, (a) => ple({ ...a, sharedExperts: 4, taskExperts: 2 }), 1024, 'binary'),
    method: equalWeighting as AnyMethod,
  },
  mtan: {
    key: 'mtan',
    label: 'MTAN on the LeNet, 2 heads, batch 256',
    build: () => buildWorkload('MTAN', [28, 28, 1], [10, 10], { type: 'lenet', dropout: 0 }, linearHeads, mtan),
    method: equalWeighting as AnyMethod,
  },
};

/** A step function for `workload` (gradient mode `parameters`) and its disposer. */
export function stepper(workload: LibraryWorkload): { step: () => void; dispose: () => void } {
  const w = workload.build();
  const method = workload.method;
  const context = { taskNames: Array.from({ length: w.tasks }, (_, t) => `t${t}`), seed: 0 };
  const options = method.resolveOptions(undefined, context);
  let state = method.init(context, options);
  let step = 0;
  return {
    step: () => {
      state = w.step(method, options, state, 'parameters', step++);
    },
    dispose: () => w.dispose(),
  };
}
