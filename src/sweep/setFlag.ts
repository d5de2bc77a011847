import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { parseOverrideText } from '../trials/overrides.js';

/** Split at the commas that are not inside brackets, braces or quotes (`[64,64],[128]` → two values). */
export function splitAlternatives(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/**
 * The `--set` flags of `mtl sweep` as a grid's `set`: each `key=v1,v2,...` gives a
 * field's alternatives, read by what the field takes (text for names and paths, JSON
 * for numbers, booleans, lists: `model.encoder.hidden=[64],[64,64]`; task subsets as
 * names joined by `+`: `tasks=left+right,left`). Unknown fields are refused with
 * did-you-mean, before anything else happens.
 */
export function parseSetFlags(base: ExperimentConfig, flags: readonly string[]): Record<string, unknown[]> {
  const set: Record<string, unknown[]> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0 || at === flag.length - 1) {
      throw new MtlError({
        code: 'cli.bad_option',
        path: `--set ${flag}`,
        expected: 'a field path, "=" and its alternatives separated by commas',
        found: at <= 0 ? `no "=" after a field name in ${JSON.stringify(flag)}` : `no value after "=" in ${JSON.stringify(flag)}`,
        fix: 'e.g. --set weighting.method=equal,pcgrad',
      });
    }
    const key = flag.slice(0, at).trim();
    if (key in set) {
      throw new MtlError({ code: 'cli.bad_option', path: `--set ${key}`, expected: 'each field in one --set', found: `${key} twice`, fix: `list every alternative in one flag: --set ${key}=a,b` });
    }
    const describe = (k: string) => `--set ${k}`;
    const texts = splitAlternatives(flag.slice(at + 1));
    if (texts.some((t) => t.length === 0)) {
      throw new MtlError({ code: 'cli.bad_option', path: `--set ${flag}`, expected: 'alternatives separated by single commas', found: 'an empty alternative', fix: 'remove the extra comma' });
    }
    set[key] = texts.map((text) => parseOverrideText(base, key, text, describe));
  }
  return set;
}

/** `--seeds 0,1,2` as seeds (whole numbers from 0, each once). */
export function parseSeeds(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const seeds = parts.map((p) => (/^[0-9]+$/.test(p) ? Number(p) : NaN));
  if (parts.length === 0 || seeds.some((s) => !Number.isSafeInteger(s))) {
    throw new MtlError({ code: 'cli.bad_option', path: '--seeds', expected: 'whole numbers from 0 separated by commas', found: JSON.stringify(text), fix: 'e.g. --seeds 0,1,2' });
  }
  return seeds;
}
