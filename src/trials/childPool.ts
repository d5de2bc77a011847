import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MtlError } from '../errors.js';
import type { FromChild, ToChild } from './childProtocol.js';
import { processName } from './executeTrial.js';
import { threadEnvironment } from './threadShare.js';
import type { Trial } from './trial.js';
import { fromTrialError, type TrialError, type TrialResult } from './trialResult.js';

/** Options of a {@link ChildPool}. */
export interface ChildPoolOptions {
  /** Trial processes at most. */
  processes: number;
  /** Native threads per process (MTL_NATIVE_THREADS). */
  threads: number;
  /** Backend the processes select (MTL_BACKEND); the inherited environment's choice when omitted. */
  backend?: string;
  /** Receives each trial's start (with the process that runs it) and log lines. */
  onStart?: (id: string, worker: string) => void;
  onLog?: (id: string, line: string) => void;
}

/** One trial waiting for, or running in, a process. */
interface Work {
  message: Extract<ToChild, { type: 'run' }>;
  resolve: (result: TrialResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  child: ChildProcess;
  name: string;
  ready: boolean;
  work?: Work;
  stderr: string;
}

/** The trial process's module next to this one (TypeScript sources run through tsx, compiled ones as they are). */
function childEntry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const typescript = here.endsWith('.ts');
  return {
    path: join(dirname(here), typescript ? 'trialChild.ts' : 'trialChild.js'),
    execArgv: typescript ? ['--import', import.meta.resolve('tsx')] : [],
  };
}

/**
 * Processes that run trials: up to `processes` child processes of this one, each
 * started once with its share of threads and its backend, then given trial after
 * trial (a process keeps the data it loaded for the next trial). A process that dies
 * in a trial (out of memory, killed) fails that trial with `trials.crashed` and is
 * replaced; one that cannot start (no backend) fails every waiting trial's promise
 * with its coded error. Used by the local pool and by `mtl worker`.
 */
export class ChildPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Work[] = [];
  private closed = false;
  private fatal: Error | undefined;

  constructor(private readonly options: ChildPoolOptions) {}

  /** Run a trial in the next free process; resolves to its result (a crash is a failed result). */
  run(trial: Trial, runDir: string, expectedFingerprint?: string): Promise<TrialResult> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new Error('ChildPool: closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ message: { type: 'run', trial, runDir, ...(expectedFingerprint !== undefined ? { expectedFingerprint } : {}) }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stop every process (running trials stop where they are; their checkpoints stay). */
  async close(): Promise<void> {
    this.closed = true;
    const exits = this.slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
          slot.child.once('exit', () => resolve());
          if (slot.child.connected && !slot.work) slot.child.send({ type: 'exit' } satisfies ToChild);
          else slot.child.kill('SIGTERM');
          setTimeout(() => slot.child.kill('SIGKILL'), 5000).unref();
        }),
    );
    this.slots.length = 0;
    await Promise.all(exits);
  }

  private dispatch(): void {
    if (this.closed || this.fatal) return;
    for (const slot of this.slots) {
      if (this.waiting.length === 0) break;
      if (slot.ready && !slot.work) this.assign(slot, this.waiting.shift()!);
    }
    // Start processes for the trials that no process is free for (those starting will take some).
    let needed = this.waiting.length - this.slots.filter((s) => !s.ready).length;
    while (needed > 0 && this.slots.length < this.options.processes) {
      this.spawn();
      needed--;
    }
  }

  private assign(slot: Slot, work: Work): void {
    slot.work = work;
    this.options.onStart?.(work.message.trial.id, slot.name);
    slot.child.send(work.message);
  }

  private spawn(): void {
    const { path, execArgv } = childEntry();
    const env: NodeJS.ProcessEnv = { ...process.env, ...threadEnvironment(this.options.threads) };
    if (this.options.backend) env.MTL_BACKEND = this.options.backend;
    const child = fork(path, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const slot: Slot = { child, name: `${processName().split(':')[0]}:${child.pid}`, ready: false, stderr: '' };
    this.slots.push(slot);
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('message', (message: FromChild) => this.onMessage(slot, message));
    child.on('exit', (code, signal) => this.onExit(slot, code, signal));
    child.on('error', () => {
      // 'exit' follows (or the spawn failed): handled there.
    });
  }

  private onMessage(slot: Slot, message: FromChild): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.dispatch();
        return;
      case 'fatal':
        this.fail(fromTrialError(message.error));
        return;
      case 'log':
        this.options.onLog?.(message.id, message.line);
        return;
      case 'result': {
        const work = slot.work;
        slot.work = undefined;
        work?.resolve(message.result);
        this.dispatch();
        return;
      }
    }
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    if (this.closed) {
      slot.work?.reject(new Error('ChildPool: closed'));
      return;
    }
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    const tail = slot.stderr.trim().split('\n').slice(-3).join(' | ');
    if (!slot.ready) {
      // A process that cannot even start cannot run any trial: stop rather than respawn forever.
      this.fail(
        new MtlError({
          code: 'trials.process_failed',
          path: 'trial process',
          expected: 'a trial process that starts and selects its backend',
          found: `it ended (${how})${tail ? `: ${tail}` : ''}`,
          fix: 'run `mtl train` on one trial to see the problem, or pass --verbose',
        }),
      );
      return;
    }
    if (slot.work) {
      const { trial, runDir } = slot.work.message;
      const error: TrialError = {
        code: 'trials.crashed',
        path: `trial ${trial.id}`,
        expected: 'its process to finish the trial',
        found: `the process ended (${how})${tail ? `: ${tail}` : ''}`,
        fix: signal === 'SIGKILL' ? 'out of memory? try fewer --jobs; the sweep resumes from its checkpoint' : 'see the message; the sweep resumes the trial from its checkpoint when run again',
        message: `trial ${trial.id}: its process ended (${how})`,
      };
      slot.work.resolve({ id: trial.id, overrides: trial.overrides, status: 'failed', error, seconds: 0, runDir, worker: slot.name });
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    this.fatal = error;
    for (const work of this.waiting.splice(0)) work.reject(error);
    for (const slot of this.slots) {
      slot.work?.reject(error);
      slot.work = undefined;
    }
    void this.close();
  }
}
