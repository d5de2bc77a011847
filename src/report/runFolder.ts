import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { emptyMetricsLog, parseMetricsLog, type MetricsLog } from './metricsLog.js';
import { parseAffinity, parseGrouping, type AffinityMatrix, type TaskGrouping } from './taskGroupsFile.js';

/** The parts of a run's config.json the report reads (everything optional: the report never requires a field). */
export interface RunConfigView {
  name?: string;
  seed?: number;
  tasks?: { name: string; kind?: string }[];
  model?: { architecture?: string; encoder?: unknown; options?: Record<string, unknown> };
  weighting?: { method?: string; options?: Record<string, unknown>; gradientMode?: string };
  training?: { epochs?: number; batchSize?: number; diagnosticsEvery?: number };
  [key: string]: unknown;
}

/** One task's final test evaluation in summary.json. */
export interface SummaryEvaluation {
  loss?: number;
  metrics: Record<string, number>;
}

/** The parts of a run's summary.json the report reads. */
export interface RunSummaryView {
  name?: string;
  backend?: string;
  multiTask?: { evaluation: Record<string, SummaryEvaluation>; epochs?: number; steps?: number; seconds?: number; parameters?: number };
  singleTask?: Record<string, { evaluation: SummaryEvaluation; epochs?: number; seconds?: number; parameters?: number }>;
  comparison?: { task: string; metric: string; direction: 'higher' | 'lower'; multiTask: number; singleTask: number }[];
  deltaM?: number;
}

/** AdaShare's select/skip policy (policy.json). */
export interface PolicyView {
  /** Per task: for every block, whether the task executes it. */
  policy: Record<string, boolean[]>;
  /** Per task: the learned probability of executing each block, when saved. */
  executeProbabilities?: Record<string, number[]>;
}

/** Everything the report knows about one run folder. */
export interface RunData {
  /** Absolute path of the folder. */
  dir: string;
  /** The experiment's name (config.json), else the folder's name. */
  name: string;
  config?: RunConfigView;
  log: MetricsLog;
  summary?: RunSummaryView;
  /** The single-task baselines' training logs (baselines/<task>/metrics.jsonl), by task. */
  baselineLogs: Record<string, MetricsLog>;
  policy?: PolicyView;
  affinity?: AffinityMatrix;
  grouping?: TaskGrouping;
  /** The tasks in experiment order (config.json, else summary, else the log). */
  tasks: string[];
  /** `finished`: summary.json has the multi-task results; `baselines`: a folder of single-task baselines only; `incomplete`: neither (still training, or stopped). */
  status: 'finished' | 'baselines' | 'incomplete';
  /** What is missing or could not be read, in words, for the report to show. */
  problems: string[];
  /** Latest modification time of the files read (ms since the epoch). */
  modified: number;
}

/** Files whose presence makes a folder a run folder. */
export const RUN_FILES = ['config.json', 'metrics.jsonl', 'summary.json'] as const;

/** Whether a folder looks like a run folder (holds config.json, metrics.jsonl or summary.json). */
export function isRunFolder(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(join(dir, f)));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read a JSON file; undefined with a note when it is absent or damaged. */
function readJson(path: string, label: string, problems: string[], required: string | null, times: number[]): unknown {
  if (!existsSync(path)) {
    if (required) problems.push(required);
    return undefined;
  }
  try {
    times.push(statSync(path).mtimeMs);
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${label} could not be read (${(error as Error).message.split('\n')[0]}): left out`);
    return undefined;
  }
}

function readLog(path: string, label: string, times: number[]): MetricsLog | undefined {
  if (!existsSync(path)) return undefined;
  try {
    times.push(statSync(path).mtimeMs);
    return parseMetricsLog(readFileSync(path, 'utf8'), label);
  } catch (error) {
    const log = emptyMetricsLog();
    log.problems.push(`${label} could not be read (${(error as Error).message.split('\n')[0]})`);
    return log;
  }
}

function summaryView(json: unknown): RunSummaryView | undefined {
  if (!isRecord(json)) return undefined;
  const evaluation = (e: unknown): SummaryEvaluation | undefined => {
    if (!isRecord(e) || !isRecord(e.metrics)) return undefined;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.metrics)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return { metrics, ...(typeof e.loss === 'number' ? { loss: e.loss } : {}) };
  };
  const out: RunSummaryView = {};
  if (typeof json.name === 'string') out.name = json.name;
  if (typeof json.backend === 'string') out.backend = json.backend;
  if (isRecord(json.multiTask) && isRecord(json.multiTask.evaluation)) {
    const m = json.multiTask;
    const ev: Record<string, SummaryEvaluation> = {};
    for (const [task, e] of Object.entries(m.evaluation as Record<string, unknown>)) {
      const v = evaluation(e);
      if (v) ev[task] = v;
    }
    out.multiTask = { evaluation: ev };
    for (const key of ['epochs', 'steps', 'seconds', 'parameters'] as const) if (typeof m[key] === 'number') out.multiTask[key] = m[key] as number;
  }
  if (isRecord(json.singleTask)) {
    out.singleTask = {};
    for (const [task, s] of Object.entries(json.singleTask)) {
      const v = isRecord(s) ? evaluation(s.evaluation) : undefined;
      if (!v) continue;
      out.singleTask[task] = { evaluation: v };
      for (const key of ['epochs', 'seconds', 'parameters'] as const) if (isRecord(s) && typeof s[key] === 'number') out.singleTask[task]![key] = s[key] as number;
    }
  }
  if (Array.isArray(json.comparison)) {
    out.comparison = json.comparison.filter(
      (c): c is NonNullable<RunSummaryView['comparison']>[number] =>
        isRecord(c) && typeof c.task === 'string' && typeof c.metric === 'string' && typeof c.multiTask === 'number' && typeof c.singleTask === 'number' && (c.direction === 'higher' || c.direction === 'lower'),
    );
  }
  if (typeof json.deltaM === 'number' && Number.isFinite(json.deltaM)) out.deltaM = json.deltaM;
  return out;
}

function policyView(json: unknown): PolicyView | undefined {
  if (!isRecord(json) || !isRecord(json.policy)) return undefined;
  const policy: Record<string, boolean[]> = {};
  for (const [task, blocks] of Object.entries(json.policy)) if (Array.isArray(blocks)) policy[task] = blocks.map(Boolean);
  const probabilities: Record<string, number[]> = {};
  if (isRecord(json.executeProbabilities)) {
    for (const [task, p] of Object.entries(json.executeProbabilities)) if (Array.isArray(p)) probabilities[task] = p.map((x) => (typeof x === 'number' ? x : NaN));
  }
  return { policy, ...(Object.keys(probabilities).length > 0 ? { executeProbabilities: probabilities } : {}) };
}

/**
 * Read a run folder as the report sees it: config.json, metrics.jsonl, summary.json,
 * the baselines' logs, and where present policy.json, affinity.json and grouping.json.
 * Never throws for a damaged or half-written folder: what can be read is returned and
 * `problems` says, in words, what is missing (no summary, no baselines, a cut-off last
 * metrics line, an unreadable file). Reads only; writes nothing.
 */
export function readRun(folder: string): RunData {
  const dir = resolve(folder);
  const problems: string[] = [];
  const times: number[] = [];
  const configJson = readJson(join(dir, 'config.json'), 'config.json', problems, 'no config.json: the experiment settings are unknown', times);
  const config = isRecord(configJson) ? (configJson as RunConfigView) : undefined;
  const log = readLog(join(dir, 'metrics.jsonl'), 'metrics.jsonl', times);
  if (!log) problems.push('no metrics.jsonl: no training curves');
  else problems.push(...log.problems);
  const summaryJson = readJson(join(dir, 'summary.json'), 'summary.json', problems, null, times);
  const summary = summaryView(summaryJson);
  if (summaryJson !== undefined && !summary) problems.push('summary.json is not a run summary: left out');
  const tasks =
    config?.tasks?.map((t) => t.name).filter((t): t is string => typeof t === 'string') ??
    Object.keys(summary?.multiTask?.evaluation ?? summary?.singleTask ?? log?.epochs.at(-1)?.trainLoss ?? {});
  const baselineLogs: Record<string, MetricsLog> = {};
  const baselinesDir = join(dir, 'baselines');
  if (existsSync(baselinesDir)) {
    for (const entry of readdirSync(baselinesDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const bl = readLog(join(baselinesDir, entry.name, 'metrics.jsonl'), `baselines/${entry.name}/metrics.jsonl`, times);
      if (bl) {
        baselineLogs[entry.name] = bl;
        problems.push(...bl.problems);
      }
    }
  }
  const status: RunData['status'] = summary?.multiTask ? 'finished' : summary?.singleTask && !log ? 'baselines' : 'incomplete';
  if (!summary) {
    problems.push(
      log && log.epochs.length > 0
        ? `no summary.json: the run is still training or was stopped after ${log.epochs.length} epoch${log.epochs.length === 1 ? '' : 's'}; no test metrics`
        : 'no summary.json: no test metrics',
    );
  } else if (status === 'finished') {
    const missing = tasks.filter((t) => !summary.singleTask?.[t]);
    if (!summary.singleTask || Object.keys(summary.singleTask).length === 0) {
      problems.push('no single-task baselines in summary.json: no Δm (train them with mtl baselines <experiment> --run-dir <this folder>, or give a baselines folder of the same seed)');
    } else if (missing.length > 0) {
      problems.push(`no single-task baseline for ${missing.join(', ')}: Δm left out (mtl baselines <experiment> --run-dir <this folder> trains the missing ones)`);
    }
  }
  const policy = policyView(readJson(join(dir, 'policy.json'), 'policy.json', problems, null, times));
  const affinityJson = readJson(join(dir, 'affinity.json'), 'affinity.json', problems, null, times);
  const affinity = affinityJson === undefined ? undefined : parseAffinity(affinityJson);
  if (affinityJson !== undefined && !affinity) problems.push('affinity.json is in no shape the report knows (see docs/reports.md): left out');
  const groupingJson = readJson(join(dir, 'grouping.json'), 'grouping.json', problems, null, times);
  const grouping = groupingJson === undefined ? undefined : parseGrouping(groupingJson);
  if (groupingJson !== undefined && !grouping) problems.push('grouping.json is in no shape the report knows (see docs/reports.md): left out');
  return {
    dir,
    name: config?.name ?? summary?.name ?? basename(dir),
    ...(config ? { config } : {}),
    log: log ?? emptyMetricsLog(),
    ...(summary ? { summary } : {}),
    baselineLogs,
    ...(policy ? { policy } : {}),
    ...(affinity ? { affinity } : {}),
    ...(grouping ? { grouping } : {}),
    tasks,
    status,
    problems,
    modified: times.length > 0 ? Math.max(...times) : 0,
  };
}
