/**
 * The addon's GEMMs side by side on the shapes the training steps run: the own kernels
 * at each instruction set the CPU has, and OpenBLAS where the addon was built with it;
 * alternating in one process (rounds of each in turn, the best kept), GFLOP/s and
 * ratios against OpenBLAS (or against the best own kernel in a build without it).
 * Single-threaded by default, as in a sweep's trials; `--threads N` for the pool.
 *
 *   node --import tsx bench/native/gemmShapes.ts [--threads 1] [--rounds 5] [--ms 150]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { loadAddon } from '../../src/backend/native/addon.js';
import { cpuDescription } from './machine.js';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '5' }, ms: { type: 'string', default: '150' } },
});
const load = loadAddon();
if (!load.ok) throw new Error(load.reason);
const addon = load.addon;
addon.setNumThreads(Number(values.threads));
const info = addon.info();
if (!info.isasUsable || !addon.setGemm) throw new Error('this addon predates the own GEMM (no isasUsable / setGemm): rebuild it with npm run build:native');
const setGemm = addon.setGemm.bind(addon);
const isasUsable = info.isasUsable;

// [label, m, n, k, transposeA, transposeB]
const SHAPES: Array<[string, number, number, number, boolean, boolean]> = [
  ['512³', 512, 512, 512, false, false],
  ['MLP fwd 256×256·256×256', 256, 256, 256, false, false],
  ['MLP fwd 256×64·64×256', 256, 256, 64, false, false],
  ['MLP dX 256×256·(256×256)ᵀ', 256, 256, 256, false, true],
  ['MLP dW (256×64)ᵀ·256×256', 64, 256, 256, true, false],
  ['MLP head 256×256·256×3', 256, 3, 256, false, false],
  ['MLP head dW (256×256)ᵀ·256×3', 256, 3, 256, true, false],
  ['LeNet conv1 block 1024×25·25×10', 1024, 10, 25, false, false],
  ['LeNet conv2 block 128×250·250×20', 128, 20, 250, false, false],
  ['LeNet conv2 dX 128×20·(250×20)ᵀ', 128, 250, 20, false, true],
  ['LeNet conv2 dW (128×250)ᵀ·128×20', 250, 20, 128, true, false],
  ['LeNet fc 256×320·320×50', 256, 50, 320, false, false],
  ['MMoE expert 1024×100·100×64', 1024, 64, 100, false, false],
];

const gemms: Array<{ name: string; isa: string | null; gemm: string }> = [];
for (const isa of isasUsable.split(',')) gemms.push({ name: `own ${isa}`, isa, gemm: 'own' });
if (info.blas) gemms.push({ name: 'OpenBLAS', isa: null, gemm: 'openblas' });
const reference = info.blas ? 'OpenBLAS' : gemms[0]!.name;

function gflops(m: number, n: number, k: number, ta: boolean, tb: boolean, a: Float32Array, b: Float32Array, c: Float32Array): number {
  const ms = Number(values.ms);
  for (let i = 0; i < 3; i++) addon.matMul(a, b, c, 1, 1, m, n, k, ta, tb, null, 0, 0, 0);
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    addon.matMul(a, b, c, 1, 1, m, n, k, ta, tb, null, 0, 0, 0);
    calls++;
  }
  return (2 * m * n * k * calls) / ((performance.now() - start) * 1e6);
}

addon.setThinMatMul(false);
console.log(`${cpuDescription()}; threads ${values.threads}; load average ${loadavg()[0]!.toFixed(2)} at start (${cpus().length} CPUs)`);
console.log(`| shape | ${gemms.map((g) => `${g.name} GFLOP/s`).join(' | ')} | ${gemms.filter((g) => g.name !== reference).map((g) => `${g.name} / ${reference}`).join(' | ')} |`);
console.log(`| --- | ${gemms.map(() => '---').join(' | ')} | ${gemms.filter((g) => g.name !== reference).map(() => '---').join(' | ')} |`);
for (const [label, m, n, k, ta, tb] of SHAPES) {
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(m * n);
  const best = gemms.map(() => 0);
  for (let round = 0; round < Number(values.rounds); round++) {
    gemms.forEach((g, i) => {
      if (!setGemm(g.isa, g.gemm)) throw new Error(`setGemm(${g.isa}, ${g.gemm}) refused`);
      best[i] = Math.max(best[i]!, gflops(m, n, k, ta, tb, a, b, c));
    });
  }
  const ref = best[gemms.findIndex((g) => g.name === reference)]!;
  const ratios = gemms.map((g, i) => (g.name === reference ? null : `${(best[i]! / ref).toFixed(2)}×`)).filter((r) => r !== null);
  console.log(`| ${label} | ${best.map((v) => v.toFixed(1)).join(' | ')} | ${ratios.join(' | ')} |`);
}
setGemm(info.isa ?? null, info.gemm ?? null);
console.log(`load average ${loadavg()[0]!.toFixed(2)} at the end`);
