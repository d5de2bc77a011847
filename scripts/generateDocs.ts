/**
 * Writes the generated parts of the guides from the code they describe, so they cannot
 * drift from it:
 * - docs/balancing.md: the table of the 28 task-balancing methods (name, paper, what
 *   each needs, gradient modes, whether it balances loss scales, every option with its
 *   default and its JSDoc), read from the registry in src/weighting/;
 * - docs/architectures.md: every architecture's options with their defaults, read from
 *   the architecture registry (src/architectures/registry.ts);
 * - docs/cli.md: every `mtl` command with its usage, description, options and examples,
 *   read from the command definitions in src/cli/commands/ (what `--help` prints).
 *
 * Each generated part sits between `<!-- begin generated: KEY -->` and
 * `<!-- end generated: KEY -->`; the prose around it is written by hand.
 *
 *   npm run docs:generate           rewrite the parts in place
 *   npm run docs:generate -- --check  exit 1 if a part is out of date (test/docs/generated.test.ts)
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { GLOBAL_OPTIONS, type Command, type OptionSpec } from '../src/cli/command.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { ARCHITECTURES, ARCHITECTURE_OPTIONS, resolveArchitecture } from '../src/architectures/registry.js';
import { resolveAdaShareSchedule } from '../src/training/adashareTraining.js';
import { weightingMethods } from '../src/weighting/registry.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** JSDoc of every property of every `...Options` interface, by file (absolute path). */
function optionDocs(file: string): Map<string, string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const docs = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || !node.name.text.endsWith('Options')) return;
    const interfaceDoc = jsDocText(node);
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
      docs.set(member.name.text, jsDocText(member) || interfaceDoc);
    }
  });
  return docs;
}

/** A node's JSDoc text on one line, without its tags. */
function jsDocText(node: ts.Node): string {
  return ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The files a module imports from its own folder, in order. */
function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.\/[^']+)\.js'/g)].map((m) => join(dirname(file), `${m[1]}.ts`));
}

/** The source file that defines each registered method (the module whose export is the method object). */
async function methodFiles(): Promise<Map<string, string>> {
  const dir = join(root, 'src', 'weighting');
  const byMethod = new Map<string, string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const file = join(dir, name);
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      for (const method of Object.values(weightingMethods)) if (value === method) byMethod.set(method.name, file);
    }
  }
  return byMethod;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cell = (text: string) => escapeHtml(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

async function balancingTable(): Promise<string> {
  const files = await methodFiles();
  const context = { taskNames: ['a', 'b'], seed: 0 };
  const needs = { losses: 'losses', gramian: 'Gramian', gradients: 'gradient rows' } as const;
  const rows = ['| method | what it does (paper) | needs | gradient modes (default first) | balances scales | options (default) |', '| --- | --- | --- | --- | --- | --- |'];
  const details: string[] = [];
  for (const method of Object.values(weightingMethods)) {
    const file = files.get(method.name);
    if (!file) throw new Error(`no source file found for weighting method ${method.name}`);
    const defaults = method.resolveOptions(undefined, context) as Record<string, unknown>;
    const docSources = [file, ...localImports(file)].map(optionDocs);
    const options = Object.entries(defaults).map(([key, value]) => {
      const doc = docSources.map((d) => d.get(key)).find((d) => d !== undefined) ?? '';
      return { key, value: key === 'weights' && method.name === 'static' ? '1 per task' : value, doc };
    });
    const optionCell = options.length === 0 ? '—' : options.map((o) => `\`${o.key}\` (${typeof o.value === 'string' && o.value === '1 per task' ? o.value : code(o.value)})`).join(', ');
    rows.push(
      `| \`${method.name}\` | ${cell(method.description)} | ${needs[method.needs]} | ${method.gradientModes.length ? method.gradientModes.join(', ') : '—'} | ${method.balancesScales ? 'yes' : 'no'} | ${optionCell} |`,
    );
    if (options.length > 0) {
      details.push(`- \`${method.name}\` (\`${file.slice(root.length + 1)}\`):`);
      for (const o of options) details.push(`  - \`${o.key}\`: ${o.doc || '(no description)'}`);
    }
  }
  return [...rows, '', 'Options of each method (from the JSDoc of its options interface):', '', ...details].join('\n');
}

function optionRows(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(
    ([name, o]) => `| \`${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}\` | ${cell(o.description)} |`,
  );
}

function cliReference(commands: readonly Command[]): string {
  const out: string[] = ['| command | what it does |', '| --- | --- |'];
  for (const c of commands) out.push(`| [\`mtl ${c.name}\`](#mtl-${c.name}) | ${cell(c.summary)} |`);
  out.push('', 'Options every command accepts:', '', '| option | |', '| --- | --- |', ...optionRows(GLOBAL_OPTIONS), '');
  for (const c of commands) {
    out.push(`### mtl ${c.name}`, '', '```', c.usage, '```', '', escapeHtml(c.description.replace(/\n/g, ' ')), '');
    const own = Object.keys(c.options).length > 0;
    if (own) out.push('| option | |', '| --- | --- |', ...optionRows(c.options), '');
    out.push('Examples:', '', '```sh', ...c.examples, '```', '');
  }
  return out.join('\n').trimEnd();
}

function architectureOptions(): string {
  const rows = ['| `model.architecture` | `model.options` (default) |', '| --- | --- |'];
  for (const name of ARCHITECTURES) {
    const resolved = { ...resolveArchitecture(name), ...(name === 'adashare' ? resolveAdaShareSchedule({}) : {}) } as Record<string, unknown>;
    const options = ARCHITECTURE_OPTIONS[name].map((key) => `\`${key}\` (${key in resolved ? code(resolved[key]) : key === 'levels' ? 'one per encoder stage' : 'none'})`);
    rows.push(`| \`${name}\` | ${options.length ? options.join(', ') : '—'} |`);
  }
  return rows.join('\n');
}

const PARTS: Record<string, { file: string; make: () => Promise<string> | string }> = {
  'weighting-methods': { file: 'docs/balancing.md', make: balancingTable },
  'architecture-options': { file: 'docs/architectures.md', make: architectureOptions },
  'cli-commands': { file: 'docs/cli.md', make: () => cliReference(COMMANDS) },
};

/** Replace each generated part of `text` with `parts[key]`; throws when a marker pair is missing. */
export function replaceParts(text: string, parts: Record<string, string>, file: string): string {
  let result = text;
  for (const [key, body] of Object.entries(parts)) {
    const begin = `<!-- begin generated: ${key} (npm run docs:generate) -->`;
    const end = `<!-- end generated: ${key} -->`;
    const i = result.indexOf(begin);
    const j = result.indexOf(end);
    if (i === -1 || j === -1 || j < i) throw new Error(`${file}: the markers of the generated part "${key}" are missing`);
    result = `${result.slice(0, i + begin.length)}\n${body}\n${result.slice(j)}`;
  }
  return result;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const byFile = new Map<string, Record<string, string>>();
  for (const [key, part] of Object.entries(PARTS)) {
    byFile.set(part.file, { ...(byFile.get(part.file) ?? {}), [key]: await part.make() });
  }
  let stale = 0;
  for (const [file, parts] of byFile) {
    const path = join(root, file);
    const before = readFileSync(path, 'utf8');
    const after = replaceParts(before, parts, file);
    if (before === after) continue;
    if (check) {
      stale++;
      console.error(`${file}: a generated part is out of date; run npm run docs:generate`);
    } else {
      writeFileSync(path, after);
      console.log(`wrote ${file}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
