/**
 * The README's report screenshot (docs/images/report.png), made, not drawn: trains the
 * tabular patients example with three configurations × two seeds (hard sharing with
 * equal weights and with PCGrad, MMoE with equal weights; the single-task baselines once
 * per seed), writes their `mtl report`, and screenshots its comparison section in
 * headless Chromium (the system's, through playwright-core).
 *
 *   npm run docs:screenshot [-- --out docs/images/report.png] [--keep DIR]
 *
 * About a minute here. --keep DIR leaves the runs and report.html in DIR.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/runExperiment.js';
import { writeReport } from '../src/report/writeReport.js';
import { findChromium, launchChromium } from './headlessChromium.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/images/report.png' }, keep: { type: 'string' } } });
const chromiumPath = findChromium();
if (!chromiumPath) {
  console.error('docs:screenshot needs Chromium: apt-get install chromium (or set MTL_CHROMIUM)');
  process.exit(1);
}
await selectBackend(undefined, { log: () => {} });
const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'mtl-docs-'));
mkdirSync(work, { recursive: true });
const base = readExperiment('examples/patients-missing-labels.yaml');
const configurations = [
  { label: 'equal', weighting: { method: 'equal' as const }, model: base.model },
  { label: 'pcgrad', weighting: { method: 'pcgrad' as const }, model: base.model },
  { label: 'mmoe', weighting: { method: 'equal' as const }, model: { architecture: 'mmoe' as const, encoder: { type: 'mlp' as const, hidden: [32] }, options: { experts: 4 } } },
];
try {
  for (const seed of [0, 1]) {
    for (const [k, c] of configurations.entries()) {
      const config = { ...base, name: `patients-${c.label}-s${seed}`, seed, weighting: c.weighting, model: c.model, training: { ...base.training, epochs: 15, diagnosticsEvery: 4 }, baselines: k === 0 } as typeof base;
      await runExperiment(config, { runDir: join(work, 'runs', `${c.label}-s${seed}`), progress: false, log: () => {} });
      console.error(`trained ${c.label} seed ${seed}`);
    }
  }
  const reportPath = join(work, 'report.html');
  await writeReport([join(work, 'runs')], { out: reportPath, title: 'mtl report: patients, three configurations × two seeds' });
  const browser = await launchChromium(chromiumPath, { width: 1280, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`file://${reportPath}`);
    const out = resolve(values.out!);
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1280, height: 1500 }, fullPage: true });
    console.error(`wrote ${out} (report: ${reportPath}${values.keep ? '' : ', removed'})`);
  } finally {
    await browser.close();
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
