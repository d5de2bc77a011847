import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's name and version, read from its package.json (found above this file in a checkout, in dist/ or in node_modules). */
export function packageInfo(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      try {
        const json = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string; bin?: Record<string, string> };
        if (json.bin && 'mtl' in json.bin && json.name && json.version) return { name: json.name, version: json.version };
      } catch {
        // not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  return { name: 'mtl', version: 'unknown' };
}
