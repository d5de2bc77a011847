import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Trial } from './trial.js';
import { shortHash } from './trialId.js';

/** The BullMQ queue that coordinators fill and `mtl worker` processes take trials from. */
export const QUEUE_NAME = 'mtl-trials';

/** The job a coordinator puts on the queue for one trial. */
export interface TrialJobData {
  version: 1;
  trial: Trial;
  /** The coordinator's sweep folder and the trial's run folder in it (absolute paths on the coordinator's machine). */
  sweepDir: string;
  runDir: string;
  /** Identifies the sweep folder; a worker that finds the same key in `<sweepDir>/.queue.json` shares the folder. */
  sweepKey: string;
  /** The coordinator's fingerprint of the trial's data. */
  fingerprint: string;
}

/** The file that marks a sweep folder as a queue coordinator's, so that workers can tell a shared folder. */
export const SWEEP_MARKER = '.queue.json';

/** A sweep folder's key: a hash of the coordinator's host and the folder's absolute path. */
export function sweepKeyOf(sweepDir: string): string {
  return shortHash(`${hostname()}\n${sweepDir}`);
}

/** Mark a sweep folder with its key (workers on machines that share the folder find it). */
export function markSweepFolder(sweepDir: string, sweepKey: string): void {
  writeFileSync(join(sweepDir, SWEEP_MARKER), JSON.stringify({ sweepKey }) + '\n');
}

/** Whether this machine sees the coordinator's sweep folder (a shared file system). */
export function sharesSweepFolder(data: TrialJobData): boolean {
  const path = join(data.sweepDir, SWEEP_MARKER);
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { sweepKey?: string }).sweepKey === data.sweepKey;
  } catch {
    return false;
  }
}

/**
 * A trial's job id: the sweep folder's key, a hash of the trial's experiment and data
 * fingerprint, and the trial id. The same trial of the same sweep always has the same
 * id, so a restarted coordinator finds its jobs (and their results) again, and a
 * trial is never queued twice; a changed experiment gets a new id, never an old result.
 */
export function jobIdOf(sweepKey: string, trial: Trial, fingerprint: string): string {
  return `${sweepKey}.${shortHash(JSON.stringify(trial.config) + '\n' + fingerprint)}.${trial.id}`;
}
