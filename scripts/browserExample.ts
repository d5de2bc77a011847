/**
 * Bundle the browser example (examples/browser/train.ts) for the page with esbuild:
 * `npm run example:browser` writes examples/browser/dist/train.js; the browser test
 * bundles it in memory. Inside this repository `tfjs-multitask/browser` is the source
 * entry (src/browser.ts); an app that installed the package bundles the same file
 * without the alias.
 */
import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
/** The example's folder. */
export const EXAMPLE_DIR = join(ROOT, 'examples', 'browser');

/** esbuild options for the example: one IIFE script for the browser. */
export function exampleBuildOptions(): BuildOptions {
  return {
    entryPoints: [join(EXAMPLE_DIR, 'train.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    alias: { 'tfjs-multitask/browser': join(ROOT, 'src', 'browser.ts') },
    logLevel: 'silent',
  };
}

/** The bundled example, in memory. */
export async function bundleExample(): Promise<Uint8Array> {
  const result = await build({ ...exampleBuildOptions(), write: false });
  return result.outputFiles![0]!.contents;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outfile = join(EXAMPLE_DIR, 'dist', 'train.js');
  await build({ ...exampleBuildOptions(), outfile, minify: true, logLevel: 'info' });
  console.log(`open examples/browser/index.html over HTTP, e.g. npx http-server examples/browser (then http://127.0.0.1:8080/)`);
}
