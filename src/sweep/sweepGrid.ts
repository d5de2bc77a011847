import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import type { Overrides } from '../trials/overrides.js';

/** What a sweep varies: field paths and their alternatives, and the seeds every configuration runs with. */
export interface SweepGrid {
  /** Field path → its alternatives, e.g. `{ 'weighting.method': ['equal', 'pcgrad'] }`. */
  set: Readonly<Record<string, readonly unknown[]>>;
  /** @defaultValue the experiment's seed */
  seeds: readonly number[];
  /**
   * Configurations listed one by one (each a set of overrides), crossed with `set`'s
   * combinations: for variants that are not a product, e.g. methods each with their own
   * options (`{ 'weighting.method': 'static', 'weighting.options.weights.right': 0.5 }`).
   * @defaultValue one configuration with no overrides
   */
  configurations?: readonly Overrides[];
}

/**
 * The grid of an experiment's `sweep:` block merged with the command line's: `--set`
 * replaces the block's alternatives for the same field and adds the others; `--seeds`
 * replaces its seeds. A field in `set` named `seed` is refused (seeds are the
 * replicates every configuration is averaged over: `seeds`).
 */
export function resolveGrid(
  base: ExperimentConfig,
  flags: { set?: Readonly<Record<string, readonly unknown[]>>; seeds?: readonly number[]; configurations?: readonly Overrides[] } = {},
): SweepGrid {
  const set: Record<string, readonly unknown[]> = { ...(base.sweep?.set ?? {}), ...(flags.set ?? {}) };
  if ('seed' in set) {
    throw new MtlError({
      code: 'sweep.seed_in_set',
      path: flags.set && 'seed' in flags.set ? '--set seed' : 'sweep.set.seed',
      expected: 'the seeds as the replicates of every configuration',
      found: 'seed among the fields the sweep varies',
      fix: `use --seeds ${set.seed!.join(',')} (or seeds: [${set.seed!.join(', ')}] in the sweep block)`,
    });
  }
  for (const [key, values] of Object.entries(set)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new MtlError({ code: 'sweep.bad_set', path: key, expected: 'a non-empty list of alternatives', found: JSON.stringify(values), fix: `e.g. ${key}: [a, b]` });
    }
  }
  const seeds = flags.seeds ?? base.sweep?.seeds ?? [base.seed];
  if (new Set(seeds).size !== seeds.length) {
    throw new MtlError({ code: 'sweep.bad_seeds', path: flags.seeds ? '--seeds' : 'sweep.seeds', expected: 'each seed once', found: seeds.join(','), fix: `use ${[...new Set(seeds)].join(',')}` });
  }
  if (flags.configurations?.some((c) => 'seed' in c)) {
    throw new MtlError({ code: 'sweep.seed_in_set', path: 'configurations', expected: 'configurations without a seed', found: 'a seed in a configuration', fix: 'give the seeds as seeds' });
  }
  return { set, seeds: [...seeds], ...(flags.configurations ? { configurations: [...flags.configurations] } : {}) };
}

/** The grid's configurations (each listed configuration with every combination of the alternatives, in the order given; no seed). */
export function gridConfigurations(grid: SweepGrid): Overrides[] {
  let combinations: Array<Record<string, unknown>> = (grid.configurations ?? [{}]).map((c) => ({ ...c }));
  for (const [key, values] of Object.entries(grid.set)) {
    combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combinations;
}
