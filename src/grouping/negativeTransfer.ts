import { MtlError } from '../errors.js';
import { readTransferEvidence } from './transferEvidence.js';
import { findTransfer, fmt, mean, type TransferOptions, type TransferReport } from './transferFindings.js';

export { fewestCompatibleGroups, findTransfer, type BaselineComparison, type TransferEvidence, type TransferFinding, type TransferOptions, type TransferReport } from './transferFindings.js';

/**
 * `mtl transfer`: where sharing hurts in one or more run folders of the same experiment (several
 * seeds make the "beyond noise" test possible). Three kinds of evidence, each a finding
 * with its numbers:
 * - a task whose main test metric in the multi-task model is worse than its single-task
 *   baseline by more than `spread` standard errors of the seed-to-seed spread (with one
 *   seed, any deficit is reported and the spread is said to be unknown);
 * - a pair with negative mean lookahead affinity Z_{i→j} (runs made with `mtl affinity`);
 * - a pair whose gradient cosine is negative in most recordings (`persistence`) and in
 *   the later half of training (from `affinity.jsonl`, or the `diagnostics` lines that
 *   `training.diagnosticsEvery` writes to metrics.jsonl).
 * The suggestion splits the tasks into as few groups as possible with no conflicting pair
 * inside a group (negative affinity either way, or persistent conflict).
 *
 * A run folder of `mtl train --baselines`, `mtl affinity`, or a grouping folder of `mtl
 * group` (its all-task candidate against its single-task candidates, and its affinity run).
 *
 * @throws MtlError `transfer.no_run` for a folder without a run, `transfer.mismatch` for runs of different tasks
 */
export function analyseTransfer(runDirs: string | readonly string[], options: TransferOptions = {}): TransferReport {
  const dirs = typeof runDirs === 'string' ? [runDirs] : [...runDirs];
  if (dirs.length === 0) throw new MtlError({ code: 'transfer.no_run', path: 'runs', expected: 'at least one run folder', found: 'none' });
  return findTransfer(dirs.map(readTransferEvidence), options);
}

/** The findings as `mtl transfer` prints them. */
export function formatTransferReport(report: TransferReport): string {
  const lines = [`negative transfer in ${report.runs.join(', ')} (tasks ${report.tasks.join(', ')})`, ''];
  if (report.comparisons.length > 0) {
    lines.push('task against alone (test, main metric):');
    for (const c of report.comparisons) {
      const spread = Number.isNaN(c.standardError) ? '' : ` ± ${fmt(c.standardError)}`;
      lines.push(`  ${c.task}: ${c.metric} ${fmt(mean(c.multiTask))} multi-task, ${fmt(mean(c.singleTask))} alone (deficit ${fmt(c.deficit)}${spread})${c.worse ? '  ← worse' : ''}`);
    }
    lines.push('');
  }
  if (report.findings.length === 0) lines.push('no finding: no task is worse than alone, and no pair hurts the other');
  for (const f of report.findings) lines.push(`- [${f.kind}] ${f.message}`);
  if (report.suggestion) lines.push('', `suggested grouping (${report.suggestion.basis}): ${report.suggestion.groups.map((g) => `{${g.join(', ')}}`).join(' ')}`);
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

