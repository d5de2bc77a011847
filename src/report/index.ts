/**
 * `tfjs-multitask/report`: reports, figures, results tables and the live dashboard, drawn from
 * run and sweep folders only (see docs/reports.md). A separate entry point so that the
 * library's main entry does not load Vega.
 *
 * @example
 * import { collectInputs, tableFromRuns, writeReport } from 'tfjs-multitask/report';
 * console.log(tableFromRuns(collectInputs(['runs/table-multimnist']).runs, { firstColumn: 'method' }));
 * await writeReport(['runs/multimnist'], { out: 'report.html', svgDir: 'figures' });
 */
export { buildReport, renderReport, reportFromFolders, runFacts, type Report, type ReportOptions, type ReportSection } from './buildReport.js';
export { comparisonFigures } from './comparisonFigures.js';
export { startDashboard, DEFAULT_DASHBOARD_PORT, type Dashboard, type DashboardOptions } from './dashboard/dashboardServer.js';
export type { Figure } from './figure.js';
export { formatMeanStd, meanStd } from '../evaluation/meanStd.js';
export { parseMetricsLog, type ArchitectureLine, type DiagnosticsLine, type EpochLine, type MetricsLog } from './metricsLog.js';
export { renderSvg, type RenderedFigure } from './renderFigure.js';
export { collectInputs, findRunFolders, readSweep, type ReportInputs, type SweepData } from './reportInputs.js';
export { reportHtml } from './reportPage.js';
export { resultsTable, tableFromRuns, type ResultsTable, type TableOptions } from './resultsTable.js';
export { configurationResults, groupConfigurations, paretoOptimal, runDeltaM, type Configuration, type ConfigurationResult } from './runComparison.js';
export { runFigures } from './runFigures.js';
export { readRun, type RunData } from './runFolder.js';
export { parseAffinity, parseGrouping, type AffinityMatrix, type TaskGrouping } from './taskGroupsFile.js';
export { writeReport, type WriteReportOptions, type WrittenReport } from './writeReport.js';
export type { LoggedGate, LoggedStitch, LoggedTaskEvaluation } from './metricsLog.js';
export type { PolicyView, RunConfigView, RunSummaryView, SummaryEvaluation } from './runFolder.js';
export type { GroupedNetwork } from './taskGroupsFile.js';
