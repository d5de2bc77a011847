import { comparisonFigures } from './comparisonFigures.js';
import type { Figure } from './figure.js';
import { formatMeanStd } from '../evaluation/meanStd.js';
import { collectInputs, shortRunName, sweepLabeler, type ReportInputs } from './reportInputs.js';
import { renderAll, type RenderedFigure } from './renderFigure.js';
import { resultsTable, type ResultsTable } from './resultsTable.js';
import { configurationResults, groupConfigurations, runDeltaM, runSeed } from './runComparison.js';
import { affinityFigure, groupingFigure, runFigures, runPrefix } from './runFigures.js';
import type { RunData } from './runFolder.js';

/** One section of a report: a run, a sweep's grouping results, or the comparison of several runs. */
export interface ReportSection<F extends Figure = Figure> {
  id: string;
  heading: string;
  /** The folder it was read from. */
  path?: string;
  /** Label/value facts shown above the figures (status, method, epochs, Δm, …). */
  facts: [string, string][];
  /** What is missing or could not be read. */
  problems: string[];
  figures: F[];
  table?: ResultsTable;
}

/** A report before (`Figure`) or after (`RenderedFigure`) rendering. */
export interface Report<F extends Figure = Figure> {
  title: string;
  /** ISO time it was made. */
  created: string;
  sections: ReportSection<F>[];
}

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** The page title. @defaultValue 'mtl report: <names>' */
  title?: string;
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined ? '—' : v.toFixed(digits));

/** The facts line of a run: status, what was trained, how far, and the headline result. */
export function runFacts(run: RunData, all: readonly RunData[]): [string, string][] {
  const c = run.config;
  const epochsDone = run.log.epochs.length;
  const planned = c?.training?.epochs;
  const facts: [string, string][] = [
    ['status', run.status === 'finished' ? 'finished' : run.status === 'baselines' ? 'single-task baselines only' : `incomplete (${epochsDone} epoch${epochsDone === 1 ? '' : 's'} logged)`],
  ];
  if (run.tasks.length > 0) facts.push(['tasks', run.tasks.join(', ')]);
  if (c) {
    facts.push(['architecture', c.model?.architecture ?? 'hard-sharing']);
    const options = c.weighting?.options && Object.keys(c.weighting.options).length > 0 ? ` ${JSON.stringify(c.weighting.options)}` : '';
    facts.push(['method', `${c.weighting?.method ?? 'equal'}${options}${c.weighting?.gradientMode ? ` (${c.weighting.gradientMode} gradients)` : ''}`]);
    if (c.seed !== undefined) facts.push(['seed', String(c.seed)]);
  }
  facts.push(['epochs', planned !== undefined ? `${epochsDone} of ${planned}` : String(epochsDone)]);
  const last = run.log.epochs.at(-1);
  if (last) {
    facts.push(['steps', String(last.step)]);
    if (last.stepsPerSecond !== undefined) facts.push(['last epoch', `${fmt(last.seconds)} s, ${fmt(last.stepsPerSecond)} steps/s`]);
  }
  const m = run.summary?.multiTask;
  if (m?.parameters !== undefined) facts.push(['parameters', m.parameters.toLocaleString('en-US')]);
  if (m?.seconds !== undefined) facts.push(['training time', `${m.seconds.toFixed(0)} s`]);
  if (m) {
    for (const [task, e] of Object.entries(m.evaluation)) {
      facts.push([`test ${task}`, Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')]);
    }
  }
  const d = runDeltaM(run, all);
  if (d !== undefined) facts.push(['Δm', `${d >= 0 ? '+' : ''}${d.toFixed(2)}% (lower is better)`]);
  if (run.summary?.backend) facts.push(['backend', run.summary.backend]);
  return facts;
}

/**
 * The report of a set of runs (figures not yet rendered): a comparison section when
 * there are several runs (results table with mean ± std over seeds, Δm, Pareto plot,
 * curves per configuration), a section per sweep with grouping results, and a section
 * per run with its own figures and what is missing from it.
 */
export function buildReport(inputs: ReportInputs, options: ReportOptions = {}): Report {
  const { runs, sweeps } = inputs;
  const sections: ReportSection[] = [];
  const sweepLabel = sweepLabeler(sweeps);
  if (runs.length > 1) {
    const configurations = groupConfigurations(runs, sweepLabel);
    const results = configurationResults(configurations, runs);
    const finished = runs.filter((r) => r.summary?.multiTask || r.summary?.singleTask).length;
    const problems = finished === 0 ? ['no run has final results yet: the comparison shows the training curves only'] : [];
    const seeds = [...new Set(runs.map(runSeed).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
    const bestDelta = results.filter((r) => !r.singleTask && r.deltaM.length > 0).sort((a, b) => formatOrder(a.deltaM) - formatOrder(b.deltaM))[0];
    sections.push({
      id: 'comparison',
      heading: 'Comparison',
      facts: [
        ['runs', `${runs.length} (${finished} with final results)`],
        ['configurations', String(results.filter((r) => !r.singleTask).length)],
        ...(seeds.length > 0 ? [['seeds', seeds.join(', ')] as [string, string]] : []),
        ...(bestDelta ? [['lowest Δm', `${bestDelta.label}: ${formatMeanStd(bestDelta.deltaM)}%`] as [string, string]] : []),
      ],
      problems,
      figures: comparisonFigures(results),
      ...(finished > 0 ? { table: resultsTable(runs, { label: sweepLabel }) } : {}),
    });
  }
  for (const s of sweeps) {
    const figures = [s.affinity ? affinityFigure(s.affinity, 'sweep--') : undefined, s.grouping ? groupingFigure(s.grouping, 'sweep--') : undefined].filter((f): f is Figure => f !== undefined);
    sections.push({ id: `sweep-${sections.length}`, heading: `Sweep ${s.name}`, path: s.dir, facts: [['trials', String(s.trials.size || runs.filter((r) => r.dir.startsWith(s.dir)).length)]], problems: s.problems, figures });
  }
  const usedPrefixes = new Set<string>();
  for (const run of runs) {
    const name = shortRunName(run, runs);
    let prefix = runs.length > 1 ? runPrefix(name) : '';
    while (usedPrefixes.has(prefix)) prefix = `${prefix}x-`;
    usedPrefixes.add(prefix);
    sections.push({ id: `run-${prefix || 'main'}`.replace(/-+$/, ''), heading: runs.length > 1 ? name : run.name, path: run.dir, facts: runFacts(run, runs), problems: run.problems, figures: runFigures(run, runs, prefix) });
  }
  const names = runs.length <= 3 ? runs.map((r) => r.name).join(', ') : `${runs.length} runs`;
  return { title: options.title ?? `mtl report: ${names || sweeps.map((s) => s.name).join(', ')}`, created: new Date().toISOString(), sections };
}

function formatOrder(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Render every figure of a report to SVG. */
export async function renderReport(report: Report): Promise<Report<RenderedFigure>> {
  const sections: ReportSection<RenderedFigure>[] = [];
  for (const s of report.sections) sections.push({ ...s, figures: await renderAll(s.figures) });
  return { ...report, sections };
}

/** Read the folders and build their report (see {@link collectInputs} and {@link buildReport}). */
export function reportFromFolders(paths: readonly string[], options: ReportOptions = {}): Report {
  return buildReport(collectInputs(paths), options);
}
