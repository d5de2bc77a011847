import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MtlError } from '../../src/errors.js';

/**
 * A SHA-256 over a folder tree: every entry's relative path, kind, mode and content
 * (a symlink's target, never what it points to; a FIFO or device by kind only). Equal
 * digests before and after an operation mean it touched nothing in the tree.
 */
export function hashTree(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(path);
      hash.update(`${relPath}\0${stat.mode}\0`);
      if (stat.isSymbolicLink()) hash.update(`link:${readlinkSync(path)}\0`);
      else if (stat.isDirectory()) {
        hash.update('dir\0');
        walk(path, relPath);
      } else if (stat.isFile()) hash.update(readFileSync(path)).update(`\0${stat.size}\0`);
      else hash.update('special\0');
    }
  };
  walk(root, '');
  return hash.digest('hex');
}

/** The digests of several folders at once (a run folder and its parent, say). */
export function hashTrees(...roots: string[]): string[] {
  return roots.map(hashTree);
}

/** Assert that `fn` throws (or rejects with) an MtlError with this code and, optionally, texts in its fields. */
export function isMtlError(code: string, fields: { path?: RegExp; expected?: RegExp; found?: RegExp; fix?: RegExp } = {}) {
  return (e: unknown) => {
    assert.ok(e instanceof MtlError, `expected an MtlError [${code}], got ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, code, e.message);
    if (fields.path) assert.match(e.path, fields.path);
    if (fields.expected) assert.match(e.expected, fields.expected);
    if (fields.found) assert.match(e.found, fields.found);
    if (fields.fix) assert.match(e.fix ?? '', fields.fix);
    return true;
  };
}

/** A temporary folder for one test; `cleanup` removes it. */
export function scratch(prefix = 'mtl-rel-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A tiny CSV experiment (2 tasks, a few dozen rows) that trains in well under a second. */
export function tinyCsvExperiment(dir: string, overrides: { name?: string; extra?: Record<string, unknown>; training?: Record<string, unknown>; rows?: number } = {}) {
  const rows = overrides.rows ?? 40;
  const lines = ['x1,x2,y,z'];
  for (let i = 0; i < rows; i++) {
    const x1 = ((i * 37) % 17) / 8 - 1;
    const x2 = ((i * 11) % 13) / 6 - 1;
    lines.push(`${x1.toFixed(3)},${x2.toFixed(3)},${x1 + x2 > 0 ? 1 : 0},${(2 * x1 - x2).toFixed(3)}`);
  }
  const csv = join(dir, 'data.csv');
  writeFileSync(csv, lines.join('\n') + '\n');
  return {
    name: overrides.name ?? 'tiny',
    seed: 1,
    data: { source: 'csv', path: csv, features: ['x1', 'x2'], testFraction: 0.25 },
    tasks: [
      { name: 'y', kind: 'binary', columns: ['y'] },
      { name: 'z', kind: 'regression', columns: ['z'] },
    ],
    model: { encoder: { type: 'mlp', hidden: [4] } },
    training: { epochs: 2, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 }, ...(overrides.training ?? {}) },
    ...(overrides.extra ?? {}),
  };
}
