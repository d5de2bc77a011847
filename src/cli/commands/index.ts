import type { Command } from '../command.js';
import { baselinesCommand } from './baselines.js';
import { benchCommand } from './bench.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';

/** Every `mtl` subcommand, in the order `mtl --help` lists them. */
export const COMMANDS: readonly Command[] = [trainCommand, baselinesCommand, evalCommand, predictCommand, benchCommand];
