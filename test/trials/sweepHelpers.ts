import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepFile } from '../../src/sweep/runSweep.js';

/**
 * A small two-task tabular experiment (4 epochs of 19 steps, a checkpoint every 5
 * steps), so that a trial can be caught in the middle.
 */
export function sweepExperiment(dir: string, extra = ''): string {
  const path = join(dir, 'exp.yaml');
  writeFileSync(
    path,
    `name: sweeptest
seed: 0
data: { source: csv, path: ${join(process.cwd(), 'examples/data/patients.csv')}, features: [age, bmi, glucose, smoker], standardize: true, testFraction: 0.25 }
tasks:
  - { name: readmitted, kind: binary, columns: [readmitted] }
  - { name: stay, kind: regression, columns: [length_of_stay] }
model: { encoder: { type: mlp, hidden: [16] } }
training: { epochs: 4, batchSize: 32, checkpointEverySteps: 5, optimizer: { type: adam, learningRate: 0.01 } }
${extra}`,
  );
  return path;
}

/** tsx's loader by absolute URL, so that `mtl` can run from any folder. */
export const TSX = import.meta.resolve('tsx');

/** A running `mtl` command: its process, and everything it printed so far. */
export interface Running {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Start `mtl <args>` (from the sources, through tsx). */
export function startMtl(args: string[], env: Record<string, string> = {}, cwd = process.cwd()): Running {
  const child = spawn(process.execPath, ['--import', TSX, join(process.cwd(), 'src/cli/main.ts'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => text, exited };
}

/** Wait until `check` returns a value (polled every 50 ms); fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 240_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A trial that is being trained now: started (per `started`, id → process id), with a
 * checkpoint in its run folder and no summary yet. Undefined when none is.
 */
export function trialInTraining(sweepDir: string, started: Map<string, number>): { id: string; pid: number } | undefined {
  for (const [id, pid] of started) {
    const dir = join(sweepDir, ...id.split('/'));
    if (existsSync(join(dir, 'checkpoint', 'state.json')) && !existsSync(join(dir, 'summary.json'))) return { id, pid };
  }
  return undefined;
}

/** `id → pid` from lines like `started <id> (host:pid)` or `started <id> in process host:pid`. */
export function startedTrials(output: string): Map<string, number> {
  const started = new Map<string, number>();
  for (const m of output.matchAll(/started (\S+) (?:\(|in process )[^:\s]+:(\d+)/g)) started.set(m[1]!, Number(m[2]));
  return started;
}

/** A sweep's table without the figures that depend on the machine's speed. */
export function tableFigures(sweepDir: string): unknown {
  const file = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')) as SweepFile;
  const strip = (row: Record<string, unknown>) => {
    const { msPerStep: _m, seconds: _s, ...rest } = row;
    return rest;
  };
  return { ...file.table, singleTask: file.table.singleTask.map((r) => strip(r as never)), rows: file.table.rows.map((r) => strip(r as never)) };
}
