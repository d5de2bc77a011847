import type { Command } from '../command.js';

/** `mtl report`: one self-contained HTML report (and optionally SVG figures and a Markdown table) from run and sweep folders. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'write an HTML report of run or sweep folders: curves, weights, gradient conflicts, Δm, comparisons (--svg, --markdown)',
  usage: 'mtl report <run or sweep folder…> [--out report.html] [--svg DIR] [--markdown FILE] [--title TEXT]',
  description:
    'Reads run folders (a sweep folder is read as its trial runs; any other folder as the runs below it) and writes one\n' +
    'self-contained HTML page that opens offline: per-task loss and metric curves, task weights, gradient norms and the\n' +
    'gradient-cosine heatmap (training.diagnosticsEvery), multi-task against single-task metrics with Δm, AdaShare\'s\n' +
    'policy, MMoE/PLE gate usage, cross-stitch weights, task affinity and groups where present; several runs are also\n' +
    'compared side by side (seeds as mean ± std, a Pareto plot). What a run folder lacks is shown, not fatal.\n' +
    'Reads the folders only: nothing in them is written.',
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, names: 'run or sweep folders', example: 'mtl report runs/multimnist' },
  options: {
    out: { type: 'string', value: 'FILE', description: 'the HTML file to write (default report.html)' },
    svg: { type: 'string', value: 'DIR', description: 'also write every figure as an SVG file into DIR' },
    markdown: { type: 'string', value: 'FILE', description: "write the results table (mean ± std over seeds, Δm) as Markdown ('-': print it)" },
    title: { type: 'string', value: 'TEXT', description: 'the page title' },
  },
  examples: [
    'mtl report runs/multimnist',
    'mtl report runs/table-multimnist --out methods.html --svg figures/',
    'mtl report runs/mmoe runs/ple runs/hard-sharing --markdown -',
  ],
  async run(context) {
    const { values } = context;
    const out = (values.out as string | undefined) ?? 'report.html';
    const markdown = values.markdown as string | undefined;
    // Loaded on use: Vega is not needed by the other commands.
    const { writeReport } = await import('../../report/writeReport.js');
    const written = await writeReport(context.positionals, {
      out,
      ...(values.svg ? { svgDir: values.svg as string } : {}),
      ...(markdown && markdown !== '-' ? { markdown } : {}),
      ...(values.title ? { title: values.title as string } : {}),
    });
    const figures = written.report.sections.reduce((n, s) => n + s.figures.length, 0);
    for (const s of written.report.sections) {
      for (const p of s.problems) context.log(`note: ${s.heading}: ${p}`);
    }
    if (markdown === '-') context.log(written.table || 'No run has final results yet.');
    context.log(`report: ${written.runs} run${written.runs === 1 ? '' : 's'}, ${figures} figure${figures === 1 ? '' : 's'} → ${written.files.join(', ')}`);
    return 0;
  },
};
