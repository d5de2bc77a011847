import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { readExperiment, validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import type { Evaluation } from '../../src/evaluation/evaluate.js';
import { candidateExperiment, halfSizeEncoder } from '../../src/grouping/candidateExperiment.js';
import { sequentialTrials, trialState, type CandidateOutcome, type TrainCandidates } from '../../src/grouping/candidateTrials.js';
import { formatGrouping } from '../../src/grouping/formatGrouping.js';
import { analyseTransfer } from '../../src/grouping/negativeTransfer.js';
import { readGroupingResults, runGrouping } from '../../src/grouping/runGrouping.js';
import { readAffinity } from '../../src/grouping/runAffinity.js';

const quiet = { log: () => {}, progress: false };
const ids = (r: { selection: { networks: { id: string }[] } }) => r.selection.networks.map((n) => n.id).sort();

/** The planted benchmark at its small size: clusters {a1, a2} and {b1, b2}. */
function planted(extra: Partial<ExperimentConfig> = {}): ExperimentConfig {
  const base = readExperiment('examples/planted-clusters.yaml');
  return validateExperiment({
    ...base,
    data: { ...base.data, clusters: [2, 2] },
    tasks: ['a1', 'a2', 'b1', 'b2'].map((name) => ({ name, kind: 'regression' })),
    ...extra,
  });
}

test('candidate experiments: the task subset, the half-size encoder, equal weighting alone, a validation split, no grouping section', () => {
  const config = validateExperiment({ ...planted(), weighting: { method: 'pcgrad' }, data: { source: 'synthetic-clusters', clusters: [2, 2] } });
  const pair = candidateExperiment(config, { id: 'a1+b2', tasks: ['a1', 'b2'], size: 'full', cost: 1 }, 7);
  assert.deepEqual(pair.tasks.map((t) => t.name), ['a1', 'b2']);
  assert.equal(pair.training.epochs, 7);
  assert.equal(pair.weighting.method, 'pcgrad');
  assert.equal(pair.data.validationFraction, 0.2);
  assert.equal(pair.grouping, undefined);
  assert.equal(pair.baselines, false);
  const half = candidateExperiment(config, { id: 'a2@half', tasks: ['a2'], size: 'half', cost: 0.5 });
  assert.equal(half.weighting.method, 'equal');
  assert.deepEqual(halfSizeEncoder({ type: 'mlp', hidden: [64, 10, 1] }), { type: 'mlp', hidden: [45, 7, 1] });
  assert.deepEqual(halfSizeEncoder({ type: 'resnet', width: 16 }), { type: 'resnet', width: 11 });
  assert.ok(Math.abs((halfSizeEncoder({ type: 'lenet' }) as { widthScale: number }).widthScale - Math.SQRT1_2) < 1e-12);
  assert.throws(() => candidateExperiment(config, { id: 'x', tasks: ['x'], size: 'full', cost: 1 }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.unknown_task');
});

/**
 * A trial runner that trains nothing: each candidate's validation and test losses come from
 * a table (the seam the trials pool and queue plug into).
 */
function tableRunner(losses: Record<string, Record<string, number>>, calls: string[][]): TrainCandidates {
  return async (trials, context) => {
    calls.push(trials.map((t) => t.folder));
    return trials.map((trial): CandidateOutcome => {
      const evaluation: Evaluation = Object.fromEntries(
        trial.candidate.tasks.map((t) => [t, { loss: losses[trial.candidate.id]![t]!, metrics: { mse: losses[trial.candidate.id]![t]! }, examples: 10 }]),
      );
      return { id: trial.candidate.id, runDir: join(context.groupDir, 'candidates', trial.folder), validationByEpoch: [evaluation], validation: evaluation, test: evaluation, seconds: 1, reused: false };
    });
  };
}

test('runGrouping with another trial runner: exact picks from its table, HOA needs only singles and pairs, the chosen networks are trained after the search', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-group-'));
  try {
    const config = validateExperiment({ ...planted(), grouping: { halfCost: false } });
    // Singles at 1; a1 and a2 help each other, b1 and b2 too; any mixed network hurts.
    const losses: Record<string, Record<string, number>> = {};
    const tasks = ['a1', 'a2', 'b1', 'b2'];
    for (let mask = 1; mask < 16; mask++) {
      const members = tasks.filter((_, i) => mask & (1 << i));
      const mixed = members.some((t) => t[0] === 'a') && members.some((t) => t[0] === 'b');
      losses[members.join('+')] = Object.fromEntries(members.map((t) => [t, members.length === 1 ? 1 : mixed ? 1.3 : 0.8]));
    }
    const calls: string[][] = [];
    const exact = await runGrouping(config, { method: 'exact', budget: 2, groupDir: dir, train: tableRunner(losses, calls), ...quiet });
    assert.deepEqual(ids(exact), ['a1+a2', 'b1+b2']);
    assert.equal(calls[0]!.length, 15);
    assert.equal(exact.search.trials, 15);
    assert.equal(exact.chosen.trials, 0);
    assert.deepEqual(exact.tasks.a1, { network: 'a1+a2', predicted: 0.8, validation: { loss: 0.8, metric: 'mse', value: 0.8 }, test: { loss: 0.8, metric: 'mse', value: 0.8 } });
    calls.length = 0;
    const hoa = await runGrouping(config, { method: 'hoa', budget: 2, groupDir: dir, train: tableRunner(losses, calls), ...quiet });
    assert.deepEqual(calls[0]!.sort(), ['a1', 'a1+a2', 'a1+b1', 'a1+b2', 'a2', 'a2+b1', 'a2+b2', 'b1', 'b1+b2', 'b2']);
    assert.deepEqual(ids(hoa), ['a1+a2', 'b1+b2']);
    // At budget 1, HOA predicts the four-task network from the pairs and has it trained afterwards.
    calls.length = 0;
    const one = await runGrouping(config, { method: 'hoa', budget: 1, groupDir: dir, train: tableRunner(losses, calls), ...quiet });
    assert.deepEqual(ids(one), ['a1+a2+b1+b2']);
    // Predicted loss of a1 in all four: mean of a1's pair losses 0.8, 1.3, 1.3.
    assert.ok(Math.abs(one.tasks.a1!.predicted! - (0.8 + 1.3 + 1.3) / 3) < 1e-12);
    assert.deepEqual(calls[1], ['a1+a2+b1+b2']);
    assert.equal(one.chosen.trials, 1);
    const saved = readGroupingResults(dir);
    assert.deepEqual(Object.keys(saved).sort(), ['exact@2', 'hoa@1', 'hoa@2']);
    assert.match(formatGrouping(exact), /networks: a1\+a2, b1\+b2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input fails before anything is trained: no budget, a budget below the cheapest cover, an unknown method, one task', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-group-'));
  const calls: string[][] = [];
  const train = tableRunner({}, calls);
  try {
    const noBudget = validateExperiment({ ...planted(), grouping: undefined });
    await assert.rejects(runGrouping(noBudget, { groupDir: join(dir, 'g'), train, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.no_budget');
    await assert.rejects(runGrouping(noBudget, { budget: 0.5, groupDir: join(dir, 'g'), train, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.budget_too_small');
    const noHalves = validateExperiment({ ...planted(), grouping: { halfCost: false, maxGroupSize: 2 } });
    await assert.rejects(runGrouping(noHalves, { budget: 1.5, groupDir: join(dir, 'g'), train, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.budget_too_small' && /2/.test(e.expected));
    await assert.rejects(runGrouping(planted(), { method: 'best' as 'exact', budget: 2, groupDir: join(dir, 'g'), train, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_method');
    const one = validateExperiment({ ...planted(), tasks: [{ name: 'a1', kind: 'regression' }] });
    await assert.rejects(runGrouping(one, { budget: 2, groupDir: join(dir, 'g'), train, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_few_tasks');
    assert.equal(calls.length, 0);
    assert.equal(existsSync(join(dir, 'g', 'candidates')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the planted benchmark (4 tasks): exact, ESA, HOA and TAG choose {a1, a2} and {b1, b2} at budget 2; TAG trains one network where exact trains 19', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-planted-'));
  try {
    const config = planted();
    const exact = await runGrouping(config, { method: 'exact', budget: 2, groupDir: dir, ...quiet });
    assert.deepEqual(ids(exact), ['a1+a2', 'b1+b2']);
    assert.equal(exact.search.trials, 19);
    assert.equal(exact.selection.optimal, true);
    // Sharing within a cluster beats training alone (normalised validation loss below 1).
    for (const t of ['a1', 'a2', 'b1', 'b2']) assert.ok(exact.tasks[t]!.predicted! < 1, `${t}: ${exact.tasks[t]!.predicted}`);
    const esa = await runGrouping(config, { method: 'esa', budget: 2, groupDir: dir, ...quiet });
    assert.deepEqual(ids(esa), ['a1+a2', 'b1+b2']);
    const hoa = await runGrouping(config, { method: 'hoa', budget: 2, groupDir: dir, ...quiet });
    assert.deepEqual(ids(hoa), ['a1+a2', 'b1+b2']);
    const tag = await runGrouping(config, { method: 'tag', budget: 2, groupDir: dir, ...quiet });
    assert.deepEqual(ids(tag), ['a1+a2', 'b1+b2']);
    assert.equal(tag.search.trials, 1);
    assert.ok(exact.search.trials >= 5 * (tag.search.trials + tag.chosen.trials), 'TAG trains the affinity run and the chosen networks; exact every candidate');
    // The affinity matrix shows the clusters: positive within on average, negative across, and
    // every pair within a cluster above every pair across.
    const affinity = readAffinity(join(dir, 'affinity'));
    const z = (a: string, b: string) => affinity.affinity[affinity.tasks.indexOf(a)]![affinity.tasks.indexOf(b)]!;
    const within = [['a1', 'a2'], ['a2', 'a1'], ['b1', 'b2'], ['b2', 'b1']].map(([a, b]) => z(a!, b!));
    const across = ['a1', 'a2'].flatMap((a) => ['b1', 'b2'].flatMap((b) => [z(a, b), z(b, a)]));
    assert.ok(within.reduce((s, v) => s + v, 0) > 0, `within: ${within}`);
    for (const v of across) assert.ok(v < 0, `across: ${across}`);
    assert.ok(Math.min(...within) > Math.max(...across), `within ${within} above across ${across}`);
    // Sharing across hurts: the random baseline (here a mixed split) is worse on test than the clusters.
    const random = await runGrouping(config, { method: 'random', budget: 2, groupDir: dir, ...quiet });
    const testLoss = (r: typeof exact) => Object.values(r.tasks).reduce((s, t) => s + t.test!.loss, 0);
    if (ids(random).join() !== ids(exact).join()) assert.ok(testLoss(random) > testLoss(exact));
    // The grouping folder's transfer analysis suggests the planted clusters.
    const transfer = analyseTransfer(dir);
    assert.deepEqual(transfer.suggestion?.groups.map((g) => g.join('+')).sort(), ['a1+a2', 'b1+b2']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a search killed mid-way resumes: finished candidates are read, not retrained, and the started one continues from its checkpoint', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-killed-'));
  try {
    const config = validateExperiment({ ...planted(), training: { ...planted().training, epochs: 12 }, grouping: { halfCost: false, maxGroupSize: 2 } });
    const configPath = join(dir, 'experiment.json');
    writeFileSync(configPath, JSON.stringify(config));
    // .mts: an ES module outside the package (top-level await).
    const script = join(dir, 'search.mts');
    writeFileSync(
      script,
      `import { readExperiment } from '${process.cwd()}/src/experiment/config.ts';\n` +
        `import { runGrouping } from '${process.cwd()}/src/grouping/runGrouping.ts';\n` +
        `await runGrouping(readExperiment(${JSON.stringify(configPath)}), { method: 'exact', budget: 2, groupDir: ${JSON.stringify(join(dir, 'group'))}, log: () => {}, progress: false });\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/setup.ts', script], { stdio: 'ignore' });
    const candidates = join(dir, 'group', 'candidates');
    // Kill it once two candidates are finished and a third has a checkpoint.
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        const finished = ['a1', 'a2'].every((c) => existsSync(join(candidates, c, 'summary.json')));
        if (finished && existsSync(join(candidates, 'b1', 'checkpoint'))) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(poll);
        reject(new Error('the search finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const before = Object.fromEntries(['a1', 'a2'].map((c) => [c, statSync(join(candidates, c, 'summary.json')).mtimeMs]));
    const lines: string[] = [];
    const resumed = await runGrouping(config, { method: 'exact', budget: 2, groupDir: join(dir, 'group'), log: (l) => lines.push(l), progress: false });
    assert.deepEqual(ids(resumed), ['a1+a2', 'b1+b2']);
    for (const c of ['a1', 'a2']) assert.equal(statSync(join(candidates, c, 'summary.json')).mtimeMs, before[c], `${c} not retrained`);
    assert.ok(lines.some((l) => /b1 \(resumed\)/.test(l)) || existsSync(join(candidates, 'b1', 'summary.json')), lines.join('\n'));
    assert.ok(!lines.some((l) => /: a1$|: a2$/.test(l)), 'the finished candidates are not trained again');
    assert.ok(resumed.search.reused >= 2);
    // A changed experiment does not touch the folder's runs.
    const changed = validateExperiment({ ...config, seed: 5 });
    assert.throws(() => trialState(join(candidates, 'a1'), candidateExperiment(changed, { id: 'a1', tasks: ['a1'], size: 'full', cost: 1 })), (e: unknown) => e instanceof MtlError && e.code === 'grouping.candidate_mismatch');
    await assert.rejects(runGrouping(changed, { method: 'exact', budget: 2, groupDir: join(dir, 'group'), train: sequentialTrials, ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.candidate_mismatch');
    assert.equal(JSON.parse(readFileSync(join(candidates, 'a1', 'config.json'), 'utf8')).seed, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
