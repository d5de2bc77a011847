/**
 * `npm run bench`: every benchmark of the project, one after another, each measuring
 * its configurations side by side in one run and reporting ratios (the machines are
 * shared and noisy, so only ratios within one run are meaningful).
 *
 * 1. bench/training.ts: steps/s of the library's own training step (hard sharing,
 *    trainStep, per-variable Adam) for the MultiMNIST LeNet and an MLP, per backend;
 * 2. bench/native/compare.ts (when present): the native CPU path against PyTorch
 *    (MTL_BENCH_PYTHON: a Python with torch), then bench/native/kernelCounts.ts (`counts`:
 *    engine calls per training step) and bench/native/gemmShapes.ts (`gemm`: the own GEMM
 *    per instruction set against OpenBLAS);
 * 3. bench/kernels.ts: the wasm kernel fixes against stock wasm and cpu;
 * 4. bench/methods.ts (when present): each balancing method's step time against equal weighting;
 * 5. bench/sweep.ts: a grid of small trials with the local pool, --jobs N against --jobs 1;
 * 6. bench/grouping.ts: the task-grouping selections (exact over 8 tasks, TAG and HOA over 30).
 *
 * Pass names to run a subset: `npm run bench -- training methods`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites: Record<string, string> = {
  training: join(here, 'training.ts'),
  native: join(here, 'native', 'compare.ts'),
  counts: join(here, 'native', 'kernelCounts.ts'),
  gemm: join(here, 'native', 'gemmShapes.ts'),
  kernels: join(here, 'kernels.ts'),
  methods: join(here, 'methods.ts'),
  sweep: join(here, 'sweep.ts'),
  grouping: join(here, 'grouping.ts'),
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
let failed = 0;
for (const [name, file] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!existsSync(file)) {
    console.log(`\n## ${name}: not present, skipped`);
    continue;
  }
  console.log(`\n## ${name} (${file.slice(here.length + 1)})\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
