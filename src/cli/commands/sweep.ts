import { relative } from 'node:path';
import { MtlError } from '../../errors.js';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { defaultSweepDir, runSweep } from '../../sweep/runSweep.js';
import { parseSeeds, parseSetFlags } from '../../sweep/setFlag.js';
import { resolveGrid } from '../../sweep/sweepGrid.js';
import { planSweep } from '../../sweep/sweepPlan.js';
import { formatSweepTable } from '../../sweep/sweepTable.js';
import { localPool } from '../../trials/localPool.js';
import { queueRunner } from '../../trials/queueRunner.js';
import type { TrialEvent } from '../../trials/runner.js';
import { positiveIntegerOption, type Command, type CommandContext } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl sweep`: a grid of trials of an experiment, their single-task baselines, and one ranked table. */
export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'train a grid of variants of an experiment × seeds (on this machine or through a queue) and rank them by Δm',
  usage: 'mtl sweep <experiment.yaml|json> [--set FIELD=V1,V2 ...] [--seeds 0,1,2] [--jobs N] [--threads N] [--queue redis://HOST:PORT] [--sweep-dir DIR] [--table-only] [--backend NAME]',
  description:
    'Trains every combination of the --set alternatives (and of the experiment\'s sweep: block) with every seed, each\n' +
    'trial in its own run folder under the sweep folder, named from its overrides (method-pcgrad__seed-1), plus one\n' +
    'single-task network per task and seed, shared by every configuration. Then writes sweep.json and sweep.md: each\n' +
    "configuration's test metrics and Δm as mean ± std over the seeds, ranked by Δm. Every trial is checked before the\n" +
    'first starts. Run again, it reuses finished trials and continues interrupted ones from their checkpoints; a failed\n' +
    'trial is reported in the table and the others finish (exit code 1 when any failed). By default the trials train in\n' +
    'child processes on this machine, --jobs at once (default: the number of cores), each with its share of the cores;\n' +
    'with --queue they go to a BullMQ queue on Redis, trained by `mtl worker` processes on any number of machines.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl sweep examples/multimnist.yaml --set weighting.method=equal,pcgrad --seeds 0,1' },
  options: {
    set: {
      type: 'string',
      value: 'FIELD=V1,V2',
      multiple: true,
      description: 'a field of the experiment and its alternatives (repeat for a grid); tasks=a+b,a picks task subsets',
    },
    seeds: { type: 'string', value: '0,1,2', description: "the seeds of every configuration (default: the sweep block's, else the experiment's seed)" },
    jobs: { type: 'string', value: 'N', description: 'trials trained at once on this machine (default: the number of cores)' },
    threads: { type: 'string', value: 'N', description: 'native threads per trial (default: cores / jobs)' },
    queue: { type: 'string', value: 'redis://HOST:PORT', description: 'send the trials to the BullMQ queue of this Redis server (redis://host:port) for mtl worker processes' },
    'sweep-dir': { type: 'string', value: 'DIR', description: 'the sweep folder (default runs/<experiment name>-sweep)' },
    'table-only': { type: 'boolean', description: 'write sweep.json and sweep.md from the trials finished so far; train nothing' },
    backend: BACKEND_OPTION,
  },
  examples: [
    'mtl sweep examples/multimnist.yaml --set weighting.method=equal,pcgrad,upgrad --seeds 0,1,2',
    'mtl sweep examples/multifashion.yaml --set weighting.method=equal,pcgrad --set model.architecture=hard-sharing,mmoe --jobs 2',
    'mtl sweep examples/patients-missing-labels.yaml --set tasks=readmitted+risk,readmitted+stay,risk+stay',
    'mtl sweep examples/multimnist.yaml --set weighting.method=equal,pcgrad --queue redis://10.0.0.5:6379',
  ],
  async run(context) {
    const { values } = context;
    const jobs = positiveIntegerOption(values, 'jobs');
    const threads = positiveIntegerOption(values, 'threads');
    const queue = values.queue as string | undefined;
    if (queue !== undefined && (jobs !== undefined || threads !== undefined)) {
      throw new MtlError({
        code: 'cli.incompatible_options',
        path: jobs !== undefined ? '--jobs' : '--threads',
        expected: 'no --jobs or --threads with --queue (the workers train the trials)',
        found: `--${jobs !== undefined ? 'jobs' : 'threads'} with --queue`,
        fix: 'pass --jobs and --threads to each mtl worker instead',
      });
    }
    const base = checkExperiment(readExperiment(context.positionals[0]!));
    const set = parseSetFlags(base, (values.set as string[] | undefined) ?? []);
    const seeds = values.seeds !== undefined ? parseSeeds(String(values.seeds)) : undefined;
    const describe = (key: string) => (key in set ? `--set ${key}` : `sweep.set.${key}`);
    // Every trial is defined and checked here, before a backend, a queue or a folder is touched.
    const grid = resolveGrid(base, { set, ...(seeds ? { seeds } : {}) });
    const plan = planSweep(base, grid, describe);
    const sweepDir = (values['sweep-dir'] as string | undefined) ?? defaultSweepDir(base);
    const tableOnly = Boolean(values['table-only']);
    let runner;
    if (!tableOnly) {
      if (queue !== undefined) runner = queueRunner({ url: queue, where: '--queue' });
      else {
        const backend = await useBackend(context);
        runner = localPool({ ...(jobs !== undefined ? { jobs } : {}), ...(threads !== undefined ? { threads } : {}), backend: backend.name });
      }
    }
    context.log(
      `sweep: ${plan.configurations.length} configuration${plan.configurations.length === 1 ? '' : 's'} × ${grid.seeds.length} seed${grid.seeds.length === 1 ? '' : 's'} ` +
        `+ ${plan.baselines.length} single-task network${plan.baselines.length === 1 ? '' : 's'} = ${plan.trials.length} trials`,
    );
    const sweep = await runSweep(base, {
      set,
      ...(seeds ? { seeds } : {}),
      sweepDir,
      tableOnly,
      describe,
      ...(runner ? { runner } : {}),
      onProgress: progressPrinter(context),
    });
    context.log('\n' + formatSweepTable(sweep.table));
    const failed = sweep.trials.filter((t) => t.status === 'failed').length;
    const missing = plan.trials.length - sweep.trials.length;
    context.log(`sweep folder: ${relative(process.cwd(), sweep.sweepDir) || '.'} (sweep.json, sweep.md)`);
    if (failed > 0) context.log(`${failed} of ${plan.trials.length} trials failed: see the notes under the table; run the command again to retry them`);
    if (tableOnly && missing > 0) context.log(`${missing} of ${plan.trials.length} trials have not finished yet`);
    return failed > 0 ? 1 : 0;
  },
};

/** One line per trial started and finished (and its log lines with --verbose). */
function progressPrinter(context: CommandContext): (event: TrialEvent) => void {
  let width = 1;
  return (event) => {
    switch (event.type) {
      case 'plan':
        width = String(event.total).length;
        context.log(`${event.runner}; ${event.reused} of ${event.total} trials finished before`);
        return;
      case 'start':
        context.log(`${' '.repeat(2 * width + 3)} started ${event.id}${event.worker ? ` (${event.worker})` : ''}`);
        return;
      case 'log':
        if (context.verbose) context.log(`${' '.repeat(2 * width + 3)}   ${event.id} | ${event.line}`);
        return;
      case 'note':
        context.log(`${' '.repeat(2 * width + 3)} note: ${event.message}`);
        return;
      case 'result': {
        const { result } = event;
        const counter = `[${String(event.finished).padStart(width)}/${event.total}]`;
        const how = result.status === 'done' ? `done in ${result.seconds.toFixed(1)} s${result.resumed ? ', resumed from its checkpoint' : ''}` : `FAILED [${result.error?.code}] ${result.error?.found}`;
        context.log(`${counter} ${result.id}: ${how}`);
        return;
      }
    }
  };
}
