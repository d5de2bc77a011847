import { MtlError } from '../errors.js';
import { METRICS } from '../tasks/metrics.js';
import type { AffinityMeasurement, AffinityRecord } from './affinityRecorder.js';

/** Options of {@link findTransfer} (and `mtl transfer`). */
export interface TransferOptions {
  /** A task is worse than alone when its deficit exceeds this many standard errors of the seed-to-seed spread. @defaultValue 2 */
  spread?: number;
  /** A pair's gradients conflict persistently when their cosine is negative in at least this share of the recordings, and in the later half of training. @defaultValue 0.6 */
  persistence?: number;
}

/** One finding, with the numbers behind it. */
export interface TransferFinding {
  kind: 'worse-than-alone' | 'negative-affinity' | 'gradient-conflict';
  /** The task, or the pair (source, target for affinity). */
  tasks: string[];
  message: string;
  evidence: Record<string, number | string | number[]>;
}

/** A task's main metric in the multi-task model against its single-task baseline, over seeds. */
export interface BaselineComparison {
  task: string;
  metric: string;
  direction: 'higher' | 'lower';
  multiTask: number[];
  singleTask: number[];
  /** Mean deficit of the multi-task model (positive: worse than alone). */
  deficit: number;
  /** Standard error of that difference from the seed spread (NaN with a single seed). */
  standardError: number;
  worse: boolean;
}

/** What `mtl transfer` reports. */
export interface TransferReport {
  runs: string[];
  tasks: string[];
  comparisons: BaselineComparison[];
  findings: TransferFinding[];
  /** A grouping in which no two tasks of a group hurt each other by the evidence, as few groups as possible. */
  suggestion?: { groups: string[][]; basis: string };
  /** What could not be checked and why. */
  notes: string[];
}

/**
 * What the analysis reads from one run: its tasks' main test metrics in the multi-task
 * model and alone, and where recorded the lookahead affinity and the gradient cosines.
 */
export interface TransferEvidence {
  /** Where the evidence comes from (a run folder), as the report names it. */
  dir: string;
  tasks: string[];
  multiTask?: Record<string, Record<string, number>>;
  singleTask?: Record<string, Record<string, number>>;
  affinity?: AffinityRecord;
  recordings?: AffinityMeasurement[];
  /** Cosine recordings from metrics.jsonl diagnostics lines: pair key `a~b` → values in step order. */
  diagnostics?: Record<string, number[]>;
}

/**
 * Negative transfer in one or more runs of the same experiment (several seeds make the
 * "beyond noise" test possible). Three kinds of evidence, each a finding with its numbers:
 * - a task whose main test metric in the multi-task model is worse than its single-task
 *   baseline by more than `spread` standard errors of the seed-to-seed spread (with one
 *   seed, any deficit is reported and the spread is said to be unknown);
 * - a pair with negative mean lookahead affinity Z_{i→j} (TAG; runs made with `mtl affinity`);
 * - a pair whose gradient cosine is negative in most recordings (`persistence`) and in
 *   the later half of training.
 * The suggestion splits the tasks into as few groups as possible with no conflicting pair
 * inside a group (negative affinity either way, or persistent conflict); with baselines
 * only, the tasks worse than alone are suggested alone.
 *
 * Pure: `analyseTransfer` (negativeTransfer.ts) reads the evidence from folders, and a
 * run's summary (summary.json's `transfer`, summary.md) holds this analysis of the run.
 *
 * @throws MtlError `transfer.no_run` for no evidence, `transfer.mismatch` for runs of different tasks
 */
export function findTransfer(runs: readonly TransferEvidence[], options: TransferOptions = {}): TransferReport {
  if (runs.length === 0) throw new MtlError({ code: 'transfer.no_run', path: 'runs', expected: 'at least one run folder', found: 'none' });
  const tasks = runs[0]!.tasks;
  for (const r of runs) {
    if (r.tasks.join(',') !== tasks.join(',')) {
      throw new MtlError({ code: 'transfer.mismatch', path: r.dir, expected: `a run of the tasks [${tasks.join(', ')}] (as ${runs[0]!.dir})`, found: `tasks [${r.tasks.join(', ')}]`, fix: 'analyse runs of one experiment together (seeds of it)' });
    }
  }
  const spread = options.spread ?? 2;
  const persistence = options.persistence ?? 0.6;
  const findings: TransferFinding[] = [];
  const notes: string[] = [];

  // 1. Worse than alone, beyond the seed spread.
  const comparisons: BaselineComparison[] = [];
  const withBaselines = runs.filter((r) => r.multiTask && r.singleTask);
  if (withBaselines.length === 0) notes.push('no single-task baselines: train with --baselines (or mtl baselines) to compare each task with itself alone');
  else {
    if (withBaselines.length === 1) notes.push('one seed: the seed-to-seed spread is unknown, so every deficit is reported; train more seeds to tell transfer from noise');
    for (const task of tasks) {
      const present = withBaselines.filter((r) => r.multiTask![task] && r.singleTask![task]);
      if (present.length === 0) continue;
      const metric = Object.keys(present[0]!.multiTask![task]!)[0]!;
      const direction = METRICS[metric]?.direction ?? 'higher';
      const m = present.map((r) => r.multiTask![task]![metric]!);
      const s = present.map((r) => r.singleTask![task]![metric]!);
      const deficit = direction === 'higher' ? mean(s) - mean(m) : mean(m) - mean(s);
      const standardError = m.length > 1 && s.length > 1 ? Math.sqrt(variance(m) / m.length + variance(s) / s.length) : NaN;
      const worse = Number.isNaN(standardError) ? deficit > 0 : deficit > spread * standardError;
      comparisons.push({ task, metric, direction, multiTask: m, singleTask: s, deficit, standardError, worse });
      if (worse) {
        findings.push({
          kind: 'worse-than-alone',
          tasks: [task],
          message: `${task} is worse in the multi-task model than alone: ${metric} ${fmt(mean(m))} against ${fmt(mean(s))}` +
            (Number.isNaN(standardError) ? ' (one seed: spread unknown)' : ` (deficit ${fmt(deficit)} = ${(deficit / standardError).toFixed(1)} standard errors over ${m.length} seeds)`),
          evidence: { metric, multiTask: m, singleTask: s, deficit, standardError: Number.isNaN(standardError) ? 'unknown (one seed)' : standardError },
        });
      }
    }
  }

  // 2. Negative lookahead affinity, averaged over the runs that recorded it.
  const affinityRuns = runs.filter((r) => r.affinity);
  const persistentAffinity = new Set<string>();
  if (affinityRuns.length === 0) notes.push('no affinity recorded: mtl affinity <experiment> records the lookahead affinity of every pair');
  else {
    const affinity = averageMatrices(affinityRuns.map((r) => r.affinity!.affinity));
    // One direction: its mean, and in how many epochs it was negative.
    const direction = (i: number, j: number) => {
      const perEpoch = affinityRuns.flatMap((r) => r.affinity!.epochs.map((e) => e.affinity[i]![j] ?? NaN)).filter((v) => !Number.isNaN(v));
      const negative = perEpoch.filter((v) => v < 0).length;
      const z = affinity[i]![j] ?? NaN;
      return { z, negative, epochs: perEpoch.length, persistent: z < 0 && negative >= persistence * perEpoch.length };
    };
    for (let i = 0; i < tasks.length; i++) {
      for (let j = i + 1; j < tasks.length; j++) {
        const forward = direction(i, j);
        const backward = direction(j, i);
        if (!(forward.z < 0) && !(backward.z < 0)) continue;
        const persistent = forward.persistent || backward.persistent;
        if (persistent) persistentAffinity.add(`${tasks[i]}~${tasks[j]}`);
        const part = (a: string, b: string, d: typeof forward) =>
          `${a} → ${b} ${d.z >= 0 ? '+' : ''}${(d.z * 100).toFixed(2)}%` + (d.z < 0 ? ` (negative in ${d.negative} of ${d.epochs} epochs)` : '');
        findings.push({
          kind: 'negative-affinity',
          tasks: [tasks[i]!, tasks[j]!],
          message: `a step on one task's gradient raises the other's loss${persistent ? '' : ' (not persistently)'}: ${part(tasks[i]!, tasks[j]!, forward)}; ${part(tasks[j]!, tasks[i]!, backward)}`,
          evidence: {
            [`${tasks[i]} → ${tasks[j]}`]: forward.z,
            [`${tasks[j]} → ${tasks[i]}`]: backward.z,
            negativeEpochs: [forward.negative, backward.negative],
            epochs: forward.epochs,
            persistent: persistent ? 'yes' : 'no',
          },
        });
      }
    }
  }

  // 3. Persistent gradient conflict.
  const series = new Map<string, number[][]>();
  for (const r of runs) {
    const pairs = r.recordings
      ? pairSeries(tasks, r.recordings)
      : r.diagnostics ?? undefined;
    if (!pairs) continue;
    for (const [key, values] of Object.entries(pairs)) series.set(key, [...(series.get(key) ?? []), values]);
  }
  if (series.size === 0) notes.push('no gradient cosines recorded: set training.diagnosticsEvery, or record affinity, to check gradient conflict');
  const conflicting = new Set<string>();
  for (const [key, perRun] of series) {
    const all = perRun.flat();
    const late = perRun.flatMap((v) => v.slice(Math.floor(v.length / 2)));
    if (all.length === 0) continue;
    const share = all.filter((v) => v < 0).length / all.length;
    const lateShare = late.length > 0 ? late.filter((v) => v < 0).length / late.length : 0;
    if (share >= persistence && lateShare >= persistence && mean(all) < 0) {
      conflicting.add(key);
      const [a, b] = key.split('~') as [string, string];
      findings.push({
        kind: 'gradient-conflict',
        tasks: [a, b],
        message: `${a} and ${b} pull the shared parameters apart: gradient cosine ${fmt(mean(all))} on average, negative in ${(share * 100).toFixed(0)}% of ${all.length} recordings (${(lateShare * 100).toFixed(0)}% in the later half)`,
        evidence: { meanCosine: mean(all), negativeShare: share, laterHalfNegativeShare: lateShare, recordings: all.length },
      });
    }
  }

  // The suggestion: no pair that persistently hurts each other inside a group.
  let suggestion: TransferReport['suggestion'];
  const clashing = new Set([...persistentAffinity, ...conflicting]);
  if (affinityRuns.length > 0 || series.size > 0) {
    const affinity = affinityRuns.length > 0 ? averageMatrices(affinityRuns.map((r) => r.affinity!.affinity)) : undefined;
    const clash = (i: number, j: number) => clashing.has(`${tasks[Math.min(i, j)]}~${tasks[Math.max(i, j)]}`);
    const strength = (i: number, j: number) => (affinity ? (affinity[i]![j] ?? 0) + (affinity[j]![i] ?? 0) : 0);
    suggestion = {
      groups: fewestCompatibleGroups(tasks, clash, strength),
      basis: 'as few groups as possible with no pair of persistently negative affinity or conflicting gradients inside one',
    };
  } else if (comparisons.some((c) => c.worse)) {
    const alone = comparisons.filter((c) => c.worse).map((c) => c.task);
    const rest = tasks.filter((t) => !alone.includes(t));
    suggestion = { groups: [...(rest.length > 0 ? [rest] : []), ...alone.map((t) => [t])], basis: 'the tasks worse than alone trained alone' };
  }
  return { runs: runs.map((r) => r.dir), tasks, comparisons, findings, ...(suggestion ? { suggestion } : {}), notes };
}

/**
 * Partition the tasks into as few groups as possible with no clashing pair inside a group
 * (exact up to 12 tasks by dynamic programming over task sets; greedy beyond), among those
 * the one with the most summed `strength` within groups.
 */
export function fewestCompatibleGroups(tasks: readonly string[], clash: (i: number, j: number) => boolean, strength: (i: number, j: number) => number): string[][] {
  const n = tasks.length;
  if (n <= 12) {
    const size = 1 << n;
    const ok = new Uint8Array(size);
    const inner = new Float64Array(size);
    ok[0] = 1;
    for (let m = 1; m < size; m++) {
      const j = 31 - Math.clz32(m);
      const rest = m ^ (1 << j);
      if (!ok[rest]) continue;
      let good = true;
      let s = inner[rest]!;
      for (let i = 0; i < j; i++) {
        if (!(rest & (1 << i))) continue;
        if (clash(i, j)) good = false;
        s += strength(i, j);
      }
      if (good) {
        ok[m] = 1;
        inner[m] = s;
      }
    }
    const count = new Float64Array(size).fill(Infinity);
    const score = new Float64Array(size).fill(-Infinity);
    const choice = new Int32Array(size);
    count[0] = 0;
    score[0] = 0;
    for (let m = 1; m < size; m++) {
      const low = m & -m;
      for (let a = m; a; a = (a - 1) & m) {
        if (!(a & low) || !ok[a]) continue;
        const c = count[m ^ a]! + 1;
        const s = score[m ^ a]! + inner[a]!;
        if (c < count[m]! || (c === count[m]! && s > score[m]! + 1e-12)) {
          count[m] = c;
          score[m] = s;
          choice[m] = a;
        }
      }
    }
    const groups: string[][] = [];
    for (let m = size - 1; m; m ^= choice[m]!) {
      const a = choice[m]!;
      groups.push(tasks.filter((_, i) => a & (1 << i)));
    }
    return groups;
  }
  const groups: number[][] = [];
  for (let j = 0; j < n; j++) {
    const fit = groups.filter((g) => g.every((i) => !clash(i, j)));
    if (fit.length === 0) groups.push([j]);
    else fit.reduce((best, g) => (g.reduce((s, i) => s + strength(i, j), 0) > best.reduce((s, i) => s + strength(i, j), 0) ? g : best)).push(j);
  }
  return groups.map((g) => g.map((i) => tasks[i]!));
}

/**
 * The findings as one Markdown section of a run's summary (summary.md and the printed
 * summary): each finding with its numbers, the suggested grouping, and what was not checked.
 */
export function formatTransferSection(report: Pick<TransferReport, 'findings' | 'suggestion' | 'notes'>): string[] {
  const lines = ['## Negative transfer', ''];
  if (report.findings.length === 0) lines.push('No finding: no task is worse than alone, and no pair hurts the other.');
  for (const f of report.findings) lines.push(`- **${f.kind}** ${f.message}`);
  if (report.suggestion) lines.push('', `Suggested grouping (${report.suggestion.basis}): ${report.suggestion.groups.map((g) => `{${g.join(', ')}}`).join(' ')}`);
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `Note: ${n}.`));
  return lines;
}

/** Per pair `a~b` (a before b), the cosine of every recording in step order. */
function pairSeries(tasks: readonly string[], recordings: readonly AffinityMeasurement[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let i = 0; i < tasks.length; i++) {
    for (let j = i + 1; j < tasks.length; j++) {
      out[`${tasks[i]}~${tasks[j]}`] = recordings.map((r) => r.cosine[i]![j]).filter((v): v is number => v !== null && v !== undefined);
    }
  }
  return out;
}

function averageMatrices(matrices: (number | null)[][][]): (number | null)[][] {
  return matrices[0]!.map((row, i) =>
    row.map((_, j) => {
      const values = matrices.map((m) => m[i]![j]).filter((v): v is number => v !== null && v !== undefined);
      return values.length > 0 ? mean(values) : null;
    }),
  );
}

/** The arithmetic mean. */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function variance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

/** A figure in a finding's message: 4 significant digits, one decimal from 100 on. */
export function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
