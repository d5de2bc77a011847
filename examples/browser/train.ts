/**
 * The browser example (examples/browser/index.html): a three-task regression model
 * trained in the page on tfjs's WebGL backend (the CPU backend where WebGL is missing),
 * with each task's loss shown as it falls. Build it with `npm run example:browser`
 * (esbuild bundles this file to examples/browser/dist/train.js) and open index.html
 * over HTTP (`npx http-server examples/browser`, or any static server).
 *
 * URL parameters: `epochs` (default 8), `backend` (`webgl`, `cpu`, ...; default: WebGL,
 * else CPU), `method` (a balancing method, default `dwa`), `store` (`memory` or
 * `indexeddb`: keep the run's checkpoint in IndexedDB), `stopAfterEpoch` (pause there),
 * `resume` (continue the run kept in IndexedDB).
 *
 * test/browser/trainPage.test.ts loads this page in headless Chromium and checks that
 * every task's loss falls; docs/browser.md shows the part between the `docs` markers.
 */
import {
  tf,
  fit,
  createTask,
  buildArchitecture,
  getWeightingMethod,
  syntheticClusters,
  withSeededRandom,
  Adam,
  IndexedDbRunStore,
  MemoryRunStore,
  loadMultiTaskModel,
  type EpochRecord,
  type FitResult,
  type RunStore,
} from 'tfjs-multitask/browser';

/** What the page reports (also set as `window.mtlDemo` for the test). */
export interface DemoReport {
  backend: string;
  webglAvailable: boolean;
  tasks: string[];
  /** Training loss per epoch, per task. */
  trainLoss: Record<string, number[]>;
  /** Test-set MSE per task after training. */
  testMse: Record<string, number>;
  epochs: number[];
  steps: number;
  stopReason?: string;
  interrupted: boolean;
  resumedFrom?: number;
  /** With the IndexedDB store: the tasks of the best model reloaded from `indexeddb://browser-example/best`, and its test MSE per task. */
  best?: { tasks: string[]; testMse: Record<string, number> };
  seconds: number;
}

/** Whether this browser gives a WebGL context at all (tfjs's WebGL backend needs one). */
function webglAvailable(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

/** Use `wanted` when given, else WebGL where the browser has it, else the CPU backend. */
async function chooseBackend(wanted: string | null): Promise<string> {
  for (const name of wanted ? [wanted] : ['webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // this backend failed to initialise here: try the next one
    }
  }
  await tf.setBackend('cpu');
  return tf.getBackend();
}

// --- docs: begin
/** Train a three-task model on synthetic data in the page; `onEpoch` sees each epoch's record. */
export async function trainDemo(options: {
  epochs: number;
  method?: string;
  store?: RunStore;
  resume?: boolean;
  signal?: AbortSignal;
  onEpoch?: (record: EpochRecord) => void;
}): Promise<{ result: FitResult; testMse: Record<string, number>; tasks: string[] }> {
  // Three regression tasks: a1 and a2 alike, b1 pulling the shared layer elsewhere.
  const { train, test, tasks: names } = syntheticClusters({ seed: 0, clusters: [2, 1], inputDim: 16, trainSize: 512, testSize: 256 });
  const tasks = names.map((name) => createTask({ name, kind: 'regression' }));
  // The seed reaches the initialisation and dropout, and Math.random is put back after.
  return withSeededRandom(1, async () => {
    const model = buildArchitecture('mmoe', { tasks, inputShape: [16], encoder: { type: 'mlp', hidden: [32] }, options: { experts: 3 } });
    const method = getWeightingMethod(options.method ?? 'dwa');
    const optimizer = new Adam();
    try {
      const result = await fit({
        model,
        train,
        evaluation: test,
        method,
        methodOptions: method.resolveOptions(undefined, { taskNames: names, seed: 1 }),
        optimizer,
        learningRate: 0.01,
        epochs: options.epochs,
        batchSize: 64,
        seed: 1,
        ...(options.store ? { store: options.store } : {}),
        resume: options.resume ?? false,
        // Aborting pauses at the next step or epoch boundary; `resume: true` continues from the store.
        ...(options.signal ? { signal: options.signal } : {}),
        log: (line) => console.log(line),
        onEpochEnd: (record) => options.onEpoch?.(record),
        // The best epoch's weights are kept in the store, and put back at the end.
        earlyStopping: { metric: 'mean/mse', patience: 5 },
      });
      const testMse = Object.fromEntries(names.map((t) => [t, result.evaluation?.[t]?.metrics.mse ?? NaN]));
      return { result, testMse, tasks: names };
    } finally {
      optimizer.dispose();
      model.model.dispose();
    }
  });
}
// --- docs: end

function cell(row: HTMLTableRowElement, text: string): void {
  row.insertCell().textContent = text;
}

/** Run the demo with the page's URL parameters and show the losses as they come. */
async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const status = document.getElementById('status')!;
  const table = document.getElementById('losses') as HTMLTableElement;
  const started = performance.now();
  const backend = await chooseBackend(params.get('backend'));
  status.textContent = `training on the ${backend} backend…`;
  const store: RunStore = params.get('store') === 'indexeddb' ? new IndexedDbRunStore('browser-example') : new MemoryRunStore('browser-example');
  const resume = params.has('resume') && (await store.hasCheckpoint());
  const epochs = Number(params.get('epochs') ?? 8);
  const stopAfterEpoch = params.has('stopAfterEpoch') ? Number(params.get('stopAfterEpoch')) : undefined;
  const trainLoss: Record<string, number[]> = {};
  const seen: number[] = [];
  let header = false;
  const pause = new AbortController();
  const { result, testMse, tasks } = await trainDemo({
    epochs,
    method: params.get('method') ?? 'dwa',
    store,
    resume,
    signal: pause.signal,
    onEpoch: (record) => {
      if (record.epoch + 1 === stopAfterEpoch) pause.abort();
      const names = Object.keys(record.trainLoss);
      if (!header) {
        const head = table.createTHead().insertRow();
        for (const h of ['epoch', ...names.map((t) => `${t} loss`), 'seconds']) cell(head, h);
        header = true;
      }
      const row = table.tBodies[0]!.insertRow();
      cell(row, String(record.epoch + 1));
      for (const t of names) {
        cell(row, record.trainLoss[t]!.toFixed(4));
        (trainLoss[t] ??= []).push(record.trainLoss[t]!);
      }
      cell(row, record.seconds.toFixed(2));
      seen.push(record.epoch);
    },
  });
  let best: DemoReport['best'];
  if (store instanceof IndexedDbRunStore) {
    // The best epoch's model, as another page (or a later visit) would load it.
    const loaded = await loadMultiTaskModel(store.bestUrl);
    const { test } = syntheticClusters({ seed: 0, clusters: [2, 1], inputDim: 16, trainSize: 512, testSize: 256 });
    const mse = tf.tidy(() => {
      const predictions = loaded.predict(tf.tensor(test.features.data as Float32Array, test.features.shape));
      return Object.fromEntries(loaded.tasks.map((t) => [t, tf.losses.meanSquaredError(tf.tensor(test.targets[t]!.values, [test.size, 1]), predictions[t]!).dataSync()[0]!]));
    });
    best = { tasks: [...loaded.tasks], testMse: mse };
    loaded.model.dispose();
  }
  const report: DemoReport = {
    backend,
    webglAvailable: webglAvailable(),
    tasks,
    trainLoss,
    testMse,
    epochs: seen,
    steps: result.steps,
    ...(result.stopReason ? { stopReason: result.stopReason } : {}),
    interrupted: result.interrupted,
    ...(resume ? { resumedFrom: seen[0] ?? epochs } : {}),
    ...(best ? { best } : {}),
    seconds: (performance.now() - started) / 1000,
  };
  status.textContent =
    `done on ${backend}: ${seen.length} epochs, ${result.steps} steps in ${report.seconds.toFixed(1)} s; test MSE ` +
    tasks.map((t) => `${t} ${testMse[t]!.toFixed(3)}`).join(', ');
  (window as unknown as { mtlDemo: DemoReport }).mtlDemo = report;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  document.getElementById('status')!.textContent = `failed: ${message}`;
  (window as unknown as { mtlDemo: { error: string } }).mtlDemo = { error: message };
});
