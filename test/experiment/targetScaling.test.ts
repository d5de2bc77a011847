import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { Random } from '../../src/random/random.js';

/**
 * A generated CSV with a 4-class task (which needs the shared layers: two XOR-like
 * bits of x1..x4) and a regression target in the thousands (spend ≈ 5000 ± 1500 from
 * x5..x8). Under equal weighting, without target standardisation the regression loss
 * (~10⁷) drives the shared layers and the classification task collapses; with it, the
 * classification task is as good as alone. The start-of-training warning fires only
 * in the first case.
 */

const tmp = mkdtempSync(join(tmpdir(), 'mtl-thousands-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function generate(path: string, n: number): void {
  const r = new Random(7);
  const lines = ['x1,x2,x3,x4,x5,x6,x7,x8,segment,spend'];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: 8 }, () => r.normal());
    const segment = (x[0]! * x[1]! > 0 ? 1 : 0) + (x[2]! + x[3]! > 0 ? 2 : 0);
    const spend = 5000 + 1500 * (x[4]! + 0.5 * x[5]! * x[6]! + 0.3 * x[7]!) + 200 * r.normal();
    lines.push([...x.map((v) => v.toFixed(3)), ['a', 'b', 'c', 'd'][segment], spend.toFixed(1)].join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

async function run(path: string, standardize: boolean) {
  const config = validateExperiment({
    name: `thousands-${standardize}`,
    seed: 0,
    data: { source: 'csv', path, standardize, testFraction: 0.25 },
    tasks: [
      { name: 'segment', kind: 'multiclass', classes: 4, columns: ['segment'] },
      { name: 'spend', kind: 'regression', columns: ['spend'] },
    ],
    model: { encoder: { type: 'mlp', hidden: [64, 64] } },
    training: { epochs: 30, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.003 } },
  });
  const lines: string[] = [];
  const summary = await runExperiment(config, { runDir: join(tmp, `run-${standardize}`), progress: false, baselines: true, log: (l) => lines.push(l) });
  const accuracy = (e: { metrics: Record<string, number> }) => e.metrics.accuracy!;
  return {
    summary,
    multiTask: accuracy(summary.multiTask!.evaluation.segment!),
    singleTask: accuracy(summary.singleTask!.segment!.evaluation),
    warnings: lines.filter((l) => l.startsWith('warning:')),
  };
}

test('a regression target in the thousands: the classification task collapses without target standardisation and matches its baseline with it; the warning fires only without', { timeout: 600_000 }, async () => {
  const path = join(tmp, 'thousands.csv');
  generate(path, 2000);
  const raw = await run(path, false);
  const scaled = await run(path, true);
  // Without: more than 10 points below the single-task model, and one warning naming both tasks.
  assert.ok(raw.singleTask - raw.multiTask > 0.1, `unscaled: multi-task ${raw.multiTask} vs single-task ${raw.singleTask}`);
  assert.equal(raw.warnings.length, 1, raw.warnings.join('\n'));
  assert.match(raw.warnings[0]!, /"spend" will dominate the shared layers and "segment" may learn little/);
  assert.match(raw.warnings[0]!, /data\.standardize: true/);
  // With: within 2 points, and no warning.
  assert.ok(scaled.singleTask - scaled.multiTask <= 0.02, `standardised: multi-task ${scaled.multiTask} vs single-task ${scaled.singleTask}`);
  assert.deepEqual(scaled.warnings, []);
  // The regression metrics are in the target's units (spend² for the MSE), not the standardised scale.
  const mse = scaled.summary.multiTask!.evaluation.spend!;
  assert.ok(mse.metrics.mse! > 1e4 && mse.metrics.mae! > 100, `mse ${mse.metrics.mse}, mae ${mse.metrics.mae}`);
  assert.ok(mse.loss < 1, `the loss is on the standardised scale: ${mse.loss}`);
});
