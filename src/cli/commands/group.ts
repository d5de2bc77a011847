import { MtlError } from '../../errors.js';
import { checkExperiment } from '../../experiment/checkExperiment.js';
import { readExperiment } from '../../experiment/config.js';
import { formatGrouping } from '../../grouping/formatGrouping.js';
import { GROUPING_METHODS, runGrouping, type GroupingMethod } from '../../grouping/runGrouping.js';
import { candidatesOnRunner } from '../../grouping/trialRunnerCandidates.js';
import { localPool } from '../../trials/localPool.js';
import { queueRunner } from '../../trials/queueRunner.js';
import { positiveIntegerOption, positiveNumberOption, type Command } from '../command.js';
import { BACKEND_OPTION, useBackend } from '../useBackend.js';

/** `mtl group`: which tasks to train together under an inference budget. */
export const groupCommand: Command = {
  name: 'group',
  summary: 'choose which tasks to train together within an inference budget (Standley et al.: exact, ESA, HOA; TAG)',
  usage:
    'mtl group <experiment.yaml|json> [--method exact|esa|hoa|tag|random] [--budget B] [--group-dir DIR] [--compare] [--jobs N] [--threads N] [--queue redis://HOST:PORT] [--epochs N] [--backend NAME]',
  description:
    'Chooses networks (each a subset of the tasks, cost 1; or a half-size single-task network, cost 0.5) whose total\n' +
    'cost fits the budget and whose summed task losses on validation data are lowest, each task served by the best\n' +
    'chosen network that contains it. exact trains every candidate; esa reads them after a fifth of the epochs; hoa\n' +
    'trains single tasks and pairs and predicts the rest; tag records the lookahead affinity in one joint run; random\n' +
    'is the baseline. The chosen networks are then trained (when the search has not) and reported on test data.\n' +
    'Candidates are trials in <group dir>/candidates/ trained on every core (--jobs) or by mtl worker processes\n' +
    '(--queue); run again, the search reads finished candidates and resumes started ones. Writes grouping.json.',
  positionals: { min: 1, max: 1, names: 'an experiment file (.yaml, .yml or .json)', example: 'mtl group examples/planted-clusters.yaml --method tag --budget 2' },
  options: {
    method: { type: 'string', value: 'M', description: `${GROUPING_METHODS.join(' | ')} (default: grouping.search, else exact)` },
    budget: { type: 'string', value: 'B', description: 'inference budget in full-size networks (default: grouping.budget)' },
    'group-dir': { type: 'string', value: 'DIR', description: 'the search folder (default runs/<experiment name>-group)' },
    compare: { type: 'boolean', description: 'also report each task in the all-in-one network and alone (trains them when needed)' },
    jobs: { type: 'string', value: 'N', description: 'candidates trained at once on this machine (default: the number of cores)' },
    threads: { type: 'string', value: 'N', description: 'native threads per candidate (default: cores / jobs)' },
    queue: { type: 'string', value: 'redis://HOST:PORT', description: 'train the candidates through this BullMQ queue (mtl worker processes)' },
    epochs: { type: 'string', value: 'N', description: "override the experiment's number of epochs for every network" },
    backend: BACKEND_OPTION,
  },
  examples: [
    'mtl group examples/planted-clusters.yaml --method exact --budget 2',
    'mtl group examples/planted-clusters.yaml --method tag --budget 2',
    'mtl group examples/multi-fashion-mnist-six-tasks.yaml --method hoa --budget 3 --queue redis://10.0.0.5:6379',
  ],
  async run(context) {
    const { values } = context;
    const method = values.method as string | undefined;
    if (method !== undefined && !(GROUPING_METHODS as readonly string[]).includes(method)) {
      throw new MtlError({ code: 'cli.bad_option', path: '--method', expected: `one of ${GROUPING_METHODS.join(', ')}`, found: JSON.stringify(method) });
    }
    const budget = positiveNumberOption(values, 'budget');
    const jobs = positiveIntegerOption(values, 'jobs');
    const threads = positiveIntegerOption(values, 'threads');
    const epochs = positiveIntegerOption(values, 'epochs');
    const queue = values.queue as string | undefined;
    if (queue !== undefined && (jobs !== undefined || threads !== undefined)) {
      throw new MtlError({
        code: 'cli.incompatible_options',
        path: jobs !== undefined ? '--jobs' : '--threads',
        expected: 'no --jobs or --threads with --queue (the workers train the candidates)',
        found: `--${jobs !== undefined ? 'jobs' : 'threads'} with --queue`,
        fix: 'pass --jobs and --threads to each mtl worker instead',
      });
    }
    const config = checkExperiment(readExperiment(context.positionals[0]!));
    // This process trains TAG's affinity run itself; the candidates go to the pool or the queue.
    const backend = await useBackend(context);
    const runner =
      queue !== undefined
        ? queueRunner({ url: queue, where: '--queue' })
        : localPool({ ...(jobs !== undefined ? { jobs } : {}), ...(threads !== undefined ? { threads } : {}), backend: backend.name });
    const result = await runGrouping(config, {
      ...(method !== undefined ? { method: method as GroupingMethod } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(values['group-dir'] !== undefined ? { groupDir: values['group-dir'] as string } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      compare: Boolean(values.compare),
      train: candidatesOnRunner({ runner }),
      log: context.log,
      progress: false,
    });
    context.log('\n' + formatGrouping(result));
    return 0;
  },
};
