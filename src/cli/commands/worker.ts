import { positiveIntegerOption, positiveNumberOption, type Command } from '../command.js';
import { BACKEND_OPTION } from '../useBackend.js';
import { startQueueWorker } from '../../trials/queueWorker.js';
import { selectBackend, type BackendPreference } from '../../backend/selectBackend.js';

/** `mtl worker`: train the trials that `mtl sweep --queue` coordinators put on a Redis queue. */
export const workerCommand: Command = {
  name: 'worker',
  summary: 'take trials from the queue of `mtl sweep --queue` on a Redis server, train them and return their results',
  usage: 'mtl worker <redis://HOST:PORT> [--jobs N] [--threads N] [--dir DIR] [--lock-seconds S] [--backend NAME]',
  description:
    'Connects to the BullMQ queue "mtl-trials" of a Redis server and trains the trials that coordinators (mtl sweep\n' +
    '--queue) put there, --jobs at once, each in a child process with its share of the cores. Data is read as the\n' +
    "experiment names it (built-in sets, or paths that exist on every machine) and checked against the coordinator's\n" +
    "fingerprint first. Trials train in the coordinator's sweep folder when this machine sees it (a shared file system),\n" +
    'else under --dir. A worker killed in a trial loses it to another worker after --lock-seconds. Stops on Ctrl-C\n' +
    '(after the running trials; twice: at once).',
  positionals: { min: 1, max: 1, names: 'the Redis server (redis://host:port)', example: 'mtl worker redis://127.0.0.1:6379' },
  options: {
    jobs: { type: 'string', value: 'N', description: 'trials trained at once (default: the number of cores)' },
    threads: { type: 'string', value: 'N', description: 'native threads per trial (default: cores / jobs)' },
    dir: { type: 'string', value: 'DIR', description: "run folders when the coordinator's sweep folder is not visible here (default runs/worker)" },
    'lock-seconds': { type: 'string', value: 'S', description: 'how long a trial stays claimed by a worker that stopped answering (default 30)' },
    backend: BACKEND_OPTION,
  },
  examples: ['mtl worker redis://10.0.0.5:6379', 'mtl worker redis://10.0.0.5:6379 --jobs 4 --dir /scratch/mtl-runs'],
  async run(context) {
    const { values } = context;
    const jobs = positiveIntegerOption(values, 'jobs');
    const threads = positiveIntegerOption(values, 'threads');
    const lockSeconds = positiveNumberOption(values, 'lock-seconds');
    const url = context.positionals[0]!;
    // Checked here (a bad --backend is a usage error now, not a failure in every trial); the trial processes select it again.
    let backend: string | undefined;
    if (values.backend !== undefined || process.env.MTL_BACKEND) {
      const selected = await selectBackend(values.backend as BackendPreference | undefined, { log: () => {} });
      backend = selected.name;
    }
    const stamp = () => new Date().toISOString().slice(11, 19);
    const worker = await startQueueWorker({
      url,
      where: 'mtl worker <redis URL>',
      ...(jobs !== undefined ? { jobs } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(lockSeconds !== undefined ? { lockSeconds } : {}),
      ...(values.dir !== undefined ? { dir: String(values.dir) } : {}),
      ...(backend ? { backend } : {}),
      log: (line) => context.log(`${stamp()} ${line}`),
    });
    context.log(`${stamp()} ${worker.description}; waiting for trials (Ctrl-C stops)`);
    let interrupts = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      interrupts += 1;
      const force = signal === 'SIGTERM' || interrupts > 1;
      context.log(`${stamp()} stopping${force ? ' now' : ' after the running trials (Ctrl-C again: at once)'}`);
      void worker.close(force);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await worker.closed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    context.log(`${stamp()} stopped`);
    return 0;
  },
};
