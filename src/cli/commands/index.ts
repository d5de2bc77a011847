import type { Command } from '../command.js';
import { baselinesCommand } from './baselines.js';
import { benchCommand } from './bench.js';
import { evalCommand } from './eval.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

/** Every `mtl` subcommand, in the order `mtl --help` lists them. */
export const COMMANDS: readonly Command[] = [trainCommand, baselinesCommand, evalCommand, benchCommand, sweepCommand, workerCommand];
