/**
 * Representation-mode training steps of Gramian methods on the methods bench's MLP
 * (64→256→256, 3 tasks, batch 256: G is 3×65,536) with the thin-product kernel on and
 * off, interleaved step block by step block in one process (the addon's setThinMatMul),
 * so machine load hits both alike. Prints the median ms/step of each and the saving.
 *
 *   node --import tsx bench/native/thinMatMulStep.ts [--methods pcgrad,cagrad,gradnorm,mgda,equal] [--rounds 15] [--steps 10]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';

import { tryInstallNative } from '../../src/backend/native.js';
import { loadAddon } from '../../src/backend/native/addon.js';
import type { GradientMode } from '../../src/weighting/method.js';
import { weightingMethods } from '../../src/weighting/registry.js';
import { buildWorkload } from '../workload.js';
import { median } from '../median.js';

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'equal,pcgrad,cagrad,gradnorm,mgda' },
    rounds: { type: 'string', default: '15' },
    steps: { type: 'string', default: '10' },
  },
});
const installed = await tryInstallNative();
const load = loadAddon();
if (!installed.ok || !load.ok) throw new Error(`thinMatMulStep bench: the native path is unavailable (${installed.reason})`);
await tf.setBackend('cpu');
const workload = buildWorkload('MLP 64→256→256, 3 tasks, batch 256', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, { hidden: [], dropout: 0 });
type AnyMethod = Parameters<typeof workload.step>[0];

for (const name of values.methods.split(',')) {
  const method = weightingMethods[name] as AnyMethod | undefined;
  if (!method) throw new Error(`thinMatMulStep bench: --methods has '${name}', not a registered method`);
  const mode: GradientMode = name === 'equal' ? 'parameters' : 'representation';
  const context = { taskNames: ['t0', 't1', 't2'], seed: 0 };
  const options = method.resolveOptions(undefined, context);
  let state = method.init(context, options);
  let step = 0;
  const times = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < 3; i++) state = workload.step(method, options, state, mode, step++);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const config of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      load.addon.setThinMatMul(config === 'on');
      const t0 = performance.now();
      for (let s = 0; s < Number(values.steps); s++) state = workload.step(method, options, state, mode, step++);
      times[config].push((performance.now() - t0) / Number(values.steps));
    }
  }
  load.addon.setThinMatMul(true);
  const [on, off] = [median(times.on), median(times.off)];
  console.log(`${name.padEnd(9)} ${mode.padEnd(14)} sgemm ${off.toFixed(2)} ms/step  thin ${on.toFixed(2)} ms/step  saving ${(off - on).toFixed(2)} ms`);
}
workload.dispose();
