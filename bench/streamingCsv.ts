/**
 * Training from a CSV file larger than the process's memory limit: generates a CSV of
 * about --size-mb megabytes (numeric and categorical features with missing values, a
 * binary, a multiclass and a regression target), then runs `mtl train` on it in a child
 * process whose JavaScript heap is limited to --heap-mb (`--max-old-space-size`). The
 * file streams (read in chunks on every pass, shuffled within a buffer); the run must
 * finish, and the figures are its wall time, its peak resident memory, and as the
 * reference in the same run, what the whole-file read of the previous loader does under
 * the same limit.
 *
 *   node --import tsx bench/streamingCsv.ts [--size-mb 1024] [--heap-mb 512] [--epochs 1] [--dir /tmp/mtl-streaming] [--keep]
 *
 * Not a CI test: it writes a file of --size-mb and takes minutes.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../src/random/random.js';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    'heap-mb': { type: 'string', default: '512' },
    epochs: { type: 'string', default: '1' },
    dir: { type: 'string', default: '/tmp/mtl-streaming' },
    keep: { type: 'boolean', default: false },
  },
});
const sizeBytes = Number(values['size-mb']) * 1024 * 1024;
const heapMb = Number(values['heap-mb']);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const csv = join(dir, 'large.csv');

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
    flags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => new RegExp(`\\b${f}\\b`).test(line)).join(' ');
  } catch {
    // not Linux
  }
  return `${cpu}, ${cpus().length} cores${flags ? `, ${flags}` : ''}, Node ${process.version}`;
}

/** Write the CSV in 8 MB pieces until it reaches the size; returns the number of rows. */
function generate(): number {
  if (existsSync(csv) && statSync(csv).size >= sizeBytes) {
    const text = readFileSync(join(dir, 'rows.txt'), 'utf8');
    return Number(text);
  }
  const r = new Random(1);
  const fd = openSync(csv, 'w');
  let written = 0;
  let rows = 0;
  const plans = ['basic', 'plus', 'pro'];
  const regions = ['north', 'south', 'east', 'west', 'NA'];
  let piece = 'x0,x1,x2,x3,x4,x5,x6,x7,plan,region,churned,segment,spend\n';
  while (written < sizeBytes) {
    const x = Array.from({ length: 8 }, () => r.normal());
    const plan = r.int(3);
    const churn = x[0]! + 0.5 * x[1]! + 0.3 * plan + 0.5 * r.normal() > 0.5;
    const segment = (x[2]! > 0 ? 1 : 0) + (x[3]! + x[4]! > 0 ? 2 : 0);
    const spend = 4000 + 900 * x[5]! + 500 * plan + 300 * x[6]! * x[7]! + 200 * r.normal();
    piece +=
      x.map((v, k) => (k === 7 && r.next() < 0.05 ? 'NA' : v.toFixed(4))).join(',') +
      `,${r.next() < 0.03 ? '' : plans[plan]},${regions[r.int(5)]},${r.next() < 0.1 ? '' : churn ? 'yes' : 'no'},${'abcd'[segment]},${r.next() < 0.2 ? '' : spend.toFixed(2)}\n`;
    rows++;
    if (piece.length > 8 * 1024 * 1024) {
      written += writeSync(fd, piece);
      piece = '';
    }
  }
  if (piece) written += writeSync(fd, piece);
  closeSync(fd);
  writeFileSync(join(dir, 'rows.txt'), String(rows));
  return rows;
}

const started = Date.now();
const rows = generate();
const bytes = statSync(csv).size;
console.log(`machine: ${machine()} (shared with other jobs while this ran)`);
console.log(`file: ${csv}, ${(bytes / 1024 / 1024).toFixed(0)} MiB, ${rows.toLocaleString('en')} rows (generated in ${((Date.now() - started) / 1000).toFixed(0)} s)`);

const experiment = join(dir, 'large.yaml');
writeFileSync(
  experiment,
  `name: streaming-bench
seed: 0
data: { source: csv, path: ${csv}, standardize: true, testFraction: 0.05 }
tasks:
  - { name: churn, kind: binary, columns: [churned] }
  - { name: segment, kind: multiclass, classes: 4, columns: [segment] }
  - { name: spend, kind: regression, columns: [spend] }
model: { encoder: { type: mlp, hidden: [64, 32] } }
training: { epochs: ${Number(values.epochs)}, batchSize: 1024, optimizer: { type: adam, learningRate: 0.002 } }
`,
);

/** Run a command under /usr/bin/time -v; returns its status, wall seconds, peak RSS in MiB and output tail. */
function measured(args: string[]): { status: number | null; seconds: number; peakMiB: number; tail: string } {
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-v', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (Date.now() - t0) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const tail = (r.stdout + r.stderr.split('\tCommand being timed')[0]).trim().split('\n').slice(-14).join('\n');
  return { status: r.status, seconds, peakMiB: rss ? Number(rss[1]) / 1024 : NaN, tail };
}

const runDir = join(dir, 'run');
rmSync(runDir, { recursive: true, force: true });
const heap = `--max-old-space-size=${heapMb}`;
const train = measured([process.execPath, heap, '--import', 'tsx', 'src/cli/main.ts', 'train', experiment, '--run-dir', runDir, '--no-progress']);
console.log(`\nmtl train under ${heap}: exit ${train.status}, ${train.seconds.toFixed(0)} s, peak resident memory ${train.peakMiB.toFixed(0)} MiB (${((train.peakMiB * 1024 * 1024) / bytes).toFixed(2)}× the file)`);
console.log(train.tail.replace(/^/gm, '  '));
const reference = measured([process.execPath, heap, '-e', `require('fs').readFileSync(${JSON.stringify(csv)}, 'utf8').length`]);
console.log(
  `\nreference, the whole-file read of the previous loader (readFileSync as text) under ${heap}: exit ${reference.status}, ${reference.seconds.toFixed(0)} s, peak ${reference.peakMiB.toFixed(0)} MiB`,
);
console.log(reference.tail.split('\n').filter((l) => /Error|error|heap/i.test(l)).slice(0, 2).join('\n').replace(/^/gm, '  '));
if (!values.keep) rmSync(dir, { recursive: true, force: true });
if (train.status !== 0) process.exitCode = 1;
