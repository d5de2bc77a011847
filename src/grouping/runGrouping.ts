import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { METRICS } from '../tasks/metrics.js';
import type { MetricDirection } from '../tasks/task.js';
import { branchAndBound } from './branchAndBound.js';
import { candidateExperiment, candidateFolder } from './candidateExperiment.js';
import { candidateId, checkGroupingTasks, pairCandidates, standleyCandidates, type Candidate, type CandidateOptions } from './candidates.js';
import { readCandidateOutcome, sequentialTrials, trialState, type CandidateOutcome, type CandidateTrial, type TrainCandidates } from './candidateTrials.js';
import { earlyEpoch, EARLY_FRACTION } from './earlySnapshot.js';
import { hoaModel } from './higherOrderApproximation.js';
import { normalizeTable, type LossTable, type ScoredCandidate } from './lossTable.js';
import { selectPairwise } from './pairwiseSearch.js';
import { randomGrouping } from './randomGrouping.js';
import { readAffinity, runAffinity } from './runAffinity.js';
import { checkBudget, cheapestCover, type Selection } from './selection.js';
import { selectTag, type AffinityTable } from './taskAffinityGrouping.js';

/** The selection methods of `mtl group`. */
export const GROUPING_METHODS = ['exact', 'esa', 'hoa', 'tag', 'random'] as const;
/** One of {@link GROUPING_METHODS}. */
export type GroupingMethod = (typeof GROUPING_METHODS)[number];

/** Options of {@link runGrouping}; each defaults to the experiment's `grouping` section. */
export interface GroupingOptions {
  /** @defaultValue grouping.search, else 'exact' */
  method?: GroupingMethod;
  /** Inference budget in full-size networks. @defaultValue grouping.budget (required somewhere) */
  budget?: number;
  /** Folder of the search: candidates/, affinity/, grouping.json. @defaultValue runs/<name>-group */
  groupDir?: string;
  /** The trial runner that trains candidate networks. @defaultValue {@link sequentialTrials} */
  train?: TrainCandidates;
  /** Train the chosen networks (when the search did not already) and report their test metrics. @defaultValue true */
  trainChosen?: boolean;
  /** Also train (or read) the all-in-one network and every single-task network, to compare. @defaultValue false */
  compare?: boolean;
  /** Override the experiment's epochs for every network trained. */
  epochs?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

/** Per task in a grouping result. */
export interface GroupedTask {
  /** The chosen network that serves the task (the best of the chosen networks containing it on validation, once trained). */
  network: string;
  /** The selection's value for the task: its normalised validation loss or error (exact, ESA: measured; HOA: predicted), TAG's group score, null for random. */
  predicted: number | null;
  /** Validation loss and main metric of the serving network, once trained. */
  validation?: { loss: number; metric: string; value: number };
  /** Test loss and main metric of the serving network, once trained. */
  test?: { loss: number; metric: string; value: number };
}

/** Cost of a phase of the search: trials and their training time. */
export interface PhaseCost {
  /** Networks the phase needed. */
  trials: number;
  /** Of those, already trained in the folder (read, not retrained). */
  reused: number;
  /** Summed training time of the phase's runs, in seconds (reused runs counted with their recorded time). */
  seconds: number;
}

/** What `mtl group` writes (per method and budget) into `<group>/grouping.json` and prints. */
export interface GroupingResult {
  experiment: string;
  method: GroupingMethod;
  budget: number;
  /** What candidates were judged on. */
  criterion: 'loss' | 'metric';
  /** The chosen networks (with the tasks each serves), their cost, and the search's own figures. */
  selection: Pick<Selection, 'networks' | 'cost' | 'optimal' | 'gap' | 'solver'> & { objective: number | null };
  tasks: Record<string, GroupedTask>;
  /** The search: candidate networks (exact, ESA, HOA) or the affinity run (TAG). */
  search: PhaseCost;
  /** Training the chosen networks after the search (those the search had not trained). */
  chosen: PhaseCost;
  /** With `compare`: each task's test main metric in the all-in-one network and alone. */
  comparison?: Record<string, { metric: string; grouped: number; allInOne: number; alone: number }>;
}

/**
 * `mtl group`: which tasks to train together under an inference budget (Standley et al.,
 * ICML 2020; TAG, Fifty et al., NeurIPS 2021). Candidates are judged on validation data
 * and the chosen networks reported on test.
 *
 * - `exact`: train every candidate network (every subset of tasks at cost 1, a half-size
 *   network per task at cost `halfCost`), branch and bound on their validation losses;
 * - `esa`: the same on the losses after {@link earlyEpoch} epochs (candidates trained that
 *   long; a candidate already trained in full is read at that epoch instead);
 * - `hoa`: train singles and pairs, predict larger groups from the pairs;
 * - `tag`: one joint run recording the lookahead affinity, then TAG's selection;
 * - `random`: a random grouping within the budget (the baseline).
 *
 * Candidate losses are made summable by dividing each task's value by its single-task
 * network's (see {@link normalizeTable}). Candidate networks are trials handed to
 * `options.train` (sequential by default) and live in `<group>/candidates/<id>/`: a search
 * run again reads finished candidates and resumes started ones.
 *
 * @throws MtlError `grouping.no_budget`, `grouping.bad_method`, `grouping.too_few_tasks`,
 *   `grouping.budget_too_small` and the errors of the trials and selections
 */
export async function runGrouping(config: ExperimentConfig, options: GroupingOptions = {}): Promise<GroupingResult> {
  const settings = config.grouping ?? {};
  const method = options.method ?? settings.search ?? 'exact';
  if (!(GROUPING_METHODS as readonly string[]).includes(method)) {
    throw new MtlError({ code: 'grouping.bad_method', path: 'method', expected: `one of ${GROUPING_METHODS.join(', ')}`, found: JSON.stringify(method) });
  }
  const budget = options.budget ?? settings.budget;
  if (budget === undefined) {
    throw new MtlError({ code: 'grouping.no_budget', path: 'budget', expected: 'an inference budget in full-size networks', found: 'none', fix: 'pass --budget B or set grouping.budget in the experiment' });
  }
  const experiment = options.epochs !== undefined ? { ...config, training: { ...config.training, epochs: options.epochs } } : config;
  const tasks = experiment.tasks.map((t) => t.name);
  checkGroupingTasks(tasks);
  const epochs = experiment.training.epochs;
  const groupDir = options.groupDir ?? join('runs', `${config.name}-group`);
  const log = options.log ?? ((line: string) => console.log(line));
  const train = options.train ?? sequentialTrials;
  const criterion = settings.criterion ?? 'loss';
  const candidateOptions: CandidateOptions = {
    ...(settings.halfCost !== undefined ? { halfCost: settings.halfCost } : {}),
    ...(settings.maxGroupSize !== undefined ? { maxGroupSize: settings.maxGroupSize } : {}),
    ...(settings.subsets ? { subsets: settings.subsets } : {}),
  };
  // A budget that cannot serve every task fails before anything is trained.
  const costs = method === 'exact' || method === 'esa' ? standleyCandidates(tasks, candidateOptions) : [];
  const halfCost = settings.halfCost ?? 0.5;
  checkBudget(
    budget,
    method === 'exact' || method === 'esa'
      ? cheapestCover({ tasks, candidates: costs.map((c) => ({ ...c, values: Object.fromEntries(c.tasks.map((t) => [t, 0])) })) })
      : Math.min(1, halfCost === false ? Infinity : tasks.length * halfCost),
  );
  // A runner that cannot work (an unreachable queue) says so before anything trains.
  await train.prepare?.();
  mkdirSync(groupDir, { recursive: true });
  const context = { groupDir, log, ...(options.progress !== undefined ? { progress: options.progress } : {}) };
  const trialOf = (candidate: Candidate, trialEpochs = epochs): CandidateTrial => ({
    candidate,
    experiment: candidateExperiment(experiment, candidate, trialEpochs),
    folder: candidateFolder(candidate, trialEpochs, epochs),
  });
  const runTrials = async (candidates: readonly Candidate[], trialEpochs = epochs) => {
    const outcomes = await train(candidates.map((c) => trialOf(c, trialEpochs)), context);
    return new Map(outcomes.map((o, k) => [candidates[k]!.id, o]));
  };
  const cost = (outcomes: Iterable<CandidateOutcome>): PhaseCost => {
    const list = [...outcomes];
    return { trials: list.length, reused: list.filter((o) => o.reused).length, seconds: list.reduce((s, o) => s + o.seconds, 0) };
  };

  let selection: Selection;
  let predicted: Record<string, number | null> = {};
  let search: PhaseCost = { trials: 0, reused: 0, seconds: 0 };
  const trained = new Map<string, CandidateOutcome>();
  log(`grouping ${tasks.length} tasks, method ${method}, budget ${budget}, into ${groupDir}`);
  switch (method) {
    case 'exact':
    case 'esa': {
      const candidates = standleyCandidates(tasks, candidateOptions);
      let values: Map<string, Evaluation>;
      if (method === 'exact') {
        const outcomes = await runTrials(candidates);
        outcomes.forEach((o, id) => trained.set(id, o));
        values = new Map([...outcomes].map(([id, o]) => [id, o.validation]));
        search = cost(outcomes.values());
      } else {
        const early = earlyEpoch(epochs, settings.earlyFraction ?? EARLY_FRACTION);
        log(`ESA: candidates judged after epoch ${early} of ${epochs}`);
        // A candidate already trained in full (by an exact search) is read at that epoch: with a
        // constant learning rate its first epochs are those of a short run.
        const constantRate = !experiment.training.schedule || experiment.training.schedule.type === 'constant';
        const full = constantRate ? candidates.filter((c) => trialState(join(groupDir, 'candidates', candidateFolder(c, epochs, epochs)), trialOf(c).experiment) === 'finished') : [];
        const fullIds = new Set(full.map((c) => c.id));
        const shortOutcomes = await runTrials(candidates.filter((c) => !fullIds.has(c.id)), early);
        const fullOutcomes = new Map(full.map((c) => [c.id, { ...readCandidateOutcome(join(groupDir, 'candidates', candidateFolder(c, epochs, epochs)), c.id), reused: true }]));
        values = new Map(candidates.map((c) => [c.id, (fullOutcomes.get(c.id) ?? shortOutcomes.get(c.id))!.validationByEpoch[early - 1]!]));
        fullOutcomes.forEach((o, id) => trained.set(id, o));
        // The full runs only count for the epochs ESA read.
        search = cost([...shortOutcomes.values(), ...[...fullOutcomes.values()].map((o) => ({ ...o, seconds: (o.seconds * early) / epochs }))]);
      }
      const table = tableOf(experiment, candidates, values, criterion);
      selection = branchAndBound(table, budget);
      predicted = Object.fromEntries(tasks.map((t) => [t, selection.assignment[t]!.value]));
      break;
    }
    case 'hoa': {
      const candidates = pairCandidates(tasks, { ...(settings.halfCost !== undefined ? { halfCost: settings.halfCost } : {}) });
      const outcomes = await runTrials(candidates);
      outcomes.forEach((o, id) => trained.set(id, o));
      search = cost(outcomes.values());
      const table = tableOf(experiment, candidates, new Map([...outcomes].map(([id, o]) => [id, o.validation])), criterion);
      selection = selectPairwise(hoaModel(table), budget, { ...(settings.searchSeed !== undefined ? { seed: settings.searchSeed } : {}) });
      predicted = Object.fromEntries(tasks.map((t) => [t, selection.assignment[t]!.value]));
      break;
    }
    case 'tag': {
      const affinityRun = await affinityFor(experiment, groupDir, options, log);
      search = { trials: 1, reused: affinityRun.reused ? 1 : 0, seconds: affinityRun.seconds };
      const tag = selectTag(affinityTable(affinityRun.affinity), budget, {
        halfCost: settings.halfCost ?? 0.5,
        ...(settings.singletonScore !== undefined ? { singletonScore: settings.singletonScore } : {}),
        ...(settings.searchSeed !== undefined ? { seed: settings.searchSeed } : {}),
      });
      selection = tag;
      predicted = tag.scores;
      break;
    }
    case 'random': {
      const networks = randomGrouping(tasks, budget, { seed: settings.searchSeed ?? config.seed, ...(settings.halfCost !== undefined ? { halfCost: settings.halfCost } : {}) });
      const assignment = Object.fromEntries(networks.flatMap((n) => n.tasks.map((t) => [t, { network: n.id, value: NaN }])));
      const total = networks.reduce((s, n) => s + n.cost, 0);
      selection = {
        networks: networks.map((n) => ({ ...n, serves: [...n.tasks] })),
        assignment,
        total: NaN,
        cost: total,
        budget,
        optimal: false,
        bound: NaN,
        gap: NaN,
        evaluations: 0,
        solver: 'random',
      };
      predicted = Object.fromEntries(tasks.map((t) => [t, null]));
      break;
    }
  }

  let chosen: PhaseCost = { trials: 0, reused: 0, seconds: 0 };
  const result: GroupingResult = {
    experiment: config.name,
    method,
    budget,
    criterion,
    selection: {
      networks: selection.networks,
      cost: selection.cost,
      optimal: selection.optimal,
      gap: selection.gap,
      solver: selection.solver,
      objective: Number.isFinite(selection.total) ? selection.total : null,
    },
    tasks: Object.fromEntries(tasks.map((t) => [t, { network: selection.assignment[t]!.network, predicted: predicted[t] ?? null }])),
    search,
    chosen,
  };
  if (options.trainChosen ?? true) {
    const missing = selection.networks.filter((n) => !trained.has(n.id));
    if (missing.length > 0) log(`training the ${missing.length} chosen network${missing.length > 1 ? 's' : ''} the search did not train`);
    const outcomes = await runTrials(missing);
    outcomes.forEach((o, id) => trained.set(id, o));
    chosen = cost(outcomes.values());
    result.chosen = chosen;
    for (const t of tasks) {
      // Serve each task by the chosen network that is best for it on validation.
      const containing = selection.networks.filter((n) => n.tasks.includes(t)).map((n) => trained.get(n.id)!);
      const direction = criterionDirection(containing[0]!.validation, t, criterion);
      const score = (o: CandidateOutcome) => criterionValue(o.validation, t, criterion);
      const best = containing.reduce((a, b) => ((direction === 'lower' ? score(b) < score(a) : score(b) > score(a)) ? b : a));
      const metric = mainMetric(best.test, t);
      result.tasks[t] = {
        ...result.tasks[t]!,
        network: best.id,
        validation: { loss: best.validation[t]!.loss, metric, value: best.validation[t]!.metrics[metric]! },
        test: { loss: best.test[t]!.loss, metric, value: best.test[t]!.metrics[metric]! },
      };
    }
  }
  if (options.compare) {
    const allInOne: Candidate = { id: candidateId(tasks), tasks, size: 'full', cost: 1 };
    const singles: Candidate[] = tasks.map((t) => ({ id: t, tasks: [t], size: 'full', cost: 1 }));
    const outcomes = await runTrials([allInOne, ...singles].filter((c) => !trained.has(c.id)));
    outcomes.forEach((o, id) => trained.set(id, o));
    result.comparison = Object.fromEntries(
      tasks.map((t) => {
        const metric = mainMetric(trained.get(allInOne.id)!.test, t);
        return [t, { metric, grouped: result.tasks[t]!.test?.value ?? NaN, allInOne: trained.get(allInOne.id)!.test[t]!.metrics[metric]!, alone: trained.get(t)!.test[t]!.metrics[metric]! }];
      }),
    );
  }
  writeResult(groupDir, result);
  return result;
}

/** The main metric of a task in an evaluation: the first the task reports. */
function mainMetric(evaluation: Evaluation, task: string): string {
  return Object.keys(evaluation[task]!.metrics)[0]!;
}

function criterionDirection(evaluation: Evaluation, task: string, criterion: 'loss' | 'metric'): MetricDirection {
  if (criterion === 'loss') return 'lower';
  return METRICS[mainMetric(evaluation, task)]?.direction ?? 'higher';
}

function criterionValue(evaluation: Evaluation, task: string, criterion: 'loss' | 'metric'): number {
  return criterion === 'loss' ? evaluation[task]!.loss : evaluation[task]!.metrics[mainMetric(evaluation, task)]!;
}

/** The normalised table of trained candidates on the criterion (validation values). */
function tableOf(config: ExperimentConfig, candidates: readonly Candidate[], values: Map<string, Evaluation>, criterion: 'loss' | 'metric'): LossTable {
  const tasks = config.tasks.map((t) => t.name);
  const measured: ScoredCandidate[] = candidates.map((c) => ({ ...c, values: Object.fromEntries(c.tasks.map((t) => [t, criterionValue(values.get(c.id)!, t, criterion)])) }));
  const anyEvaluation = values.get(candidates.find((c) => c.tasks.length === tasks.length)?.id ?? candidates[0]!.id)!;
  const direction = Object.fromEntries(
    tasks.map((t) => {
      const holder = [...values.values()].find((e) => e[t]) ?? anyEvaluation;
      return [t, criterionDirection(holder, t, criterion)];
    }),
  ) as Record<string, MetricDirection>;
  return normalizeTable(tasks, measured, { direction });
}

/** The affinity run of a TAG search: read when finished, resumed when started. */
async function affinityFor(config: ExperimentConfig, groupDir: string, options: GroupingOptions, log: (line: string) => void) {
  const runDir = join(groupDir, 'affinity');
  const everyTask: Candidate = { id: candidateId(config.tasks.map((t) => t.name)), tasks: config.tasks.map((t) => t.name), size: 'full', cost: 1 };
  const experiment = candidateExperiment(config, everyTask);
  const state = trialState(runDir, experiment);
  if (state === 'finished' && existsSync(join(runDir, 'affinity.json'))) {
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { multiTask: { seconds: number } };
    return { affinity: readAffinity(runDir), seconds: summary.multiTask.seconds, reused: true };
  }
  log(`TAG: one joint run recording the affinity every ${config.grouping?.affinityEvery ?? 10} steps${state === 'started' ? ' (resumed)' : ''}`);
  const run = await runAffinity(experiment, {
    runDir,
    resume: state === 'started',
    progress: options.progress ?? false,
    log: () => {},
  });
  return { affinity: run.affinity, seconds: run.summary.multiTask!.seconds, reused: false };
}

/** The averaged affinity as TAG's table. @throws MtlError `grouping.bad_matrix` for a pair never measured */
function affinityTable(record: { tasks: string[]; affinity: (number | null)[][] }): AffinityTable {
  record.affinity.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i !== j && (v === null || v === undefined)) {
        throw new MtlError({
          code: 'grouping.bad_matrix',
          path: `affinity ${record.tasks[i]} → ${record.tasks[j]}`,
          expected: 'a measured affinity for every pair of tasks',
          found: 'none (the two tasks never had labels in the same recorded batch)',
          fix: 'record more often (grouping.affinityEvery) or train longer',
        });
      }
    }),
  );
  return { tasks: record.tasks, values: record.affinity.map((row) => row.map((v) => v ?? 0)) };
}

/** Add (or replace) this method and budget's result in `<group>/grouping.json`, written atomically. */
function writeResult(groupDir: string, result: GroupingResult): void {
  const path = join(groupDir, 'grouping.json');
  const all: { experiment: string; results: Record<string, GroupingResult> } = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { experiment: string; results: Record<string, GroupingResult> })
    : { experiment: result.experiment, results: {} };
  all.results[`${result.method}@${result.budget}`] = result;
  writeFileSync(path + '.tmp', JSON.stringify(all, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

/** Read `<group>/grouping.json`: every method and budget searched in the folder. */
export function readGroupingResults(groupDir: string): Record<string, GroupingResult> {
  const path = join(groupDir, 'grouping.json');
  if (!existsSync(path)) {
    throw new MtlError({ code: 'grouping.no_result', path, expected: 'the results of mtl group', found: 'none', fix: 'run mtl group <experiment> --group-dir ' + groupDir });
  }
  return (JSON.parse(readFileSync(path, 'utf8')) as { results: Record<string, GroupingResult> }).results;
}
