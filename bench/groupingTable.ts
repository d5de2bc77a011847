/**
 * The planted grouping benchmark's figures (docs/grouping.md), generated from its run folders:
 * for each seed, every method's choice at the budget, its cost in trainings and training
 * time, and how sharing within and across the clusters compares with training alone; the
 * affinity matrix of the first seed.
 *
 *   node --import tsx bench/groupingTable.ts [--experiment examples/planted-clusters.yaml]
 *     [--seeds 0,1,2] [--budgets 2] [--methods esa,exact,hoa,tag,random] [--out DIR]
 *     [--clusters 3,3,3,3] [--jobs N] [--threads N] [--write docs/grouping.md] [--section planted-benchmark]
 *
 * `--clusters` replaces the synthetic-clusters layout (and the tasks: a1, a2, …, b1, …).
 * `--budgets 1,2,3` searches each budget (`--budget` is the same flag). With `--jobs` the
 * candidates train on the local pool (`mtl group --jobs`), else one after the other here.
 *
 * Planted data (synthetic-clusters) get the planted-grouping column and the within/across
 * table; any other experiment (the real-images study) gets, per budget and method, every
 * task's test metric next to the all-in-one network and the all-separate networks (the
 * searches run with `compare`).
 *
 * Searches already finished in the folders (runs/<name>-group-s<seed>/ by default) are read,
 * not run again, so the command can be stopped and started again; `--write` replaces the
 * generated section of the document (between its planted-benchmark markers).
 * ESA runs first in each folder, so its trainings are its own short runs; HOA then reads the
 * single-task and pair networks the exact search trained (their training time is counted).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { clusterTaskNames } from '../src/data/syntheticClusters.js';
import { readExperiment, validateExperiment } from '../src/experiment/config.js';
import { readCandidateOutcome } from '../src/grouping/candidateTrials.js';
import { readAffinity } from '../src/grouping/runAffinity.js';
import { readGroupingResults, runGrouping, type GroupingMethod, type GroupingResult } from '../src/grouping/runGrouping.js';
import { candidatesOnRunner } from '../src/grouping/trialRunnerCandidates.js';
import { localPool } from '../src/trials/localPool.js';
import { METRICS } from '../src/tasks/metrics.js';
import { machineLine } from './machine.js';

const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'examples/planted-clusters.yaml' },
    seeds: { type: 'string', default: '0,1,2' },
    budget: { type: 'string' },
    budgets: { type: 'string' },
    jobs: { type: 'string' },
    threads: { type: 'string' },
    methods: { type: 'string', default: 'esa,exact,hoa,tag,random' },
    out: { type: 'string' },
    write: { type: 'string' },
    section: { type: 'string', default: 'planted-benchmark' },
    clusters: { type: 'string' },
  },
});
const backend = await selectBackend(undefined, { log: () => {} });
const experiment = readExperiment(values.experiment!);
const layout = values.clusters?.split(',').map(Number);
const base = layout
  ? validateExperiment({
      ...experiment,
      name: `${experiment.name}-${layout.reduce((a, b) => a + b, 0)}-tasks`,
      data: { ...experiment.data, clusters: layout } as typeof experiment.data,
      tasks: clusterTaskNames(layout).map((name) => ({ name, kind: 'regression' })),
    })
  : experiment;
const seeds = values.seeds!.split(',').map(Number);
const budgets = (values.budgets ?? values.budget ?? '2').split(',').map(Number);
const budget = budgets[0]!;
const methods = values.methods!.split(',') as GroupingMethod[];
const planted = base.data.source === 'synthetic-clusters';
const train =
  values.jobs !== undefined || values.threads !== undefined
    ? candidatesOnRunner({
        runner: localPool({ ...(values.jobs ? { jobs: Number(values.jobs) } : {}), ...(values.threads ? { threads: Number(values.threads) } : {}), backend: backend.name }),
      })
    : undefined;
const folder = (seed: number) => join(values.out ?? 'runs', `${base.name}-group-s${seed}`);
const tasks = base.tasks.map((t) => t.name);
const clusterOf = (t: string) => t.replace(/\d+$/, '');
const plantedGroups = [...new Set(tasks.map(clusterOf))].map((c) => tasks.filter((t) => clusterOf(t) === c).join('+')).sort();

const results: Record<number, Record<string, GroupingResult>> = {};
for (const seed of seeds) {
  const config = validateExperiment({ ...base, seed });
  const dir = folder(seed);
  const done = existsSync(join(dir, 'grouping.json')) ? readGroupingResults(dir) : {};
  for (const b of budgets) {
    for (const method of methods) {
      const finished = done[`${method}@${b}`];
      if (finished && (planted || finished.comparison)) continue;
      console.error(`seed ${seed}: ${method} at budget ${b}`);
      await runGrouping(config, { method, budget: b, groupDir: dir, compare: !planted, ...(train ? { train } : {}), log: (l) => console.error(`  ${l}`), progress: false });
    }
  }
  results[seed] = readGroupingResults(dir);
}

const flags =
  (values.experiment !== 'examples/planted-clusters.yaml' ? ` --experiment ${values.experiment}` : '') +
  ` --seeds ${seeds.join(',')} --budget${budgets.length > 1 ? 's' : ''} ${budgets.join(',')} --methods ${methods.join(',')}` +
  (layout ? ` --clusters ${layout.join(',')}` : '') +
  (values.jobs ? ` --jobs ${values.jobs}` : '') +
  (values.threads ? ` --threads ${values.threads}` : '') +
  (values.write ? ` --write ${values.write}` : '') +
  (values.section !== 'planted-benchmark' ? ` --section ${values.section}` : '');
const lines: string[] = [];
if (!planted) realImagesTables();
else plantedTables();

/** The planted benchmark's tables (one budget): the choice against the planted grouping, and sharing within and across clusters. */
function plantedTables(): void {
  lines.push(
    `Generated by \`node --import tsx bench/groupingTable.ts${flags}\` from the run folders ` +
      `(${values.experiment}, ${tasks.length} tasks, budget ${budget}); backend ${backend.description}; written on ${machineLine()}. ` +
      'Training times are seconds of training as each run recorded them, on that machine shared with other jobs.',
    '',
    '| seed | method | networks chosen | planted grouping | trainings | training time | exact ÷ this | test loss (mean over tasks) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const seed of seeds) {
    const exact = results[seed]![`exact@${budget}`];
    for (const method of methods) {
      const r = results[seed]![`${method}@${budget}`]!;
      const chosen = r.selection.networks.map((n) => n.id).sort();
      const trainings = r.search.trials + r.chosen.trials;
      const seconds = r.search.seconds + r.chosen.seconds;
      const exactSeconds = exact ? exact.search.seconds + exact.chosen.seconds : NaN;
      const testLoss = Object.values(r.tasks).reduce((s, t) => s + t.test!.loss, 0) / Object.keys(r.tasks).length;
      lines.push(
        `| ${seed} | ${method} | ${chosen.map((c) => `{${c.replace(/\+/g, ', ')}}`).join(' ')} | ${chosen.join() === plantedGroups.join() ? 'yes' : 'no'} | ` +
          `${r.search.trials}${r.chosen.trials > 0 ? ` + ${r.chosen.trials}` : ''} | ${seconds.toFixed(0)} s | ${method === 'exact' || !exact ? '—' : `${(exactSeconds / seconds).toFixed(1)}×`} | ${testLoss.toFixed(4)} |`,
      );
    }
  }
  lines.push(
    '',
    '"trainings": networks the search trained (+ chosen networks trained after it).' +
      (methods.includes('exact') && methods.includes('hoa') ? " HOA counts the single-task and pair networks it needs, read from the exact search's folder." : '') +
      (methods.includes('esa') ? ' ESA ran first, on its own short runs.' : ''),
  );

  // Sharing within and across clusters against training alone, on test, from the exact search's candidates.
  const haveCandidates = seeds.every((seed) => existsSync(join(folder(seed), 'candidates', tasks.join('+'), 'summary.json')));
  if (haveCandidates) lines.push('', '| seed | within a cluster | two tasks across clusters | all tasks in one network | half-size alone |', '| --- | --- | --- | --- | --- |');
  for (const seed of haveCandidates ? seeds : []) {
    const dir = join(folder(seed), 'candidates');
    // A candidate's folder: its tasks joined by +, ++half for a half-size network.
    const test = (folderName: string) => readCandidateOutcome(join(dir, folderName), folderName).test;
    const alone = Object.fromEntries(tasks.map((t) => [t, test(t)[t]!.loss]));
    const ratio = (id: string) => {
      const e = test(id);
      const members = id.replace('++half', '').split('+');
      return members.reduce((s, t) => s + e[t]!.loss / alone[t]!, 0) / members.length;
    };
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const pairs = tasks.flatMap((a, i) => tasks.slice(i + 1).map((b) => [a, b] as const));
    const across = mean(pairs.filter(([a, b]) => clusterOf(a) !== clusterOf(b)).map(([a, b]) => ratio(`${a}+${b}`)));
    lines.push(
      `| ${seed} | ${mean(plantedGroups.map(ratio)).toFixed(3)} | ${across.toFixed(3)} | ${ratio(tasks.join('+')).toFixed(3)} | ${mean(tasks.map((t) => ratio(`${t}++half`))).toFixed(3)} |`,
    );
  }
  if (haveCandidates) lines.push('', 'Each cell: test loss ÷ the same task\'s loss alone (full-size network), averaged over the tasks of the networks; below 1 sharing helps.');

}

/**
 * The real-images study's tables: per budget and method, the networks chosen, the search's
 * cost, and each task's test main metric; the all-in-one network and the all-separate
 * networks as references; then the lookahead affinity.
 */
function realImagesTables(): void {
  const fmt = (v: number) => v.toFixed(4);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  for (const seed of seeds) {
    const r = results[seed]!;
    const any = Object.values(r).find((x) => x.comparison)!;
    const metricOf = (t: string) => any.comparison![t]!.metric;
    const exactCost = (b: number) => {
      const e = r[`exact@${b}`];
      return e ? e.search.seconds + e.chosen.seconds : NaN;
    };
    lines.push(
      `Generated by \`node --import tsx bench/groupingTable.ts${flags}\` from the run folders ` +
        `(${values.experiment}, ${tasks.length} tasks, seed ${seed}, budgets ${budgets.join(', ')}); backend ${backend.description}; written on ${machineLine()}. ` +
        'Training times are seconds of training as each run recorded them, on that machine shared with other jobs.',
      '',
      `| budget | method | networks chosen | cost | trainings | training time | exact ÷ this | ${tasks.map((t) => `${t} (${metricOf(t)})`).join(' | ')} | mean | tasks better than alone |`,
      `| --- | --- | --- | --- | --- | --- | --- | ${tasks.map(() => '---').join(' | ')} | --- | --- |`,
    );
    const alone = Object.fromEntries(tasks.map((t) => [t, any.comparison![t]!.alone]));
    const higher = (t: string) => (METRICS[metricOf(t)]?.direction ?? 'higher') === 'higher';
    const better = (t: string, v: number) => (higher(t) ? v > alone[t]! : v < alone[t]!);
    const row = (label: string, method: string, networks: string, cost: string, trainings: string, time: string, ratio: string, values: Record<string, number>) =>
      `| ${label} | ${method} | ${networks} | ${cost} | ${trainings} | ${time} | ${ratio} | ${tasks.map((t) => fmt(values[t]!)).join(' | ')} | ${fmt(mean(tasks.map((t) => values[t]!)))} | ${tasks.filter((t) => better(t, values[t]!)).length} of ${tasks.length} |`;
    lines.push(row('—', 'all in one', `{${tasks.join(', ')}}`, '1', '1', '—', '—', Object.fromEntries(tasks.map((t) => [t, any.comparison![t]!.allInOne]))));
    lines.push(row('—', 'all separate', tasks.map((t) => `{${t}}`).join(' '), String(tasks.length), String(tasks.length), '—', '—', alone));
    for (const b of budgets) {
      for (const method of methods) {
        const x = r[`${method}@${b}`];
        if (!x) continue;
        const seconds = x.search.seconds + x.chosen.seconds;
        const networks = x.selection.networks.map((n) => `{${n.tasks.join(', ')}}${n.size === 'half' ? '½' : ''}`).join(' ');
        lines.push(
          row(
            String(b),
            method,
            networks,
            String(x.selection.cost),
            `${x.search.trials}${x.chosen.trials > 0 ? ` + ${x.chosen.trials}` : ''}`,
            `${seconds.toFixed(0)} s`,
            method === 'exact' || Number.isNaN(exactCost(b)) ? '—' : `${(exactCost(b) / seconds).toFixed(1)}×`,
            Object.fromEntries(tasks.map((t) => [t, x.tasks[t]!.test!.value])),
          ),
        );
      }
    }
    lines.push(
      '',
      'Each task cell: the test main metric (accuracy for the 10-class tasks, AUC for the binary ones; higher is better) of the chosen network that serves the task (the best of the chosen networks containing it on validation). ' +
        '"cost": inference cost in full-size networks (½: a half-size single-task network, cost 0.5). ' +
        '"trainings": networks the search needed (+ chosen networks it had not trained), counted with the training time they took when first trained, also where a method read them from the folder: ' +
        "ESA reads the exact search's candidates at its early epoch and counts that share of their time, HOA its single-task and pair networks, TAG and random the chosen networks.",
    );
  }
}

// The affinity matrix of the first seed (when TAG ran there).
if (existsSync(join(folder(seeds[0]!), 'affinity', 'affinity.json'))) {
  const affinity = readAffinity(join(folder(seeds[0]!), 'affinity'));
  lines.push(
    '',
    `Lookahead affinity Z(i→j) in the joint run of seed ${seeds[0]} (row: the task whose gradient steps; column: the task it affects; percent change of its loss, mean of ${affinity.records} recordings every ${affinity.every} steps):`,
    '',
    `| | ${affinity.tasks.join(' | ')} |`,
    `| --- | ${affinity.tasks.map(() => '---').join(' | ')} |`,
    ...affinity.tasks.map((t, i) => `| **${t}** | ${affinity.affinity[i]!.map((v, j) => (v === null ? '—' : i === j ? `(${(v * 100).toFixed(1)})` : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`)).join(' | ')} |`),
  );
}

const text = lines.join('\n');
console.log(text);
if (values.write) {
  const doc = readFileSync(values.write, 'utf8');
  const start = `<!-- ${values.section}:start -->`;
  const end = `<!-- ${values.section}:end -->`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${values.write} has no ${start} … ${end} section`);
  writeFileSync(values.write, doc.slice(0, a + start.length) + '\n' + text + '\n' + doc.slice(b));
  console.error(`wrote ${values.write}`);
}
