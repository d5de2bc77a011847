/**
 * The native matmul on thin shapes (an M×N output over a long K, e.g. the Gramian
 * G·Gᵀ of T per-task gradients), with the thin-product kernel and with plain sgemm,
 * side by side in one process (the addon's setThinMatMul toggle), at 1 and 2 threads.
 *
 *   node --import tsx bench/native/thinMatMul.ts [--shapes 3x65536x3t,...] [--rounds 7] [--ms 200]
 *
 * A shape is MxKxN; a trailing `t` means B is given transposed ([N,K]), and `g` means
 * the Gramian A·Aᵀ (B is A itself). Prints the median and min µs per product of each
 * configuration and the sgemm/thin ratio; other processes on the machine move these
 * numbers, compare the columns of one run.
 */
import { parseArgs } from 'node:util';

import { loadAddon } from '../../src/backend/native/addon.js';
import { randomValues } from '../../test/native/helpers.js';
import { median } from '../median.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: '3x65536x3g,8x65536x8g,3x65536x1,3x300001x3g,3x4096x3g,3x256x3g,1x65536x64,64x65536x1' },
    rounds: { type: 'string', default: '7' },
    ms: { type: 'string', default: '200' },
    threads: { type: 'string', default: '1,2' },
  },
});

const load = loadAddon();
if (!load.ok) throw new Error(`thinMatMul bench: ${load.reason}`);
const addon = load.addon;

function timeUs(fn: () => void, ms: number): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    if (elapsed >= ms / 4 || reps > 1e6) return (elapsed * 1000) / reps;
    reps *= 2;
  }
}

for (const threads of values.threads.split(',').map(Number)) {
  addon.setNumThreads(threads);
  console.log(`threads ${threads}`);
  for (const spec of values.shapes.split(',')) {
    const match = /^(\d+)x(\d+)x(\d+)([tg]?)$/.exec(spec);
    if (!match) throw new Error(`thinMatMul bench: --shapes entry '${spec}' is not MxKxN[t|g]`);
    const [m, k, n] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const gram = match[4] === 'g';
    const transposeB = gram || match[4] === 't';
    const a = randomValues(m * k, 1);
    const b = gram ? a : randomValues(k * n, 2);
    const out = new Float32Array(m * n);
    const run = (): void => addon.matMul(a, b, out, 1, 1, m, n, k, false, transposeB, null, 0, 0, 0);
    const times: Record<'sgemm' | 'thin', number[]> = { sgemm: [], thin: [] };
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const config of ['sgemm', 'thin'] as const) {
        addon.setThinMatMul(config === 'thin');
        times[config].push(timeUs(run, Number(values.ms)));
      }
    }
    addon.setThinMatMul(true);
    const [s, t] = [median(times.sgemm), median(times.thin)];
    console.log(
      `  ${spec.padEnd(14)} sgemm ${s.toFixed(1).padStart(8)} µs (min ${Math.min(...times.sgemm).toFixed(1)})` +
        `  thin ${t.toFixed(1).padStart(8)} µs (min ${Math.min(...times.thin).toFixed(1)})  sgemm/thin ${(s / t).toFixed(2)}×`,
    );
  }
}
