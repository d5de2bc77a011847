import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * The docs stay true to the code:
 * - every ```ts / ```typescript block of README.md and docs/*.md type-checks against the
 *   package's source, imported as a user would ('tfjs-multitask', '.../browser',
 *   '.../report'); a block marked ```ts no-check is an illustration and is skipped;
 * - every documented `mtl` error (a command in a ```sh block followed by an ``` block
 *   that starts with `error [`, or a ``` block that starts with `$ npx mtl ...`) is what
 *   the command prints for that command line.
 */

const root = process.cwd();
const DOC_FILES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

interface Block {
  file: string;
  line: number;
  lang: string;
  info: string;
  code: string;
}

/** Fenced code blocks of a Markdown file, with the line where each starts. */
export function codeBlocks(file: string, text = readFileSync(file, 'utf8')): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(Math.min(indent, lines[j]!.search(/\S|$/))));
    blocks.push({ file, line: i + 1, lang: open[2]!, info: open[3]!, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const tsBlocks = () => DOC_FILES.flatMap((f) => codeBlocks(f)).filter((b) => b.lang === 'ts' || b.lang === 'typescript');

test('codeBlocks finds fenced blocks with their language, info and start line', () => {
  const text = 'intro\n```ts no-check\nconst a = 1;\n```\n\n- item\n  ```sh\n  mtl --help\n  ```\n';
  const blocks = codeBlocks('x.md', text);
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.info, b.line, b.code]),
    [
      ['ts', 'no-check', 2, 'const a = 1;'],
      ['sh', '', 7, 'mtl --help'],
    ],
  );
});

test('every TypeScript block of the README and the guides type-checks against the source', { timeout: 600_000 }, () => {
  const blocks = tsBlocks();
  const checked = blocks.filter((b) => !/\bno-check\b/.test(b.info));
  assert.ok(checked.length >= 12, `expected the docs to have TypeScript examples, found ${checked.length}`);
  assert.ok(blocks.length - checked.length <= 3, `only a few blocks may be marked no-check: ${blocks.filter((b) => !checked.includes(b)).map((b) => `${b.file}:${b.line}`).join(', ')}`);
  // Inside the repository so that @tensorflow/tfjs and the package's own "type": "module" resolve as for a user.
  const dir = join(root, `.snippets-check-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  try {
    const names = new Map<string, Block>();
    for (const block of checked) {
      const name = `${block.file.replace(/[/.]/g, '_')}_L${block.line}.ts`;
      names.set(name, block);
      // Each block is its own module (top-level await, no clashes between blocks).
      writeFileSync(join(dir, name), `${block.code}\nexport {};\n`);
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: {
          noEmit: true,
          rootDir: '..',
          baseUrl: '..',
          paths: {
            'tfjs-multitask': ['src/index.ts'],
            'tfjs-multitask/browser': ['src/browser.ts'],
            'tfjs-multitask/report': ['src/report/index.ts'],
          },
        },
        include: ['./*.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    // Name each error by the doc and line it comes from.
    const report = (tsc.stdout + tsc.stderr).replace(/(?:\S*[/\\])?(\w+_md_L(\d+)\.ts)\((\d+),(\d+)\)/g, (_m, name: string, _l, line: string, col: string) => {
      const block = names.get(name);
      return block ? `${block.file}:${block.line + Number(line)}:${col}` : name;
    });
    assert.equal(tsc.status, 0, `docs code blocks do not type-check:\n${report}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A documented error: the command line as the docs write it and the output they show. */
interface DocumentedError {
  where: string;
  setup: string[];
  command: string;
  output: string;
}

export function documentedErrors(file: string, text = readFileSync(file, 'utf8')): DocumentedError[] {
  const blocks = codeBlocks(file, text);
  const found: DocumentedError[] = [];
  blocks.forEach((b, i) => {
    if (b.lang === '' && b.code.startsWith('$ ')) {
      const [first, ...rest] = b.code.split('\n');
      found.push({ where: `${file}:${b.line}`, setup: [], command: first!.slice(2), output: rest.join('\n') });
    } else if (b.lang === '' && b.code.startsWith('error [') && i > 0 && blocks[i - 1]!.lang === 'sh') {
      const lines = blocks[i - 1]!.code.split('\n').filter((l) => l.trim() !== '');
      found.push({ where: `${file}:${b.line}`, setup: lines.slice(0, -1), command: lines.at(-1)!, output: b.code });
    }
  });
  return found;
}

test('documentedErrors pairs a command with the error block after it', () => {
  const text = '```sh\necho a > b\nnpx mtl train b\n```\n\n```\nerror [x.y] b\n  expected: e\n```\n\n```\n$ npx mtl trian\nerror [cli.unknown_command] mtl\n```\n';
  assert.deepEqual(documentedErrors('x.md', text), [
    { where: 'x.md:6', setup: ['echo a > b'], command: 'npx mtl train b', output: 'error [x.y] b\n  expected: e' },
    { where: 'x.md:11', setup: [], command: 'npx mtl trian', output: 'error [cli.unknown_command] mtl' },
  ]);
});

test('the errors shown in the README and docs/cli.md are what mtl prints for those command lines', { timeout: 300_000 }, () => {
  const errors = ['README.md', 'docs/cli.md'].flatMap((f) => documentedErrors(f));
  assert.ok(errors.some((e) => e.where.startsWith('README.md')), 'the README shows an error example');
  assert.ok(errors.length >= 3, `found ${errors.length} documented errors`);
  const cli = [process.execPath, '--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts')];
  for (const e of errors) {
    // A fresh folder holding the example files, as in a checkout.
    const cwd = mkdtempSync(join(tmpdir(), 'mtl-docs-error-'));
    try {
      mkdirSync(join(cwd, 'examples'));
      copyFileSync(join(root, 'examples', 'multimnist.yaml'), join(cwd, 'examples', 'multimnist.yaml'));
      for (const line of e.setup) execFileSync('bash', ['-c', line], { cwd });
      const args = e.command.replace(/^(npx mtl|npm run mtl --|mtl)\s+/, '').split(/\s+/);
      assert.notEqual(args[0], e.command.split(/\s+/)[0], `${e.where}: "${e.command}" is not an mtl command line`);
      const run = spawnSync(cli[0]!, [...cli.slice(1), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      assert.equal(run.stderr.trimEnd(), e.output.trimEnd(), `${e.where}: mtl ${args.join(' ')} printed something else`);
      assert.equal(run.status, e.output.startsWith('error [cli.') ? 2 : 1, `${e.where}: exit code`);
      assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
});
