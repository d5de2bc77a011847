import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { test } from 'node:test';
import { build, type Plugin } from 'esbuild';

/**
 * The browser entry (src/browser.ts, `tfjs-multitask/browser`) and everything it imports
 * must be free of Node: bundled by esbuild for the browser platform, no module of ours
 * may import a Node built-in (`node:fs`, `path`, ...), and none of the Node-only layers
 * (the file io, experiments, the CLI, the native backend loader, trials, reports) may be
 * in its graph at all. A Node import anywhere would break every app's bundle; this
 * catches one on the commit that adds it, naming the chain that pulls it in.
 */

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Our folders and files that are Node by design, never to be reached from the browser entry. */
const NODE_ONLY = [/^src\/io\//, /^src\/experiment\//, /^src\/cli\//, /^src\/trials\//, /^src\/report\//, /^src\/sweep\//, /^src\/grouping\//, /^src\/backend\/native\.ts$/, /^src\/backend\/selectBackend\.ts$/, /^src\/training\/fileRunStore\.ts$/, /^src\/training\/checkpoint\.ts$/, /^src\/training\/fit\.ts$/, /^src\/training\/adashareTraining\.ts$/];

interface Graph {
  /** Each of our modules in the graph, with the modules that import it. */
  importers: Map<string, string[]>;
  /** `importer -> specifier` for each Node built-in imported. */
  nodeImports: string[];
}

async function browserGraph(entry: string): Promise<Graph> {
  const nodeImports: string[] = [];
  const record: Plugin = {
    name: 'record-node-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!BUILTINS.has(args.path)) return undefined;
        const importer = args.importer.slice(process.cwd().length + 1);
        // A dependency's own Node fallbacks (tfjs-data, seedrandom) are mapped away by its package.json "browser" field.
        if (importer.startsWith('node_modules/')) return undefined;
        nodeImports.push(`${importer} -> ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent', plugins: [record] });
  const importers = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile!.inputs)) {
    if (!file.startsWith('src/')) continue;
    if (!importers.has(file)) importers.set(file, []);
    for (const i of input.imports) if (i.path.startsWith('src/')) (importers.get(i.path) ?? importers.set(i.path, []).get(i.path)!).push(file);
  }
  return { importers, nodeImports };
}

/** The import chain from the entry to `file`, for the failure message. */
function chainTo(graph: Graph, file: string, entry: string): string {
  const chain = [file];
  const seen = new Set(chain);
  while (chain[0] !== entry) {
    const next = (graph.importers.get(chain[0]!) ?? []).find((f) => !seen.has(f));
    if (!next) break;
    chain.unshift(next);
    seen.add(next);
  }
  return chain.join(' -> ');
}

test('src/browser.ts bundles for the browser with no Node built-in and no Node-only module in its import graph', async () => {
  const entry = 'src/browser.ts';
  const graph = await browserGraph(entry);
  assert.deepEqual(graph.nodeImports, [], `Node built-ins reached from ${entry}:\n${graph.nodeImports.map((i) => `  ${chainTo(graph, i.split(' -> ')[0]!, entry)} -> ${i.split(' -> ')[1]}`).join('\n')}`);
  const forbidden = [...graph.importers.keys()].filter((f) => NODE_ONLY.some((re) => re.test(f)));
  assert.deepEqual(forbidden, [], `Node-only modules reached from ${entry}:\n${forbidden.map((f) => `  ${chainTo(graph, f, entry)}`).join('\n')}`);
  // The training loop and both browser stores are in the graph (the test checks the graph it means to).
  for (const f of ['src/training/fitLoop.ts', 'src/training/trainStep.ts', 'src/training/indexedDbRunStore.ts', 'src/training/memoryRunStore.ts', 'src/architectures/registry.ts', 'src/weighting/registry.ts']) {
    assert.ok(graph.importers.has(f), `${f} is in the browser graph`);
  }
});

test('the check fails on a Node import: the Node fit (run folders) is refused, naming the chain', async () => {
  const graph = await browserGraph('src/training/fit.ts');
  assert.ok(graph.nodeImports.some((i) => /^src\/training\/fileRunStore\.ts -> node:fs$/.test(i)), graph.nodeImports.join('\n'));
  assert.match(chainTo(graph, 'src/io/runLock.ts', 'src/training/fit.ts'), /^src\/training\/fit\.ts -> src\/training\/fileRunStore\.ts -> src\/io\/runLock\.ts$/);
});
