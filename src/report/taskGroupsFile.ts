/**
 * Readers for the task-grouping results a run or sweep folder may hold: `affinity.json`
 * (inter-task affinity) and `grouping.json` (the chosen networks). Their writer lives in
 * `src/grouping/`; the report reads only the files, and accepts the shapes listed on each
 * reader so that either side can evolve. Absent files are not an error (most runs have
 * none); a file in none of the shapes is reported as unreadable rather than thrown.
 */

/** An inter-task affinity matrix: `values[i][j]` is the affinity of task `tasks[i]` onto task `tasks[j]`. */
export interface AffinityMatrix {
  tasks: string[];
  /** Row: the source task (whose update is taken); column: the task whose loss is measured. null where not measured. */
  values: (number | null)[][];
  /** How it was measured, when the file says (e.g. `tag`, `pairwise`). */
  method?: string;
}

/** One network a grouping chose and the tasks it serves. */
export interface GroupedNetwork {
  id: string;
  tasks: string[];
  /** The tasks for which this network's predictions are used (defaults to all its tasks). */
  serves: string[];
  cost?: number;
}

/** The networks a grouping search chose under a budget. */
export interface TaskGrouping {
  networks: GroupedNetwork[];
  budget?: number;
  cost?: number;
  total?: number;
  solver?: string;
  optimal?: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

/**
 * Read an affinity file's JSON. Accepted shapes (the first that fits):
 * - `{ tasks: [...], matrix | affinity | values: number[][] }` (row = source task);
 * - `{ affinity: { [source]: { [target]: number } } }`, or that object at the top level;
 * - `{ pairs: [{ from | source, to | target, value | affinity }] }`.
 * An optional `method` string is kept. Returns undefined for anything else.
 */
export function parseAffinity(json: unknown): AffinityMatrix | undefined {
  if (!isRecord(json)) return undefined;
  const method = typeof json.method === 'string' ? json.method : undefined;
  const withMethod = (m: AffinityMatrix): AffinityMatrix => (method ? { ...m, method } : m);
  const tasks = strings(json.tasks);
  const grid = [json.matrix, json.affinity, json.values].find((g) => Array.isArray(g) && g.every(Array.isArray)) as unknown[][] | undefined;
  if (tasks && grid && grid.length === tasks.length && grid.every((row) => row.length === tasks.length)) {
    return withMethod({ tasks, values: grid.map((row) => row.map(num)) });
  }
  const nested = isRecord(json.affinity) ? json.affinity : json;
  const sources = Object.entries(nested).filter(([, v]) => isRecord(v)) as [string, Record<string, unknown>][];
  if (sources.length > 0 && sources.every(([, row]) => Object.values(row).every((x) => typeof x === 'number' || x === null))) {
    const names = tasks ?? [...new Set(sources.flatMap(([s, row]) => [s, ...Object.keys(row)]))];
    const rows = new Map(sources);
    return withMethod({ tasks: names, values: names.map((s) => names.map((t) => num(rows.get(s)?.[t]))) });
  }
  if (Array.isArray(json.pairs)) {
    const pairs = json.pairs.filter(isRecord).map((p) => ({ from: p.from ?? p.source, to: p.to ?? p.target, value: num(p.value ?? p.affinity) }));
    if (pairs.length > 0 && pairs.every((p) => typeof p.from === 'string' && typeof p.to === 'string')) {
      const names = tasks ?? [...new Set(pairs.flatMap((p) => [p.from as string, p.to as string]))];
      const values = names.map(() => names.map((): number | null => null));
      for (const p of pairs) values[names.indexOf(p.from as string)]![names.indexOf(p.to as string)] = p.value;
      return withMethod({ tasks: names, values });
    }
  }
  return undefined;
}

/**
 * Read a grouping file's JSON. Accepted shapes:
 * - a selection `{ networks: [{ id?, tasks, serves?, cost? }], budget?, cost?, total?, solver?, optimal? }`,
 *   at the top level or under `selection`;
 * - `{ groups: string[][] }` or a bare `string[][]` (one network per group, serving all its tasks).
 * Returns undefined for anything else.
 */
export function parseGrouping(json: unknown): TaskGrouping | undefined {
  const root = isRecord(json) && isRecord(json.selection) ? json.selection : json;
  const groupsOf = (list: unknown): TaskGrouping | undefined => {
    if (!Array.isArray(list) || list.length === 0 || !list.every((g) => strings(g))) return undefined;
    return { networks: (list as string[][]).map((tasks) => ({ id: tasks.join('+'), tasks, serves: tasks })) };
  };
  if (Array.isArray(root)) return groupsOf(root);
  if (!isRecord(root)) return undefined;
  if (Array.isArray(root.networks)) {
    const networks = root.networks.filter(isRecord).flatMap((n): GroupedNetwork[] => {
      const tasks = strings(n.tasks);
      if (!tasks || tasks.length === 0) return [];
      const cost = num(n.cost);
      return [{ id: typeof n.id === 'string' ? n.id : tasks.join('+'), tasks, serves: strings(n.serves) ?? tasks, ...(cost !== null ? { cost } : {}) }];
    });
    if (networks.length === 0) return undefined;
    const extra: Partial<TaskGrouping> = {};
    for (const key of ['budget', 'cost', 'total'] as const) {
      const v = num(root[key]);
      if (v !== null) extra[key] = v;
    }
    if (typeof root.solver === 'string') extra.solver = root.solver;
    if (typeof root.optimal === 'boolean') extra.optimal = root.optimal;
    return { networks, ...extra };
  }
  return groupsOf(root.groups);
}
