/**
 * Re-derive the Δm columns of the result tables in Markdown files (default: docs/results.md)
 * from the per-task numbers printed beside them, with the library's definition
 * (`deltaMByTask`: per task first, then over tasks) and with the over-all-metrics form
 * of Maninis et al. / Nash-MTL (`deltaMOverMetrics`), for when the run folders behind a
 * table are not at hand.
 *
 *   node --import tsx bench/deltaMTables.ts [file.md ...]
 *
 * Two kinds of table are read:
 * - a single run per row group (`| data set | epochs | task | multi-task | single-task | Δm |`):
 *   Δm is recomputed exactly from the printed values (up to their rounding);
 * - method / architecture tables with a `single-task` row and `mean ± std` cells: the
 *   printed Δm is the mean over seeds of each seed's Δm (against that seed's baselines),
 *   which the means alone cannot give exactly; the script reports Δm of the means beside
 *   it and how far apart they are.
 * In both, every task has one metric (accuracy), so the two definitions must coincide:
 * the script checks it row by row and exits with status 1 if they ever differ.
 */
import { readFileSync } from 'node:fs';
import { deltaMByTask, deltaMOverMetrics, type MetricComparison } from '../src/evaluation/deltaM.js';

const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['docs/results.md'];

/** The tables of a Markdown text: header cells and rows of cells, with the line of the header. */
function tables(text: string): Array<{ line: number; header: string[]; rows: string[][] }> {
  const lines = text.split('\n');
  const out: Array<{ line: number; header: string[]; rows: string[][] }> = [];
  const cells = (l: string) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\|\s*-{3}/.test(lines[i + 1]!.trim())) continue;
    const header = cells(lines[i]!);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
    out.push({ line: i + 1, header, rows });
    i = j;
  }
  return out;
}

/** The number a cell starts with (`92.40%`, `91.23 ± 1.04`, `−1.64 ± 0.88`, `+0.14%`, `81.12%*`); NaN if none. */
function leading(cell: string): number {
  const m = /^([+−-]?\d+(?:\.\d+)?)/.exec(cell.replace(/\*/g, '').trim());
  return m ? Number(m[1]!.replace('−', '-')) : NaN;
}

let worstDefinitionGap = 0;
let rowsChecked = 0;
const report: string[] = [];
for (const file of files) {
  for (const t of tables(readFileSync(file, 'utf8'))) {
    const dm = t.header.indexOf('Δm');
    if (dm < 0) continue;
    const comparisons = (pairs: Array<[string, number, number]>): MetricComparison[] =>
      pairs.map(([task, m, s]) => ({ task, metric: 'accuracy', direction: 'higher', multiTask: m, singleTask: s }));
    const check = (label: string, pairs: Array<[string, number, number]>, printed: number, exact: boolean) => {
      const c = comparisons(pairs);
      const byTask = deltaMByTask(c).deltaM;
      const overMetrics = deltaMOverMetrics(c);
      worstDefinitionGap = Math.max(worstDefinitionGap, Math.abs(byTask - overMetrics));
      rowsChecked++;
      const gap = byTask - printed;
      report.push(`| ${file}:${t.line} | ${label} | ${printed.toFixed(2)} | ${byTask.toFixed(2)} | ${overMetrics.toFixed(2)} | ${exact ? (Math.abs(gap) < 0.006 ? 'same' : `differs by ${gap.toFixed(3)}`) : `${gap >= 0 ? '+' : ''}${gap.toFixed(2)} (Δm of the means)`} |`);
    };
    if (t.header.includes('multi-task') && t.header.includes('single-task') && t.header.includes('task')) {
      // One run per group of rows: the first row of a group names the data set and holds Δm.
      const [ti, mi, si] = ['task', 'multi-task', 'single-task'].map((h) => t.header.indexOf(h)) as [number, number, number];
      let group: { label: string; pairs: Array<[string, number, number]>; printed: number } | undefined;
      const flush = () => group && group.pairs.length > 0 && check(group.label, group.pairs, group.printed, true);
      for (const row of t.rows) {
        if (row[0]) {
          flush();
          group = { label: `${row[0]} (${row[1]} epochs)`, pairs: [], printed: leading(row[dm]!) };
        }
        group?.pairs.push([row[ti]!, leading(row[mi]!), leading(row[si]!)]);
      }
      flush();
      continue;
    }
    const single = t.rows.find((r) => r[0]!.startsWith('single-task'));
    if (!single) continue;
    const taskColumns = t.header.map((_, k) => k).filter((k) => k < dm && Number.isFinite(leading(single[k]!)));
    for (const row of t.rows) {
      if (row === single) continue;
      const pairs = taskColumns.map((k): [string, number, number] => [t.header[k]!, leading(row[k]!), leading(single[k]!)]);
      if (pairs.some(([, m]) => !Number.isFinite(m)) || !Number.isFinite(leading(row[dm]!))) continue;
      check(row.slice(0, taskColumns[0]).join(' / '), pairs, leading(row[dm]!), false);
    }
  }
}
console.log('| table | row | Δm printed | Δm per task first (tfjs-multitask) | Δm over all metrics (Maninis / Nash-MTL) | recomputed vs printed |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const line of report) console.log(line);
console.log(`\n${rowsChecked} rows; one metric per task in every table, so the two definitions coincide: largest difference ${worstDefinitionGap.toExponential(1)} points.`);
if (worstDefinitionGap > 1e-9) process.exitCode = 1;
