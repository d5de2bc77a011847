import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/runCli.js';
import type { SweepFile } from '../../src/sweep/runSweep.js';
import { alive, startMtl, startedTrials, sweepExperiment, tableFigures, trialInTraining, waitFor } from '../trials/sweepHelpers.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 300_000 });

const GRID = ['--set', 'weighting.method=equal,pcgrad', '--seeds', '0,1', '--jobs', '2', '--threads', '1'];

test('a sweep killed (SIGKILL) while a trial trains resumes without redoing finished trials, continues the trial from its checkpoint, and gives the uninterrupted table', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-sweep-'));
  try {
    const experiment = sweepExperiment(dir);
    const reference = join(dir, 'reference');
    const whole = cli(['sweep', experiment, ...GRID, '--sweep-dir', reference]);
    assert.equal(whole.status, 0, whole.stderr + whole.stdout);
    assert.match(whole.stdout, /sweep: 2 configurations × 2 seeds \+ 4 single-task networks = 8 trials/);
    assert.match(whole.stdout, /local pool: 2 jobs × 1 thread; 0 of 8 trials finished before/);

    const swept = join(dir, 'killed');
    const first = startMtl(['sweep', experiment, ...GRID, '--sweep-dir', swept]);
    // A trial with a checkpoint and no result yet: freeze its process (so that it cannot finish
    // in the moment the kill takes), then kill the coordinator.
    const training = await waitFor('a trial in training', () => trialInTraining(swept, startedTrials(first.out())));
    process.kill(training.pid, 'SIGSTOP');
    first.child.kill('SIGKILL');
    await first.exited;
    const children = [...startedTrials(first.out()).values()];
    process.kill(training.pid, 'SIGKILL');
    // The coordinator's other trial processes end by themselves (they exit with their parent).
    await waitFor('the trial processes to exit', () => children.every((pid) => !alive(pid)), 30_000);
    const finishedBefore = readdirSync(join(swept), { recursive: true }).filter((f) => String(f).endsWith('trial.json')).length;
    assert.ok(!existsSync(join(swept, ...training.id.split('/'), 'summary.json')), 'the frozen trial did not finish');

    const second = cli(['sweep', experiment, ...GRID, '--sweep-dir', swept]);
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(second.stdout, new RegExp(`${finishedBefore} of 8 trials finished before`));
    assert.match(second.stdout, new RegExp(`${training.id.replace(/[+.]/g, '\\$&')}: done in [\\d.]+ s, resumed from its checkpoint`));
    const trained = [...second.stdout.matchAll(/^\[\s*\d+\/8\] (\S+): done/gm)].map((m) => m[1]);
    assert.equal(trained.length, 8 - finishedBefore, 'only the unfinished trials trained again');

    const sweep = JSON.parse(readFileSync(join(swept, 'sweep.json'), 'utf8')) as SweepFile;
    assert.equal(sweep.trials.length, 8);
    assert.equal(new Set(sweep.trials.map((t) => t.id)).size, 8);
    assert.ok(sweep.trials.every((t) => t.status === 'done'));
    assert.equal(sweep.trials.find((t) => t.id === training.id)!.resumed, true);
    assert.deepEqual(tableFigures(swept), tableFigures(reference));
    assert.equal(readFileSync(join(swept, 'sweep.md'), 'utf8'), readFileSync(join(reference, 'sweep.md'), 'utf8'));
    // The table: two configurations ranked by Δm, below the single-task networks, every seed finished.
    const md = readFileSync(join(reference, 'sweep.md'), 'utf8');
    assert.match(md, /^\| — \| single-task \| [\d.]+ ± [\d.]+ \| .* \| 0 \| 2 of 2 \|$/m);
    assert.match(md, /^\| 1 \| method=(equal|pcgrad) \| .* \| [-+][\d.]+ ± [\d.]+ \| 2 of 2 \|$/m);
    assert.match(md, /^\| 2 \| method=(equal|pcgrad) \|/m);

    // Run again: everything is reused, nothing trains.
    const third = cli(['sweep', experiment, ...GRID, '--sweep-dir', swept]);
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /8 of 8 trials finished before/);
    assert.doesNotMatch(third.stdout, /started/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing trial is reported in the table with its coded error, the others finish, and the sweep exits 1', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-sweep-'));
  try {
    const experiment = sweepExperiment(dir, 'weighting: { method: static }\n');
    const out = join(dir, 'sweep');
    // Weighting one task's loss by 1e38 overflows float32 in the first backward pass.
    const r = cli(['sweep', experiment, '--set', 'weighting.options.weights={"stay":1},{"stay":1e38}', '--set', 'training.epochs=1', '--jobs', '2', '--sweep-dir', out]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /FAILED \[training\.diverged\]/);
    assert.match(r.stdout, /1 of 4 trials failed: see the notes under the table/);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepFile;
    assert.deepEqual(sweep.trials.map((t) => t.status).sort(), ['done', 'done', 'done', 'failed']);
    const failed = sweep.trials.find((t) => t.status === 'failed')!;
    assert.equal(failed.error!.code, 'training.diverged');
    assert.deepEqual(failed.overrides, { 'weighting.options.weights': { stay: 1e38 }, 'training.epochs': 1, seed: 0 });
    const record = JSON.parse(readFileSync(join(out, failed.id, 'trial.json'), 'utf8'));
    assert.equal(record.status, 'failed');
    const md = readFileSync(join(out, 'sweep.md'), 'utf8');
    assert.match(md, /^\| 1 \| weighting\.options\.weights=\{"stay":1\} \| .* \| 1 of 1 \|$/m);
    assert.match(md, /^\| — \| weighting\.options\.weights=\{"stay":1e\+38\} \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \| 0 of 1 \(1\) \|$/m);
    assert.match(md, /^\(1\) \[training\.diverged\] epoch 1, step \d+, task "\w+": expected a finite loss, found (NaN|Infinity)/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad sweep input is a coded error before any trial starts or any folder is made', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-sweep-'));
  try {
    const experiment = sweepExperiment(dir);
    const out = join(dir, 'sweep');
    const cases: Array<{ args: string[]; code: string; status: number; lines: RegExp[] }> = [
      { args: ['--set', 'weighting.metod=equal,pcgrad'], code: 'config.unknown_key', status: 1, lines: [/--set weighting\.metod/, /did you mean "weighting\.method"\?/] },
      { args: ['--set', 'training.epochs=2,0'], code: 'config.bad_value', status: 1, lines: [/--set training\.epochs=0 \(trial epochs-0__seed-0\): training\.epochs/, /greater than 0/] },
      { args: ['--set', 'weighting.method=equal,pcgard'], code: 'weighting.unknown_method', status: 1, lines: [/did you mean "pcgrad"\?/] },
      { args: ['--set', 'tasks=readmitted+stya'], code: 'config.unknown_task', status: 1, lines: [/did you mean "stay"\?/] },
      { args: ['--set', 'weighting.method'], code: 'cli.bad_option', status: 2, lines: [/--set weighting\.method/, /e\.g\. --set weighting\.method=equal,pcgrad/] },
      { args: ['--set', 'weighting.method=equal', '--set', 'weighting.method=pcgrad'], code: 'cli.bad_option', status: 2, lines: [/--set weighting\.method=a,b/] },
      { args: ['--seeds', '0,x'], code: 'cli.bad_option', status: 2, lines: [/--seeds/] },
      { args: ['--jobs', '0'], code: 'cli.bad_option', status: 2, lines: [/--jobs/] },
      { args: ['--queue', 'redis://127.0.0.1:1', '--jobs', '2'], code: 'cli.incompatible_options', status: 2, lines: [/pass --jobs and --threads to each mtl worker/] },
      { args: ['--queue', 'http://127.0.0.1:6379'], code: 'queue.bad_url', status: 1, lines: [/redis:\/\/host:port/] },
    ];
    for (const c of cases) {
      let stdout = '';
      let stderr = '';
      const status = await runCli(['sweep', experiment, ...c.args, '--sweep-dir', out], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
      assert.equal(status, c.status, `${c.args.join(' ')}: ${stderr}${stdout}`);
      assert.match(stderr, new RegExp(`^error \\[${c.code.replace('.', '\\.')}\\]`), c.args.join(' '));
      for (const line of c.lines) assert.match(stderr, line, c.args.join(' '));
      assert.doesNotMatch(stderr, /internal|at .*\.ts:\d+/, 'no stack trace');
      assert.ok(!existsSync(out), `${c.args.join(' ')}: no sweep folder`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
