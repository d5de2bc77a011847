import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/runCli.js';

/** Run the CLI in this process and capture what it prints. */
async function mtl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const EXPERIMENT = `name: args-check
seed: 0
data: { source: csv, path: examples/data/patients.csv, features: [age, bmi], testFraction: 0.25 }
tasks:
  - { name: readmitted, kind: binary, columns: [readmitted] }
  - { name: stay, kind: regression, columns: [length_of_stay] }
model: { encoder: { type: mlp, hidden: [4] } }
training: { epochs: 1, batchSize: 64, optimizer: { type: adam, learningRate: 0.01 } }
`;

function experimentFile(dir: string, edit: (text: string) => string = (t) => t): string {
  const path = join(dir, 'exp.yaml');
  writeFileSync(path, edit(EXPERIMENT));
  return path;
}

/** The wrong invocations a user types, with the error code and exit code each must give. */
const CASES: Array<{ why: string; args: (dir: string) => string[]; code: string; exit: number; fix?: RegExp }> = [
  { why: 'a mistyped command', args: () => ['trian', 'x.yaml'], code: 'cli.unknown_command', exit: 2, fix: /did you mean "mtl train"/ },
  { why: 'an unknown command', args: () => ['frobnicate'], code: 'cli.unknown_command', exit: 2, fix: /mtl --help/ },
  { why: 'a mistyped flag', args: (d) => ['train', experimentFile(d), '--epoch', '3'], code: 'cli.unknown_option', exit: 2, fix: /did you mean "--epochs"/ },
  { why: 'a flag of another command', args: () => ['eval', 'runs/x', '--batch', '3'], code: 'cli.unknown_option', exit: 2 },
  { why: 'a flag with no command', args: () => ['--epochs', '3'], code: 'cli.unknown_command', exit: 2 },
  { why: 'a missing value', args: (d) => ['train', experimentFile(d), '--epochs'], code: 'cli.missing_value', exit: 2 },
  { why: 'a value given to a switch', args: (d) => ['train', experimentFile(d), '--resume=yes'], code: 'cli.unexpected_value', exit: 2 },
  { why: 'a word for a number', args: (d) => ['train', experimentFile(d), '--epochs', 'three'], code: 'cli.bad_option', exit: 2 },
  { why: 'zero epochs', args: (d) => ['train', experimentFile(d), '--epochs', '0'], code: 'cli.bad_option', exit: 2 },
  { why: 'a fraction of an epoch', args: (d) => ['train', experimentFile(d), '--epochs', '1.5'], code: 'cli.bad_option', exit: 2 },
  { why: 'a negative batch', args: () => ['bench', 'inference', 'runs/x', '--batch', '-4'], code: 'cli.missing_value', exit: 2 },
  { why: 'an absurd batch', args: () => ['bench', 'inference', 'runs/x', '--batch', '1000000000'], code: 'cli.bad_option', exit: 2 },
  { why: 'no experiment file', args: () => ['train'], code: 'cli.missing_argument', exit: 2, fix: /mtl train examples/ },
  { why: 'two experiment files', args: (d) => ['train', experimentFile(d), 'other.yaml'], code: 'cli.extra_argument', exit: 2 },
  { why: 'an unknown bench', args: () => ['bench', 'training', 'runs/x'], code: 'cli.unknown_command', exit: 2 },
  { why: 'a missing experiment file', args: (d) => ['train', join(d, 'nope.yaml')], code: 'config.missing_file', exit: 1 },
  { why: 'a typo in a key', args: (d) => ['train', experimentFile(d, (t) => t.replace('epochs: 1', 'epoch: 1'))], code: 'config.unknown_key', exit: 1, fix: /did you mean "epochs"/ },
  {
    why: 'a typo in the method',
    args: (d) => ['train', experimentFile(d, (t) => t + 'weighting: { method: pcgard }\n')],
    code: 'weighting.unknown_method',
    exit: 1,
    fix: /did you mean "pcgrad"/,
  },
  {
    why: "a typo in a method's option",
    args: (d) => ['train', experimentFile(d, (t) => t + 'weighting: { method: cagrad, options: { conflictAverson: 0.4 } }\n')],
    code: 'weighting.unknown_option',
    exit: 1,
    fix: /did you mean "conflictAversion"/,
  },
  {
    why: 'a typo in the architecture',
    args: (d) => ['train', experimentFile(d, (t) => t.replace('model: {', 'model: { architecture: mmeo,'))],
    code: 'config.bad_value',
    exit: 1,
    fix: /did you mean "mmoe"/,
  },
  {
    why: "a typo in an architecture's option",
    args: (d) => ['train', experimentFile(d, (t) => t.replace('model: {', 'model: { architecture: mmoe, options: { expert: 4 },'))],
    code: 'model.unknown_option',
    exit: 1,
    fix: /did you mean "experts"/,
  },
  { why: 'a task kind that does not exist', args: (d) => ['train', experimentFile(d, (t) => t.replace('kind: binary', 'kind: binery'))], code: 'config.unknown_task_kind', exit: 1 },
];

for (const c of CASES) {
  test(`mtl: ${c.why} → ${c.code}, exit ${c.exit}, one coded block, nothing written`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtl-args-'));
    const cwd = process.cwd();
    try {
      const args = c.args(dir);
      const before = readdirSync(dir).sort();
      const r = await mtl(...args);
      assert.equal(r.code, c.exit, r.err);
      assert.match(r.err, new RegExp(`^error \\[${c.code.replace('.', '\\.')}\\] `), r.err);
      assert.match(r.err, /\n {2}expected: .+\n {2}found: {4}.+/);
      if (c.fix) assert.match(r.err, c.fix);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
      // Refused before the backend was chosen and before anything was written.
      assert.doesNotMatch(r.out, /backend:/);
      assert.deepEqual(readdirSync(dir).sort(), before);
      assert.equal(existsSync(join(cwd, 'runs', 'args-check')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('mtl --version prints the package version; -h and --help print the commands', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const v = await mtl('--version');
  assert.equal(v.code, 0);
  assert.equal(v.out, `${pkg.version}\n`);
  for (const flag of ['--help', '-h']) {
    const h = await mtl(flag);
    assert.equal(h.code, 0);
    assert.match(h.out, /commands:\n {2}train {2}/);
    assert.match(h.out, /exit codes: 0 success, 1 .*, 2 /);
  }
  const none = await mtl();
  assert.equal(none.code, 2, 'no command is a usage error');
  assert.match(none.out, /usage: mtl <command>/);
});

test("mtl <command> --help prints that command's options and examples, not the global help", async () => {
  const train = await mtl('train', '--help');
  assert.equal(train.code, 0);
  assert.match(train.out, /^usage: mtl train <experiment/);
  assert.match(train.out, /--epochs N +override/);
  assert.match(train.out, /examples:\n {2}mtl train /);
  assert.doesNotMatch(train.out, /commands:/);
  const bench = await mtl('bench', '--help');
  assert.match(bench.out, /--batch N/);
  assert.doesNotMatch(bench.out, /--epochs/);
});

test('the real mtl binary: an internal error is one line without a stack trace unless --verbose', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, MTL_BACKEND: 'cpu', ...env } });
  const typo = run(['train', 'examples/multimnist.yaml', '--epoch', '3']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /^error \[cli\.unknown_option\]/);
  assert.doesNotMatch(typo.stderr, /ERR_PARSE_ARGS|\n\s+at /);
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});
