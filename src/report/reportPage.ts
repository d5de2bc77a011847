import type { Report, ReportSection } from './buildReport.js';
import type { RenderedFigure } from './renderFigure.js';
import { escapeXml } from './renderFigure.js';
import type { ResultsTable } from './resultsTable.js';

/** The stylesheet of the report and the dashboard (inlined: the page needs no other file). */
export const REPORT_CSS = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e6ec; --panel: #ffffff; --bg: #f5f6f8; --accent: #2f5fa7; --warn-bg: #fff7e0; --warn-line: #f0c36d; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
header.top { background: var(--ink); color: #fff; padding: 14px 24px; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header.top h1 { font-size: 18px; margin: 0; font-weight: 600; }
header.top .meta { color: #b8c0d0; font-size: 12px; }
nav.toc { padding: 8px 24px; background: #fff; border-bottom: 1px solid var(--line); font-size: 13px; display: flex; gap: 6px 14px; flex-wrap: wrap; }
nav.toc a { color: var(--accent); text-decoration: none; }
main { padding: 16px 24px 48px; max-width: 1800px; }
section.block { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 0 0 18px; }
section.block > h2 { font-size: 17px; margin: 0 0 2px; }
.path { color: var(--muted); font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 6px 18px; margin: 12px 0; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.problems { background: var(--warn-bg); border: 1px solid var(--warn-line); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.problems strong { display: block; margin-bottom: 2px; }
.problems ul { margin: 0; padding-left: 18px; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 12px; }
figure.figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px; background: #fff; max-width: 100%; overflow-x: auto; }
figure.figure svg { display: block; max-width: none; height: auto; }
figure.figure figcaption { color: var(--muted); font-size: 12px; max-width: 640px; margin-top: 6px; }
table.results { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
table.results th, table.results td { border-bottom: 1px solid var(--line); padding: 4px 12px; text-align: right; white-space: nowrap; }
table.results th:first-child, table.results td:first-child { text-align: left; white-space: normal; max-width: 460px; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table.results thead th { border-bottom: 2px solid #c9ced8; }
.caption { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
`;

function tableHtml(t: ResultsTable): string {
  return (
    `<p class="caption">${escapeXml(t.caption)}</p>` +
    `<div class="table-wrap"><table class="results"><thead><tr>${t.header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>` +
    t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table></div>` +
    (t.notes.length > 0 ? `<ul class="caption">${t.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>` : '')
  );
}

/** One figure as a `<figure>` element with its inline SVG. */
export function figureHtml(f: RenderedFigure): string {
  return `<figure class="figure" id="fig-${escapeXml(f.id)}" data-figure="${escapeXml(f.id)}">${f.svg}<figcaption>${escapeXml(f.caption)}</figcaption></figure>`;
}

/** The problems box of a section ("what is missing"), or nothing. */
export function problemsHtml(problems: readonly string[]): string {
  if (problems.length === 0) return '';
  return `<div class="problems" role="note"><strong>Missing or unreadable</strong><ul>${problems.map((p) => `<li>${escapeXml(p)}</li>`).join('')}</ul></div>`;
}

/** The facts list of a section. */
export function factsHtml(facts: readonly [string, string][]): string {
  return `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd></div>`).join('')}</dl>`;
}

/** A section's body: facts, problems, results table and figures. */
export function sectionBodyHtml(s: ReportSection<RenderedFigure>): string {
  return (
    factsHtml(s.facts) +
    problemsHtml(s.problems) +
    (s.table ? tableHtml(s.table) : '') +
    (s.figures.length > 0 ? `<div class="figures">${s.figures.map(figureHtml).join('')}</div>` : '<p class="empty">No figures: nothing logged yet.</p>')
  );
}

/**
 * The report as one self-contained HTML page: inline CSS and inline SVG figures, no
 * script and no external resource, so it opens offline and can be mailed or archived.
 */
export function reportHtml(report: Report<RenderedFigure>): string {
  const toc = report.sections.map((s) => `<a href="#${escapeXml(s.id)}">${escapeXml(s.heading)}</a>`).join('');
  const body = report.sections
    .map(
      (s) =>
        `<section class="block" id="${escapeXml(s.id)}"><h2>${escapeXml(s.heading)}</h2>${s.path ? `<div class="path">${escapeXml(s.path)}</div>` : ''}${sectionBodyHtml(s)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tfjs-multitask report">
<title>${escapeXml(report.title)}</title>
<link rel="icon" href="data:,">
<style>${REPORT_CSS}</style></head>
<body><header class="top"><h1>${escapeXml(report.title)}</h1><span class="meta">made ${escapeXml(report.created.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</span></header>
${report.sections.length > 1 ? `<nav class="toc">${toc}</nav>` : ''}
<main>
${body}
</main></body></html>
`;
}
