import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { analyseTransfer } from '../../src/grouping/negativeTransfer.js';
import { findTransfer, formatTransferSection, type TransferEvidence } from '../../src/grouping/transferFindings.js';
import { METRICS } from '../../src/tasks/metrics.js';

/** Three tabular tasks, a few epochs of PCGrad (a per-task-gradient method, so fit logs the gradient cosines every 2 steps). */
const experiment = (extra: Record<string, unknown> = {}) =>
  validateExperiment({
    name: 'transfer-summary',
    seed: 1,
    data: { source: 'csv', path: 'examples/data/patients.csv', features: ['age', 'bmi', 'glucose', 'smoker'], standardize: true, testFraction: 0.25 },
    tasks: [
      { name: 'readmitted', kind: 'binary', columns: ['readmitted'] },
      { name: 'risk', kind: 'multiclass', classes: ['low', 'medium', 'high'], columns: ['risk_level'] },
      { name: 'stay', kind: 'regression', columns: ['length_of_stay'] },
    ],
    model: { encoder: { type: 'mlp', hidden: [8] } },
    weighting: { method: 'pcgrad' },
    training: { epochs: 3, batchSize: 32, diagnosticsEvery: 2, optimizer: { type: 'adam', learningRate: 0.01 } },
    ...extra,
  });

test('a run with baselines lists its negative-transfer findings in summary.json, summary.md and the printed summary, as mtl transfer <run> does', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-transfer-summary-'));
  try {
    const runDir = join(root, 'run');
    const printed: string[] = [];
    const summary = await runExperiment(experiment({ baselines: true }), { runDir, progress: false, log: (l) => printed.push(l) });
    const transfer = summary.transfer!;
    assert.ok(transfer, 'summary.transfer');
    // Worse than alone (one seed: any deficit), checked against the summary's own figures.
    for (const [task, e] of Object.entries(summary.multiTask!.evaluation)) {
      const metric = Object.keys(e.metrics)[0]!;
      const higher = (METRICS[metric]?.direction ?? 'higher') === 'higher';
      const mtl = e.metrics[metric]!;
      const alone = summary.singleTask![task]!.evaluation.metrics[metric]!;
      const worse = higher ? mtl < alone : mtl > alone;
      const finding = transfer.findings.find((f) => f.kind === 'worse-than-alone' && f.tasks[0] === task);
      assert.equal(Boolean(finding), worse, `${task}: ${metric} ${mtl} multi-task, ${alone} alone`);
      if (finding) {
        assert.deepEqual(finding.evidence.multiTask, [mtl]);
        assert.deepEqual(finding.evidence.singleTask, [alone]);
        assert.equal(finding.evidence.standardError, 'unknown (one seed)');
      }
    }
    // The gradient cosines were logged, so a suggested grouping is given and the notes say only what is missing.
    assert.ok(transfer.suggestion, 'a suggested grouping');
    assert.deepEqual(transfer.suggestion!.groups.flat().sort(), ['readmitted', 'risk', 'stay']);
    assert.ok(transfer.notes.some((n) => /one seed/.test(n)));
    assert.ok(!transfer.notes.some((n) => /no gradient cosines/.test(n)));
    assert.ok(transfer.notes.some((n) => /no affinity recorded/.test(n)));
    // The same as `mtl transfer <run>` on the folder, and what summary.json holds.
    const fromFolder = analyseTransfer(runDir);
    const json = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { transfer: unknown };
    assert.deepEqual(json.transfer, JSON.parse(JSON.stringify({ findings: fromFolder.findings, suggestion: fromFolder.suggestion, notes: fromFolder.notes })));
    // summary.md and the printed summary carry the section, with every finding's message.
    const md = readFileSync(join(runDir, 'summary.md'), 'utf8');
    const log = printed.join('\n');
    for (const text of [md, log]) {
      assert.match(text, /## Negative transfer/);
      for (const f of transfer.findings) assert.ok(text.includes(f.message), f.message);
      assert.ok(text.includes(`Suggested grouping (${transfer.suggestion!.basis}): `));
    }
    assert.ok(md.indexOf('## Negative transfer') > md.indexOf('Δm'), 'after the Δm line');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without baselines the summary has no transfer findings (nothing to compare with)', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'mtl-transfer-summary-'));
  try {
    const runDir = join(root, 'run');
    const summary = await runExperiment(experiment({ training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 } } }), { runDir, progress: false, log: () => {} });
    assert.equal(summary.transfer, undefined);
    assert.doesNotMatch(readFileSync(join(runDir, 'summary.md'), 'utf8'), /Negative transfer/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the summary section: each finding with its numbers, the suggestion and the notes; "no finding" when sharing hurts no task', () => {
  // Two seeds of tasks a, b (accuracy): a 0.80/0.82 with sharing against 0.90/0.90 alone
  // (deficit 0.09, SE = √(0.0002/2 + 0) = 0.01: 9 standard errors); b better shared.
  const evidence = (m: number[], s: number[], k: number): TransferEvidence => ({
    dir: `seed${k}`,
    tasks: ['a', 'b'],
    multiTask: { a: { accuracy: m[0]! }, b: { accuracy: m[1]! } },
    singleTask: { a: { accuracy: s[0]! }, b: { accuracy: s[1]! } },
  });
  const report = findTransfer([evidence([0.8, 0.9], [0.9, 0.85], 0), evidence([0.82, 0.92], [0.9, 0.86], 1)]);
  assert.deepEqual(report.runs, ['seed0', 'seed1']);
  assert.equal(report.findings.length, 1);
  assert.ok(Math.abs((report.findings[0]!.evidence.deficit as number) - 0.09) < 1e-12);
  assert.ok(Math.abs((report.findings[0]!.evidence.standardError as number) - 0.01) < 1e-12);
  assert.deepEqual(formatTransferSection(report), [
    '## Negative transfer',
    '',
    '- **worse-than-alone** a is worse in the multi-task model than alone: accuracy 0.8100 against 0.9000 (deficit 0.09000 = 9.0 standard errors over 2 seeds)',
    '',
    'Suggested grouping (the tasks worse than alone trained alone): {b} {a}',
    '',
    'Note: no affinity recorded: mtl affinity <experiment> records the lookahead affinity of every pair.',
    'Note: no gradient cosines recorded: set training.diagnosticsEvery, or record affinity, to check gradient conflict.',
  ]);
  const none = findTransfer([evidence([0.95, 0.9], [0.9, 0.85], 0), evidence([0.95, 0.92], [0.9, 0.86], 1)]);
  assert.deepEqual(formatTransferSection(none).slice(0, 3), ['## Negative transfer', '', 'No finding: no task is worse than alone, and no pair hurts the other.']);
});
