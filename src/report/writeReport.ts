import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildReport, renderReport, type Report } from './buildReport.js';
import { collectInputs, sweepLabeler } from './reportInputs.js';
import { reportHtml } from './reportPage.js';
import type { RenderedFigure } from './renderFigure.js';
import { tableFromRuns } from './resultsTable.js';

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** The HTML file to write; undefined writes none. */
  out?: string;
  /** A folder to write every figure into as `<id>.svg`. */
  svgDir?: string;
  /** A file to write the results table into as Markdown. */
  markdown?: string;
  title?: string;
}

/** What {@link writeReport} made. */
export interface WrittenReport {
  report: Report<RenderedFigure>;
  /** The results table in Markdown (also written to `markdown` when given). */
  table: string;
  files: string[];
  runs: number;
}

/** Write a file whole or not at all (a temporary file renamed over it), creating its folder. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Read run and sweep folders and write their report: the self-contained HTML page
 * (`out`), every figure as an SVG file (`svgDir`) and the results table as Markdown
 * (`markdown`). Reads the folders only; writes only the files asked for.
 */
export async function writeReport(paths: readonly string[], options: WriteReportOptions): Promise<WrittenReport> {
  const inputs = collectInputs(paths);
  const report = await renderReport(buildReport(inputs, options.title ? { title: options.title } : {}));
  const files: string[] = [];
  if (options.out) {
    writeFileAtomic(options.out, reportHtml(report));
    files.push(options.out);
  }
  if (options.svgDir) {
    mkdirSync(options.svgDir, { recursive: true });
    for (const s of report.sections) {
      for (const f of s.figures) {
        const path = join(options.svgDir, `${f.id}.svg`);
        writeFileAtomic(path, `<?xml version="1.0" encoding="UTF-8"?>\n${f.svg}\n`);
        files.push(path);
      }
    }
  }
  const table = inputs.runs.some((r) => r.summary) ? tableFromRuns(inputs.runs, { label: sweepLabeler(inputs.sweeps) }) : '';
  if (options.markdown) {
    writeFileAtomic(options.markdown, table || 'No run has final results yet.\n');
    files.push(options.markdown);
  }
  return { report, table, files, runs: inputs.runs.length };
}
