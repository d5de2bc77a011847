import { analyseTransfer, formatTransferReport } from '../../grouping/negativeTransfer.js';
import { positiveNumberOption, type Command } from '../command.js';

/** `mtl transfer`: where sharing hurts in runs of one experiment. */
export const transferCommand: Command = {
  name: 'transfer',
  summary: 'report negative transfer in runs: tasks worse than alone beyond the seed spread, pairs that hurt each other',
  usage: 'mtl transfer <run folder> [<run folder> ...] [--spread S] [--persistence P]',
  description:
    'Reads run folders of one experiment (several seeds: one folder each), an affinity run, or a grouping folder,\n' +
    'and reports each task that is worse in the multi-task model than alone by more than S standard errors of the\n' +
    'seed-to-seed spread, each pair with negative lookahead affinity, and each pair whose gradient cosine stays\n' +
    'negative (in a share P of the recordings, and in the later half of training), each finding with its numbers,\n' +
    'and a grouping that keeps the pairs that hurt each other apart. Trains nothing.',
  positionals: { min: 1, max: 100, names: 'run folders (one per seed)', example: 'mtl transfer runs/multimnist runs/multimnist-seed1' },
  options: {
    spread: { type: 'string', value: 'S', description: 'standard errors beyond which a deficit counts (default 2)' },
    persistence: { type: 'string', value: 'P', description: 'share of recordings with a negative cosine that makes a conflict persistent (default 0.6)' },
  },
  examples: ['mtl transfer runs/planted-clusters-affinity', 'mtl transfer runs/mnist-s0 runs/mnist-s1 runs/mnist-s2', 'mtl transfer runs/planted-clusters-group'],
  async run(context) {
    const spread = positiveNumberOption(context.values, 'spread');
    const persistence = positiveNumberOption(context.values, 'persistence');
    const report = analyseTransfer(context.positionals, { ...(spread !== undefined ? { spread } : {}), ...(persistence !== undefined ? { persistence } : {}) });
    context.log(formatTransferReport(report));
    return 0;
  },
};
