/**
 * A trial process: started by a pool (`localPool`, `mtl worker`) with an IPC channel;
 * selects its backend once (MTL_BACKEND, MTL_NATIVE_THREADS from the pool), then runs
 * the trials it is sent one after another, keeping their loaded data for the next, and
 * sends back each result. It exits when its parent does.
 */
import { selectBackend } from '../backend/selectBackend.js';
import type { FromChild, ToChild } from './childProtocol.js';
import { DataCache, executeTrial } from './executeTrial.js';
import { exitWithParent } from './parentWatchdog.js';
import { toTrialError } from './trialResult.js';

const send = (message: FromChild) => process.send?.(message);

exitWithParent();
process.on('disconnect', () => process.exit(0));

let backend = '';
let threads = 1;
try {
  const selected = await selectBackend(undefined, { log: () => {} });
  backend = selected.description;
  // The native path computes with MTL_NATIVE_THREADS threads; wasm and cpu with one.
  if (selected.name === 'native') threads = (await import('../backend/native.js')).nativeInfo()?.threads ?? 1;
} catch (error) {
  // Exit once the message is out (an exit right after send() can drop it).
  process.send?.({ type: 'fatal', error: toTrialError(error) } satisfies FromChild, () => process.exit(1));
  await new Promise(() => {});
}
const dataCache = new DataCache();
process.on('message', (message: ToChild) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type !== 'run') return;
  const { trial, runDir, expectedFingerprint } = message;
  void executeTrial(trial, {
    runDir,
    backend,
    dataCache,
    threads,
    ...(expectedFingerprint !== undefined ? { expectedFingerprint } : {}),
    log: (line) => send({ type: 'log', id: trial.id, line }),
  }).then((result) => send({ type: 'result', result }));
});
send({ type: 'ready', backend, threads });
