/**
 * Headless Chromium for the browser tests and the docs screenshot, driven by
 * playwright-core with the system's browser (no browser download): $MTL_CHROMIUM, else
 * /usr/bin/chromium, else chromium, chromium-browser or google-chrome on PATH.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Chromium executable to use, or null when there is none. */
export function findChromium(): string | null {
  const candidates = [process.env.MTL_CHROMIUM, '/usr/bin/chromium'].filter((c): c is string => Boolean(c));
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, name));
  }
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** Flags for a quiet, offline, throw-away headless browser. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A browser with a fresh profile in a temporary folder; `close` ends it and removes the profile. */
export async function launchChromium(executablePath: string, viewport = { width: 1400, height: 1000 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'mtl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport, timeout: 120_000 });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
