import type { Command } from '../command.js';
import { affinityCommand } from './affinity.js';
import { baselinesCommand } from './baselines.js';
import { benchCommand } from './bench.js';
import { dashboardCommand } from './dashboard.js';
import { evalCommand } from './eval.js';
import { groupCommand } from './group.js';
import { predictCommand } from './predict.js';
import { reportCommand } from './report.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { transferCommand } from './transfer.js';
import { workerCommand } from './worker.js';

/** Every `mtl` subcommand, in the order `mtl --help` lists them. */
export const COMMANDS: readonly Command[] = [
  trainCommand,
  baselinesCommand,
  evalCommand,
  predictCommand,
  sweepCommand,
  workerCommand,
  affinityCommand,
  groupCommand,
  transferCommand,
  reportCommand,
  dashboardCommand,
  benchCommand,
];
