import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { AdaShareModel } from '../../src/architectures/adashare.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { ARCHITECTURES, buildArchitecture } from '../../src/architectures/registry.js';
import { saveModel } from '../../src/io/modelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import { installSeededRandom, uninstallSeededRandom } from '../../src/random/seededRandom.js';
import { chromiumOrSkip, pageScript, runPage, type ServedFile } from './harness.js';

/**
 * Every architecture's saved model (saveModel → model.json + weights.bin) loads in a
 * real browser (headless Chromium) through the `tfjs-multitask/browser` entry, bundled for the
 * browser with esbuild, and predicts every task as in Node (harness.ts runs the page).
 */

const TOLERANCE = 1e-4;
const INPUT_SHAPE = [5];
const BATCH = 4;
const INPUT = Array.from({ length: BATCH * INPUT_SHAPE[0]! }, (_, k) => Math.sin(1.7 * k + 0.3) * 2);

interface SavedCase {
  name: string;
  /** What the page must report as the task names, in output order. */
  tasks: string[];
  /** Node's predictions, by task. */
  outputs: Record<string, number[]>;
}

interface PageReport {
  ok: boolean;
  error?: string;
  results?: Record<string, { tasks: string[]; metadata: Record<string, unknown>; backend: string; shapes: Record<string, number[]>; outputs: Record<string, number[]> }>;
}

/**
 * Dispose a model and every variable it declares: `model.dispose()` alone leaves the
 * weights of a sub-model applied more than once in the graph (MTAN's shared attention
 * projections) registered.
 */
function disposeModel(m: MultiTaskModel): void {
  m.model.dispose();
  for (const v of [...m.sharedVariables, ...Object.values(m.taskVariables).flat()]) if (!v.isDisposed) v.dispose();
}

/** Build, save and predict every architecture in Node; returns what the browser must reproduce. */
async function saveModels(modelsDir: string): Promise<SavedCase[]> {
  const tasks = [
    createTask({ name: 'left', kind: 'multiclass', classes: 3, head: { hidden: [4] } }),
    createTask({ name: 'right', kind: 'regression', outputs: 2 }),
  ];
  const taskNames = tasks.map((t) => t.name);
  const cases: SavedCase[] = [];
  const baseline = tf.memory().numTensors;
  const x = tf.tensor(INPUT, [BATCH, ...INPUT_SHAPE]);
  for (const [k, name] of ARCHITECTURES.entries()) {
    installSeededRandom(100 + k);
    const m = buildArchitecture(name, { tasks, inputShape: INPUT_SHAPE, encoder: { type: 'mlp', hidden: [8, 8, 8] } });
    try {
      if (name === 'adashare') {
        // The inference network AdaShare saves is the one its fixed policy selects.
        (m as AdaShareModel).finalize({ left: [true, false, true], right: [true, true, false] }, { fromScratch: false });
      }
      // hard-sharing is saved without the task list, so the page must name outputs from the model's output names.
      const metadata = name === 'hard-sharing' ? { architecture: name } : { tasks: taskNames, architecture: name };
      await saveModel(m.model, join(modelsDir, name), metadata);
      const values = tf.tidy(() => [m.model.predict(x)].flat().map((t) => Array.from((t as tf.Tensor).dataSync())));
      assert.equal(values.length, tasks.length, `${name}: one output per task`);
      const outputs: Record<string, number[]> = {};
      tasks.forEach((t, i) => {
        assert.equal(values[i]!.length, BATCH * t.outputSize, `${name}: ${t.name} output size`);
        outputs[t.name] = values[i]!;
      });
      cases.push({ name, tasks: taskNames, outputs });
    } finally {
      if (name === 'adashare') (m as AdaShareModel).dispose();
      else disposeModel(m);
    }
  }
  x.dispose();
  uninstallSeededRandom();
  assert.equal(tf.memory().numTensors, baseline, 'no tensor leaked in Node');
  return cases;
}

/** The page: load every model with the bundle, predict on the same input, report the results. */
const PAGE_SCRIPT = pageScript(`
    var tf = window.mtl.tf;
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');
    await tf.ready();
    var cases = await (await fetch('/cases.json')).json();
    var results = {};
    for (var i = 0; i < cases.names.length; i++) {
      var name = cases.names[i];
      var loaded = await window.mtl.loadMultiTaskModel('/models/' + name + '/model.json');
      var x = tf.tensor(cases.input, cases.shape);
      var out = loaded.predict(x);
      var outputs = {}, shapes = {};
      for (var task of Object.keys(out)) {
        outputs[task] = Array.from(await out[task].data());
        shapes[task] = out[task].shape;
      }
      results[name] = { tasks: loaded.tasks, metadata: loaded.metadata, backend: tf.getBackend(), shapes: shapes, outputs: outputs };
      tf.dispose([x].concat(Object.values(out)));
      loaded.model.dispose();
    }
    return { results: results };
`);

test('saved models of every architecture load and predict in headless Chromium as in Node', { timeout: 240_000 }, async (t) => {
  const chromium = chromiumOrSkip(t, 'browser load test');
  if (!chromium) return;
  const work = mkdtempSync(join(tmpdir(), 'mtl-browser-'));
  const modelsDir = join(work, 'models');
  mkdirSync(modelsDir);
  try {
    const cases = await saveModels(modelsDir);
    const files = new Map<string, ServedFile>([
      ['/cases.json', { type: 'application/json', body: JSON.stringify({ names: cases.map((c) => c.name), input: INPUT, shape: [BATCH, ...INPUT_SHAPE] }) }],
    ]);
    for (const c of cases) {
      files.set(`/models/${c.name}/model.json`, { type: 'application/json', body: readFileSync(join(modelsDir, c.name, 'model.json')) });
      files.set(`/models/${c.name}/weights.bin`, { type: 'application/octet-stream', body: readFileSync(join(modelsDir, c.name, 'weights.bin')) });
    }
    const report = await runPage<PageReport>(chromium, PAGE_SCRIPT, files);

    assert.equal(report.error, undefined, `the page reported an error: ${report.error}`);
    assert.equal(report.ok, true);
    const results = report.results!;
    assert.deepEqual(Object.keys(results).sort(), cases.map((c) => c.name).sort(), 'the page loaded every model');
    for (const c of cases) {
      const r = results[c.name]!;
      assert.equal(r.backend, 'cpu', `${c.name}: predicted on the browser's cpu backend`);
      assert.deepEqual(r.tasks, c.tasks, `${c.name}: outputs named by task`);
      assert.equal(r.metadata.architecture, c.name, `${c.name}: metadata read in the browser`);
      for (const task of c.tasks) {
        const expected = c.outputs[task]!;
        const got = r.outputs[task];
        assert.ok(got, `${c.name}: the browser predicted task ${task}`);
        assert.deepEqual(r.shapes[task], [BATCH, expected.length / BATCH], `${c.name}/${task}: output shape`);
        assert.equal(got.length, expected.length, `${c.name}/${task}: output length`);
        got.forEach((v, i) => {
          assert.ok(Math.abs(v - expected[i]!) <= TOLERANCE, `${c.name}/${task}[${i}]: browser ${v} vs Node ${expected[i]}`);
        });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
