import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MtlError } from '../../src/errors.js';
import { validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment, type RunOptions } from '../../src/experiment/runExperiment.js';
import type { AdaShareSearchProgress } from '../../src/training/adashareTraining.js';

function config(options: Record<string, unknown> = {}): ExperimentConfig {
  return validateExperiment({
    name: 'adashare-resume',
    seed: 3,
    data: { source: 'csv', path: 'examples/data/patients.csv', features: ['age', 'bmi', 'glucose', 'smoker'], standardize: true, testFraction: 0.25 },
    tasks: [
      { name: 'readmitted', kind: 'binary', columns: ['readmitted'] },
      { name: 'stay', kind: 'regression', columns: ['length_of_stay'] },
    ],
    model: {
      architecture: 'adashare',
      encoder: { type: 'mlp', hidden: [8, 8] },
      // 1 warm-up epoch + 2 × (weights, policy): 5 search passes; re-trained from scratch (the default).
      options: { warmupEpochs: 1, searchEpochs: 2, curriculumSpeed: 1, sparsityWeight: 0.002, ...options },
    },
    training: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.01 } },
  });
}

class Crash extends Error {}

const run = (runDir: string, extra: Partial<RunOptions> & { resume?: boolean } = {}, c = config()) =>
  runExperiment(c, { runDir, progress: false, log: () => {}, ...extra });

const crashAt = (passes: number) => (p: AdaShareSearchProgress) => {
  if (p.passesDone === passes) throw new Crash(`killed after ${passes} search passes`);
};

function assertSameResult(dir: string, reference: string): void {
  for (const f of ['policy.json', 'model/weights.bin', 'search-checkpoint/state.json', 'search-checkpoint/tensors.bin', 'checkpoint/optimizer.bin']) {
    assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(reference, f))), `${f} identical`);
  }
  const summary = (d: string) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')).multiTask;
  assert.deepEqual(summary(dir).evaluation, summary(reference).evaluation);
  assert.equal(summary(dir).steps, summary(reference).steps);
}

test('mtl train --resume of an AdaShare run continues its policy search, or skips a finished one, exactly', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-adashare-run-'));
  try {
    const straightDir = join(root, 'straight');
    await run(straightDir);
    assert.ok(existsSync(join(straightDir, 'search-checkpoint', 'state.json')));

    // Killed in the middle of the search (after the warm-up and the first weight phase).
    const midDir = join(root, 'mid');
    await assert.rejects(run(midDir, { onSearchCheckpoint: crashAt(2) }), Crash);
    assert.equal(existsSync(join(midDir, 'policy.json')), false);
    // Starting it again without --resume is refused and keeps the search checkpoint.
    await assert.rejects(run(midDir), (e: unknown) => e instanceof MtlError && e.code === 'run.exists');
    assert.equal(JSON.parse(readFileSync(join(midDir, 'search-checkpoint', 'state.json'), 'utf8')).passesDone, 2);
    const lines: string[] = [];
    await run(midDir, { resume: true, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /resumed the search from .*: 2 of 5 passes done/.test(l)), lines.join('\n'));
    assertSameResult(midDir, straightDir);

    // Killed after the search, during the first re-training epoch: policy.json exists, the re-training has no checkpoint.
    const afterDir = join(root, 'after');
    await assert.rejects(
      run(afterDir, {
        log: (l) => {
          if (l.startsWith('epoch 1/2')) throw new Crash('killed in re-training');
        },
      }),
      Crash,
    );
    assert.ok(existsSync(join(afterDir, 'policy.json')));
    assert.equal(existsSync(join(afterDir, 'checkpoint', 'state.json')), false);
    const after: string[] = [];
    await run(afterDir, { resume: true, log: (l) => after.push(l) });
    assert.ok(after.some((l) => /the search in .* is complete \(5 passes\)/.test(l)), after.join('\n'));
    assert.equal(after.filter((l) => /^adashare (warmup|weights|policy) /.test(l)).length, 0, 'no search pass repeated');
    assertSameResult(afterDir, straightDir);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an AdaShare search checkpoint is not resumed with other AdaShare settings', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-adashare-run-'));
  try {
    const dir = join(root, 'run');
    await assert.rejects(run(dir, { onSearchCheckpoint: crashAt(1) }), Crash);
    const state = readFileSync(join(dir, 'search-checkpoint', 'state.json'));
    // config.json edited along with the experiment, so only the checkpoint can tell.
    for (const [options, path] of [
      [{ sparsityWeight: 0.01 }, 'model.options.sparsityWeight'],
      [{ temperatureDecay: 0.9 }, 'model.options.temperatureDecay'],
    ] as const) {
      const changed = config(options);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(changed, null, 2) + '\n');
      await assert.rejects(run(dir, { resume: true }, changed), (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.mismatch' && e.path === path);
    }
    assert.ok(readFileSync(join(dir, 'search-checkpoint', 'state.json')).equals(state), 'the checkpoint is unchanged');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
