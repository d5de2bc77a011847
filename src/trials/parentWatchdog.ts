import { Worker } from 'node:worker_threads';

/**
 * End this process within `intervalMs` of its parent's death. A trial process trains
 * in long synchronous stretches (a whole epoch between two awaits), during which it
 * cannot see its IPC channel close; without this, a coordinator or worker killed with
 * SIGKILL would leave its trial processes training on and writing into run folders
 * that a resumed sweep, or another worker, is about to continue. A small worker thread
 * (which runs beside the busy main thread) checks the parent id twice a second and
 * kills the process when it changes. Checkpoints and records are written atomically,
 * so the kill loses at most the steps since the last checkpoint.
 */
export function exitWithParent(intervalMs = 500): void {
  const parent = process.ppid;
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL'); }, workerData.intervalMs);`,
    { eval: true, execArgv: [], workerData: { parent, self: process.pid, intervalMs } },
  );
  watchdog.unref();
}
