#!/usr/bin/env node
import { report, runCli } from './runCli.js';

const verbose = process.argv.includes('--verbose') || process.env.MTL_DEBUG === '1';
const fail = (error: unknown) => process.exit(report(error, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }, verbose));
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
runCli(process.argv.slice(2)).then((code) => process.exit(code), fail);
