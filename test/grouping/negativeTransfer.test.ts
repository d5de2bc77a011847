import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { analyseTransfer, fewestCompatibleGroups, formatTransferReport } from '../../src/grouping/negativeTransfer.js';

/** A run folder as mtl train --baselines leaves it, with the given test accuracies and diagnostics cosines. */
function fakeRun(dir: string, tasks: string[], multiTask: number[], singleTask: number[], cosines: Record<string, number[]> = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'fake', tasks: tasks.map((name) => ({ name, kind: 'binary' })) }));
  const evaluation = (values: number[]) => Object.fromEntries(tasks.map((t, i) => [t, { loss: 1, metrics: { accuracy: values[i] }, examples: 100 }]));
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({
      name: 'fake',
      multiTask: { evaluation: evaluation(multiTask), epochs: 1, steps: 1, seconds: 1, parameters: 1 },
      singleTask: Object.fromEntries(tasks.map((t, i) => [t, { evaluation: evaluation(singleTask)[t], epochs: 1, seconds: 1, parameters: 1 }])),
    }),
  );
  const steps = Object.values(cosines)[0]?.length ?? 0;
  const lines = [JSON.stringify({ type: 'epoch', epoch: 0 })];
  for (let s = 0; s < steps; s++) {
    lines.push(JSON.stringify({ type: 'diagnostics', step: s, epoch: 0, cosines: Object.fromEntries(Object.entries(cosines).map(([k, v]) => [k, v[s]])) }));
  }
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
}

test('worse than alone beyond the seed spread: three seeds, a real deficit against noise', () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-transfer-'));
  try {
    // Task a: MTL 0.80, 0.81, 0.79 vs alone 0.90, 0.91, 0.89 (deficit 0.10, SE = √(1e-4/3 + 1e-4/3) ≈ 0.0082): worse.
    // Task b: MTL 0.85, 0.90, 0.80 vs alone 0.86, 0.91, 0.84 (deficit 0.02, SE ≈ 0.032): within noise.
    // Task c: better in the multi-task model.
    const seeds = [
      [[0.8, 0.85, 0.95], [0.9, 0.86, 0.9]],
      [[0.81, 0.9, 0.96], [0.91, 0.91, 0.9]],
      [[0.79, 0.8, 0.94], [0.89, 0.84, 0.9]],
    ];
    const dirs = seeds.map(([m, s], k) => {
      const dir = join(root, `seed${k}`);
      fakeRun(dir, ['a', 'b', 'c'], m!, s!);
      return dir;
    });
    const report = analyseTransfer(dirs);
    const a = report.comparisons.find((c) => c.task === 'a')!;
    assert.ok(Math.abs(a.deficit - 0.1) < 1e-9);
    assert.ok(Math.abs(a.standardError - Math.sqrt(1e-4 / 3 + 1e-4 / 3)) < 1e-9);
    assert.equal(a.worse, true);
    assert.equal(report.comparisons.find((c) => c.task === 'b')!.worse, false);
    assert.equal(report.comparisons.find((c) => c.task === 'c')!.worse, false);
    assert.deepEqual(report.findings.map((f) => `${f.kind} ${f.tasks}`), ['worse-than-alone a']);
    assert.deepEqual(report.suggestion, { groups: [['b', 'c'], ['a']], basis: 'the tasks worse than alone trained alone' });
    assert.match(formatTransferReport(report), /a: accuracy 0\.8000 multi-task, 0\.9000 alone .* ← worse/);
    // One seed: any deficit is reported, and the report says the spread is unknown.
    const single = analyseTransfer(dirs[0]!);
    assert.deepEqual(single.findings.map((f) => f.tasks[0]), ['a', 'b']);
    assert.ok(single.notes.some((n) => /one seed/.test(n)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('persistent gradient conflict from metrics.jsonl diagnostics, and the suggestion that keeps conflicting pairs apart', () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-transfer-'));
  try {
    const tasks = ['a', 'b', 'c', 'd'];
    // a~b conflict all along; c~d conflict only early (recovers): not persistent; a~c mostly positive.
    const cosines = {
      'a~b': [-0.3, -0.2, -0.4, -0.1, -0.2, -0.3],
      'a~c': [0.1, 0.2, -0.1, 0.3, 0.2, 0.1],
      'a~d': [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
      'b~c': [0.2, 0.1, 0.1, 0.2, 0.1, 0.1],
      'b~d': [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
      'c~d': [-0.5, -0.4, -0.3, -0.2, 0.2, 0.3],
    };
    fakeRun(join(root, 'run'), tasks, [0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9], cosines);
    const report = analyseTransfer(join(root, 'run'));
    const conflicts = report.findings.filter((f) => f.kind === 'gradient-conflict');
    assert.deepEqual(conflicts.map((f) => f.tasks.join('~')), ['a~b']);
    assert.ok(Math.abs((conflicts[0]!.evidence.meanCosine as number) - -0.25) < 1e-12);
    assert.equal(conflicts[0]!.evidence.negativeShare, 1);
    // Two groups, a and b apart.
    const groups = report.suggestion!.groups.map((g) => g.join('')).sort();
    assert.equal(groups.length, 2);
    assert.ok(!groups.some((g) => g.includes('a') && g.includes('b')));
    assert.ok(report.notes.some((n) => /affinity/.test(n)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fewest compatible groups: a clique cover of the compatible pairs, ties broken by affinity', () => {
  const tasks = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'];
  const cluster = (i: number) => (i < 3 ? 0 : 1);
  const clash = (i: number, j: number) => cluster(i) !== cluster(j);
  assert.deepEqual(fewestCompatibleGroups(tasks, clash, () => 0).map((g) => g.join('+')).sort(), ['a1+a2+a3', 'b1+b2+b3']);
  // Nothing clashes: one group.
  assert.deepEqual(fewestCompatibleGroups(tasks, () => false, () => 0), [tasks]);
  // A triangle of clashes a–b, b–c, a–c among four tasks with d free: three groups, d with its strongest partner.
  const strength = (i: number, j: number) => ((i === 3 || j === 3) && (i === 1 || j === 1) ? 1 : 0);
  const clash3 = (i: number, j: number) => i < 3 && j < 3;
  assert.deepEqual(fewestCompatibleGroups(['a', 'b', 'c', 'd'], clash3, strength).map((g) => g.join('')).sort(), ['a', 'bd', 'c']);
  // Greedy beyond 12 tasks still separates the clashes.
  const many = Array.from({ length: 14 }, (_, i) => `t${i}`);
  const groups = fewestCompatibleGroups(many, (i, j) => i % 2 !== j % 2, () => 0);
  assert.equal(groups.length, 2);
});

test('bad input: no run, runs of different tasks', () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-transfer-'));
  try {
    assert.throws(() => analyseTransfer(join(root, 'missing')), (e: unknown) => e instanceof MtlError && e.code === 'transfer.no_run');
    assert.throws(() => analyseTransfer([]), (e: unknown) => e instanceof MtlError && e.code === 'transfer.no_run');
    fakeRun(join(root, 'x'), ['a', 'b'], [1, 1], [1, 1]);
    fakeRun(join(root, 'y'), ['a', 'c'], [1, 1], [1, 1]);
    assert.throws(() => analyseTransfer([join(root, 'x'), join(root, 'y')]), (e: unknown) => e instanceof MtlError && e.code === 'transfer.mismatch');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
