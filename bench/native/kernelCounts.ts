/**
 * Kernel calls per training step on the native path: for each library workload
 * (bench/native/workloads.ts) the engine calls of one step after warm-up steps,
 * counted by bench/native/kernelCounter.ts: kernels (with the `Identity` copies the
 * engine makes of tensors saved for the backward pass), custom-gradient ops, and the
 * most frequent kernels. The count does not depend on the machine or its load.
 *
 *   node --import tsx bench/native/kernelCounts.ts [--workloads mlp,pcgrad,lenet,mmoe,ple,mtan] [--top 12] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { tryInstallNative } from '../../src/backend/native.js';
import { countKernels, type KernelCount } from './kernelCounter.js';
import { LIBRARY_WORKLOADS, stepper } from './workloads.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: Object.keys(LIBRARY_WORKLOADS).join(',') },
    top: { type: 'string', default: '12' },
    json: { type: 'string' },
  },
});

const native = await tryInstallNative();
if (!native.ok) throw new Error(`kernelCounts: the native path is needed: ${native.reason}`);

const results: Record<string, { kernels: number; tapeCopies: number; customOps: number; byKernel: Record<string, number> }> = {};
console.log('| workload | kernel calls per step | of which Identity (tape copies) | custom-gradient ops | most frequent kernels |');
console.log('| --- | --- | --- | --- | --- |');
for (const key of values.workloads!.split(',')) {
  const workload = LIBRARY_WORKLOADS[key];
  if (!workload) throw new Error(`kernelCounts: unknown workload "${key}"; known: ${Object.keys(LIBRARY_WORKLOADS).join(', ')}`);
  const s = stepper(workload);
  for (let i = 0; i < 3; i++) s.step();
  const count: KernelCount = countKernels(s.step);
  s.dispose();
  const frequent = [...count.byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  console.log(`| ${workload.label} | ${count.kernels} | ${count.tapeCopies} | ${count.customOps} | ${frequent.map(([k, n]) => `${k} ${n}`).join(', ')} |`);
  results[key] = { kernels: count.kernels, tapeCopies: count.tapeCopies, customOps: count.customOps, byKernel: Object.fromEntries(count.byKernel) };
}
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
