import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import type { RunSummary } from '../experiment/runExperiment.js';
import { AFFINITY_FILE, AFFINITY_RECORDS_FILE, readAffinityMeasurements, summarizeAffinity, type AffinityRecord } from './affinityRecorder.js';
import type { TransferEvidence } from './transferFindings.js';

/**
 * The negative-transfer evidence in a folder (see {@link findTransfer}): a run folder of
 * `mtl train` (with baselines: its summary), of `mtl affinity` (its recordings), or a
 * grouping folder of `mtl group` (its all-task candidate against its single-task
 * candidates, and its affinity run).
 *
 * @throws MtlError `transfer.no_run` for a folder that is neither
 */
export function readTransferEvidence(dir: string): TransferEvidence {
  if (existsSync(join(dir, 'candidates'))) return groupingEvidence(dir);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) {
    throw new MtlError({ code: 'transfer.no_run', path: dir, expected: 'a run folder (config.json) or a grouping folder (candidates/)', found: 'neither', fix: 'pass the folder mtl train, mtl affinity or mtl group wrote' });
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as ExperimentConfig;
  const tasks = config.tasks.map((t) => t.name);
  return runEvidence(dir, tasks, readJson<RunSummary>(join(dir, 'summary.json')));
}

/**
 * The evidence of one run folder given its summary: the multi-task model's and the
 * baselines' test metrics from the summary, the lookahead affinity from affinity.jsonl
 * when the run recorded it, else the gradient cosines of the `diagnostics` lines in
 * metrics.jsonl (`training.diagnosticsEvery`).
 */
export function runEvidence(dir: string, tasks: readonly string[], summary: Pick<RunSummary, 'multiTask' | 'singleTask'> | undefined): TransferEvidence {
  const evidence: TransferEvidence = { dir, tasks: [...tasks] };
  if (summary?.multiTask) evidence.multiTask = Object.fromEntries(Object.entries(summary.multiTask.evaluation).map(([t, e]) => [t, e.metrics]));
  if (summary?.singleTask) evidence.singleTask = Object.fromEntries(Object.entries(summary.singleTask).map(([t, e]) => [t, e.evaluation.metrics]));
  addAffinity(evidence, dir);
  if (!evidence.recordings && existsSync(join(dir, 'metrics.jsonl'))) {
    const diagnostics: Record<string, number[]> = {};
    for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const record = JSON.parse(line) as { type: string; cosines?: Record<string, number> };
      if (record.type !== 'diagnostics' || !record.cosines) continue;
      for (const [key, v] of Object.entries(record.cosines)) (diagnostics[key] ??= []).push(v);
    }
    if (Object.keys(diagnostics).length > 0) evidence.diagnostics = diagnostics;
  }
  return evidence;
}

/** A grouping folder: its all-task candidate against its single-task candidates, and its affinity run. */
function groupingEvidence(dir: string): TransferEvidence {
  const candidates = join(dir, 'candidates');
  // Full-length, full-size candidates only (no `++half`, no ESA's `++e<epochs>`).
  const folders = readdirSync(candidates).filter((f) => existsSync(join(candidates, f, 'summary.json')) && !f.includes('++'));
  const configs = folders.map((f) => ({ f, config: JSON.parse(readFileSync(join(candidates, f, 'config.json'), 'utf8')) as ExperimentConfig }));
  const widest = configs.reduce<(typeof configs)[number] | undefined>((a, b) => (!a || b.config.tasks.length > a.config.tasks.length ? b : a), undefined);
  const affinityConfig = readJson<ExperimentConfig>(join(dir, 'affinity', 'config.json'));
  const tasks = (affinityConfig ?? widest?.config)?.tasks.map((t) => t.name) ?? [];
  const evidence: TransferEvidence = { dir, tasks };
  const all = configs.find((c) => c.config.tasks.length === tasks.length);
  if (all) {
    const summary = readJson<RunSummary>(join(candidates, all.f, 'summary.json'))!;
    evidence.multiTask = Object.fromEntries(Object.entries(summary.multiTask!.evaluation).map(([t, e]) => [t, e.metrics]));
    const singles: Record<string, Record<string, number>> = {};
    for (const t of tasks) {
      const s = readJson<RunSummary>(join(candidates, t, 'summary.json'));
      if (s?.multiTask) singles[t] = s.multiTask.evaluation[t]!.metrics;
    }
    if (Object.keys(singles).length > 0) evidence.singleTask = singles;
  }
  addAffinity(evidence, join(dir, 'affinity'));
  return evidence;
}

function addAffinity(evidence: TransferEvidence, dir: string): void {
  const records = join(dir, AFFINITY_RECORDS_FILE);
  if (existsSync(records)) {
    evidence.recordings = readAffinityMeasurements(records);
    const saved = readJson<AffinityRecord>(join(dir, AFFINITY_FILE));
    evidence.affinity = saved ?? summarizeAffinity(evidence.recordings, 0);
  }
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

