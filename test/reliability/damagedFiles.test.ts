/**
 * Never trust a file blindly: every run and checkpoint file (state.json, optimizer.json
 * and .bin, model.json and weights.bin, summary.json, config.json, policy.json,
 * metrics.jsonl) is validated before use: schema, shapes, sizes, SHA-256. A damaged,
 * truncated or missing file is a coded error naming it, the run folder is left exactly
 * as it was, and nothing is trained or written.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { evaluateRun } from '../../src/experiment/evaluateRun.js';
import { readPolicy, readSummary, runExperiment } from '../../src/experiment/runExperiment.js';
import { readRunConfig } from '../../src/experiment/runFolder.js';
import { readCheckpoint } from '../../src/training/checkpoint.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let config: ReturnType<typeof validateExperiment>;
let trained: string;
let copies = 0;

before(async () => {
  work = scratch('mtl-damage-');
  // DWA keeps state (the last epochs' losses), so the method state's shape is checked too.
  config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 2, checkpointEverySteps: 2 }, extra: { weighting: { method: 'dwa' } } }));
  trained = join(work.dir, 'trained');
  await runExperiment(config, { runDir: trained, progress: false, log: () => {} });
});
after(() => work.cleanup());

/** A fresh copy of the trained run, damaged by `damage`. */
function damaged(damage: (run: string) => void): string {
  const run = join(work.dir, `copy${copies++}`);
  execFileSync('cp', ['-r', trained, run]);
  damage(run);
  return run;
}

const truncate = (path: string, keep = 0.5) => truncateSync(path, Math.floor(readFileSync(path).length * keep));
const edit = (path: string, change: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  change(json);
  writeFileSync(path, JSON.stringify(json));
};
const flipByte = (path: string, at = 0.5) => {
  const bytes = readFileSync(path);
  const k = Math.floor(bytes.length * at);
  bytes[k] = bytes[k]! ^ 0x40;
  writeFileSync(path, bytes);
};

/** Resume a damaged copy: refused with `code`, the error naming `file`, the copy and its parent unchanged. */
async function expectRefusedResume(run: string, code: string, file: RegExp) {
  const before = [hashTree(run), hashTree(dirname(run))];
  const lines: string[] = [];
  await assert.rejects(runExperiment(config, { runDir: run, resume: true, progress: false, log: (l) => lines.push(l) }), (e: unknown) => {
    isMtlError(code)(e);
    assert.match((e as { path: string }).path, file);
    return true;
  });
  assert.ok(!lines.some((l) => /^epoch \d/.test(l)), 'nothing trained');
  assert.deepEqual([hashTree(run), hashTree(dirname(run))], before, 'the run folder and its parent are unchanged');
}

const ck = (run: string, f: string) => join(run, 'checkpoint', f);

test('checkpoint state.json: empty object, truncated, not JSON, missing, bad values, another method\'s state', async () => {
  await expectRefusedResume(damaged((r) => writeFileSync(ck(r, 'state.json'), '{}')), 'checkpoint.corrupt', /state\.json/);
  await expectRefusedResume(damaged((r) => truncate(ck(r, 'state.json'))), 'checkpoint.corrupt', /state\.json/);
  await expectRefusedResume(damaged((r) => writeFileSync(ck(r, 'state.json'), 'not json at all')), 'checkpoint.corrupt', /state\.json/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.epoch = -1))), 'checkpoint.corrupt', /state\.json: epoch$/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.step = 'NaN'))), 'checkpoint.corrupt', /state\.json: step$/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.lastWeights = [1]))), 'checkpoint.mismatch', /state\.json/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.methodState = {}))), 'checkpoint.bad_method_state', /state\.json: methodState$/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.methodState = { epochLosses: 3 }))), 'checkpoint.bad_method_state', /methodState\.epochLosses$/);
  await expectRefusedResume(damaged((r) => edit(ck(r, 'state.json'), (j) => (j.batchInEpoch = 999))), 'checkpoint.mismatch', /state\.json/);
  // No state.json (and no .old to fall back on): there is no checkpoint.
  await expectRefusedResume(damaged((r) => rmSync(ck(r, 'state.json'))), 'checkpoint.missing', /checkpoint$/);
});

test('checkpoint binaries and their indexes: truncated, one flipped byte, missing', async () => {
  for (const f of ['model/weights.bin', 'optimizer.bin']) {
    await expectRefusedResume(damaged((r) => truncate(ck(r, f))), 'checkpoint.corrupt', new RegExp(f.replace('.', '\\.')));
    await expectRefusedResume(damaged((r) => flipByte(ck(r, f))), 'checkpoint.corrupt', new RegExp(f.replace('.', '\\.')));
    await expectRefusedResume(damaged((r) => rmSync(ck(r, f))), 'checkpoint.corrupt', new RegExp(f.replace('.', '\\.')));
  }
  for (const f of ['model/model.json', 'optimizer.json']) {
    await expectRefusedResume(damaged((r) => truncate(ck(r, f))), 'checkpoint.corrupt', new RegExp(f.replace('.', '\\.')));
    await expectRefusedResume(damaged((r) => rmSync(ck(r, f))), 'checkpoint.corrupt', new RegExp(f.replace('.', '\\.')));
  }
  // The same checks pass on an undamaged copy: the damage above is what they catch.
  const run = damaged(() => {});
  assert.doesNotThrow(() => readCheckpoint(join(run, 'checkpoint')).weights.forEach((w) => w.dispose()), 'the undamaged copy reads');
});

test('run files: config.json, metrics.jsonl, summary.json, policy.json', async () => {
  await expectRefusedResume(damaged((r) => truncate(join(r, 'config.json'))), 'io.bad_json', /config\.json$/);
  await expectRefusedResume(damaged((r) => writeFileSync(join(r, 'config.json'), '[]')), 'config.bad_type', /config\.json/);
  // metrics.jsonl shorter than the checkpoint recorded: records were lost.
  await expectRefusedResume(damaged((r) => truncateSync(join(r, 'metrics.jsonl'), 10)), 'checkpoint.corrupt', /metrics\.jsonl$/);
  // A damaged line within what the checkpoint recorded.
  await expectRefusedResume(
    damaged((r) => {
      const path = join(r, 'metrics.jsonl');
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, '{"type":"epoch", broken' + text.slice(23));
    }),
    'io.bad_json',
    /metrics\.jsonl: line 1$/,
  );
  const summary = damaged((r) => truncate(join(r, 'summary.json')));
  assert.throws(() => readSummary(summary), isMtlError('io.bad_json', { path: /summary\.json$/ }));
  const summaryShape = damaged((r) => edit(join(r, 'summary.json'), (j) => (j.multiTask = { evaluation: 'x' })));
  assert.throws(() => readSummary(summaryShape), isMtlError('io.bad_file', { path: /summary\.json: multiTask\.evaluation$/ }));
  const policy = damaged((r) => writeFileSync(join(r, 'policy.json'), '{"policy": {"y": [true, 2]}}'));
  assert.throws(() => readPolicy(policy), isMtlError('io.bad_file', { path: /policy\.json: policy\.y\[1\]$/ }));
});

test('mtl eval of damaged runs: truncated weights, a flipped byte, missing or truncated model.json, NaN weights, a foreign model', async () => {
  const evalRefused = async (run: string, code: string, file: RegExp) => {
    const before = hashTree(run);
    await assert.rejects(evaluateRun(run, () => {}), (e: unknown) => {
      isMtlError(code)(e);
      assert.match((e as { path: string }).path, file);
      return true;
    });
    assert.equal(hashTree(run), before);
  };
  await evalRefused(damaged((r) => truncate(join(r, 'model', 'weights.bin'))), 'io.size_mismatch', /model\/weights\.bin$/);
  await evalRefused(damaged((r) => flipByte(join(r, 'model', 'weights.bin'))), 'io.checksum_mismatch', /model\/weights\.bin$/);
  await evalRefused(damaged((r) => truncate(join(r, 'model', 'model.json'))), 'io.bad_json', /model\/model\.json$/);
  await evalRefused(damaged((r) => rmSync(join(r, 'model', 'model.json'))), 'run.missing', /copy\d+$/);
  await evalRefused(damaged((r) => rmSync(join(r, 'config.json'))), 'run.missing', /copy\d+$/);
  // NaN weights with a matching checksum (a diverged model saved by hand): refused too.
  await evalRefused(
    damaged((r) => {
      const path = join(r, 'model', 'weights.bin');
      const bytes = readFileSync(path);
      new DataView(bytes.buffer, bytes.byteOffset).setFloat32(0, Number.NaN, true);
      writeFileSync(path, bytes);
      edit(join(r, 'model', 'model.json'), (j) => delete j.weightsChecksum);
    }),
    'io.bad_weights',
    /weights\.bin: /,
  );
  // The model folder of another experiment (one hidden unit more): shapes do not fit.
  await evalRefused(
    damaged((r) => edit(join(r, 'config.json'), (j) => ((j.model as { encoder: { hidden: number[] } }).encoder.hidden = [5]))),
    'run.model_mismatch',
    /model\.json$/,
  );
  assert.equal(readRunConfig(trained).name, 'tiny', 'the original still reads');
});
