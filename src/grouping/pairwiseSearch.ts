import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import { branchAndBound } from './branchAndBound.js';
import { candidateId } from './candidates.js';
import { pairwiseLowerBound } from './pairwiseBound.js';
import { checkPairwiseModel, pairwiseTable, type PairwiseModel } from './pairwiseModel.js';
import { GROUPING_EPSILON as EPS, checkBudget, evaluateSelection, type Selection } from './selection.js';

/**
 * A local-search selection counts as proven optimal when its gap to the Lagrangian bound is
 * within this share of its total (the subgradient method approaches the bound, it does not
 * reach it exactly).
 */
export const OPTIMALITY_TOLERANCE = 1e-6;

/** Options of {@link selectPairwise}. */
export interface PairwiseSearchOptions {
  /**
   * Up to this many tasks, write out every subset and run the exact branch and bound
   * (seeded with the local search's selection); beyond, the local search with its proven
   * optimality gap. @defaultValue 10
   */
  exactTasks?: number;
  /** Perturbation rounds of the iterated local search. @defaultValue 40 */
  restarts?: number;
  /** Seed of the local search's move order and perturbations. @defaultValue 0 */
  seed?: number | string;
  /** Subgradient iterations of the lower bound (at most). @defaultValue 1000 */
  boundIterations?: number;
}

/**
 * A network of the local search: its task indices and `option` −1 for a full-size network
 * (any number of tasks), or the index of a non-full single option (one task).
 */
interface Net {
  members: number[];
  option: number;
}

/**
 * Choose networks within `budget` minimising the summed predicted values of a
 * {@link PairwiseModel} (HOA's predicted losses, TAG's negated affinities). Up to
 * `exactTasks` tasks every subset is written out and solved exactly by
 * {@link branchAndBound}; beyond (2^T subsets are too many: 30 tasks have a billion), an
 * iterated local search over selections (moving, adding, removing and swapping tasks,
 * opening, merging and closing networks; first improvement in a seeded order, then
 * perturbation rounds) gives the selection, and a Lagrangian lower bound
 * ({@link pairwiseLowerBound}) says how far from optimal it can be: `gap`, in the
 * objective's units (`optimal` when it is within `OPTIMALITY_TOLERANCE` of the total).
 *
 * @throws MtlError `grouping.budget_too_small`, `grouping.bad_budget`, `grouping.bad_matrix`
 */
export function selectPairwise(model: PairwiseModel, budget: number, options: PairwiseSearchOptions = {}): Selection {
  checkPairwiseModel(model);
  const n = model.tasks.length;
  const cheapestSingle = Math.min(model.groupCost, ...model.singles.map((s) => s.cost));
  checkBudget(budget, Math.min(model.groupCost, n * cheapestSingle));
  const search = new LocalSearch(model, budget, new Random(`pairwise-search:${options.seed ?? 0}`));
  let nets = search.run(options.restarts ?? 40);
  if (n <= (options.exactTasks ?? 10)) {
    const table = pairwiseTable(model);
    const incumbent = nets.map((net) => search.idOf(net));
    return { ...branchAndBound(table, budget, { incumbent }), solver: 'branch-and-bound' };
  }
  let total = search.objective(nets).total;
  const { bound } = pairwiseLowerBound(model, budget, total, { ...(options.boundIterations ? { iterations: options.boundIterations } : {}) });
  // A wide gap: spend more perturbation rounds before giving up.
  if (total - bound > EPS * Math.max(1, Math.abs(total))) {
    nets = search.run(options.restarts ?? 40, nets);
    total = search.objective(nets).total;
  }
  const table = search.tableOf(nets);
  const evaluated = evaluateSelection(table, nets.map((net) => search.idOf(net)));
  const gap = Math.max(0, evaluated.total - bound);
  return {
    ...evaluated,
    budget,
    optimal: gap <= OPTIMALITY_TOLERANCE * Math.max(1, Math.abs(evaluated.total)),
    bound: Math.min(bound, evaluated.total),
    gap,
    evaluations: search.evaluations,
    solver: 'local-search',
  };
}

/** Iterated local search over selections of a pairwise model. */
class LocalSearch {
  readonly n: number;
  private readonly pair: Float64Array;
  private readonly full: Float64Array | undefined;
  private readonly best: Float64Array;
  evaluations = 0;

  constructor(
    private readonly model: PairwiseModel,
    private readonly budget: number,
    private readonly random: Random,
  ) {
    this.n = model.tasks.length;
    this.best = new Float64Array(this.n);
    this.pair = new Float64Array(this.n * this.n);
    model.pair.forEach((row, i) => row.forEach((v, j) => (this.pair[i * this.n + j] = i === j ? 0 : v)));
    const full = model.singles.find((s) => s.size === 'full');
    this.full = full ? Float64Array.from(full.values) : undefined;
  }

  costOf(net: Net): number {
    return net.option < 0 ? this.model.groupCost : this.model.singles[net.option]!.cost;
  }

  idOf(net: Net): string {
    const tasks = [...net.members].sort((a, b) => a - b).map((i) => this.model.tasks[i]!);
    return candidateId(tasks, net.option < 0 ? 'full' : this.model.singles[net.option]!.size);
  }

  /** A table holding just these networks, for {@link evaluateSelection}. */
  tableOf(nets: readonly Net[]) {
    return {
      tasks: [...this.model.tasks],
      candidates: nets.map((net) => {
        const members = [...net.members].sort((a, b) => a - b);
        const values = Object.fromEntries(members.map((j) => [this.model.tasks[j]!, this.valueIn(net, j)]));
        return { id: this.idOf(net), tasks: members.map((i) => this.model.tasks[i]!), size: net.option < 0 ? ('full' as const) : this.model.singles[net.option]!.size, cost: this.costOf(net), values };
      }),
    };
  }

  valueIn(net: Net, j: number): number {
    if (net.option >= 0) return this.model.singles[net.option]!.values[j]!;
    if (net.members.length === 1) return this.full ? this.full[j]! : Infinity;
    let sum = 0;
    for (const i of net.members) sum += this.pair[i * this.n + j]!;
    return sum / (net.members.length - 1);
  }

  /** Each network's values on its members, in member order; networks are never mutated, so neighbours share them. */
  private readonly memberValues = new WeakMap<Net, Float64Array>();

  private valuesOf(net: Net): Float64Array {
    let values = this.memberValues.get(net);
    if (!values) {
      values = Float64Array.from(net.members, (j) => this.valueIn(net, j));
      this.memberValues.set(net, values);
    }
    return values;
  }

  /** Summed best value per task (Infinity when a task is not served) and the cost. */
  objective(nets: readonly Net[]): { total: number; cost: number } {
    this.evaluations++;
    const best = this.best.fill(Infinity);
    let cost = 0;
    for (const net of nets) {
      cost += this.costOf(net);
      const values = this.valuesOf(net);
      for (let k = 0; k < values.length; k++) {
        const j = net.members[k]!;
        if (values[k]! < best[j]!) best[j] = values[k]!;
      }
    }
    let total = 0;
    for (let j = 0; j < this.n; j++) total += best[j]!;
    return { total, cost };
  }

  private feasible(nets: readonly Net[]): number {
    const { total, cost } = this.objective(nets);
    return cost <= this.budget + EPS ? total : Infinity;
  }

  /** Whether `a` is a better selection than `b`: a lower total, or the same total at a lower cost. */
  private better(a: readonly Net[], b: readonly Net[]): boolean {
    const x = this.objective(a);
    const y = this.objective(b);
    if (x.cost > this.budget + EPS) return false;
    if (y.cost > this.budget + EPS) return x.total < Infinity;
    const tolerance = EPS * Math.max(1, Math.abs(y.total));
    return x.total < y.total - tolerance || (Math.abs(x.total - y.total) <= tolerance && x.cost < y.cost - EPS);
  }

  /** Greedy start: every task on its own cheapest network, then merge the best pair while over budget or while it helps. */
  private start(): Net[] {
    const singleCosts = [this.model.groupCost, ...this.model.singles.filter((s) => s.size !== 'full').map((s) => s.cost)];
    const cheapest = Math.min(...singleCosts);
    const optionOf = (j: number): number => {
      let option = -1;
      let best = this.full ? this.full[j]! : Infinity;
      let bestCost = this.model.groupCost;
      this.model.singles.forEach((s, k) => {
        if (s.size === 'full') return;
        if (s.cost < bestCost - EPS || (Math.abs(s.cost - bestCost) <= EPS && s.values[j]! < best)) {
          option = k;
          best = s.values[j]!;
          bestCost = s.cost;
        }
      });
      return Math.abs(bestCost - cheapest) <= EPS ? option : -1;
    };
    let nets: Net[] = Array.from({ length: this.n }, (_, j) => ({ members: [j], option: optionOf(j) }));
    for (;;) {
      const { total, cost } = this.objective(nets);
      if (nets.length === 1) return nets;
      let bestNets: Net[] | undefined;
      let bestTotal = Infinity;
      for (let a = 0; a < nets.length; a++) {
        for (let b = a + 1; b < nets.length; b++) {
          const merged = nets.filter((_, k) => k !== a && k !== b);
          merged.push({ members: [...nets[a]!.members, ...nets[b]!.members], option: -1 });
          const t = this.objective(merged).total;
          if (t < bestTotal) {
            bestTotal = t;
            bestNets = merged;
          }
        }
      }
      if (cost > this.budget + EPS || bestTotal < total - EPS) nets = bestNets!;
      else return nets;
    }
  }

  /** Every neighbour of a selection (feasibility is checked by the caller). */
  private neighbours(nets: readonly Net[]): Array<() => Net[]> {
    const moves: Array<() => Net[]> = [];
    const n = this.n;
    const without = (k: number) => nets.filter((_, q) => q !== k);
    const replace = (k: number, net: Net | null) => {
      const out = nets.slice();
      if (net) out[k] = net;
      else out.splice(k, 1);
      return out;
    };
    nets.forEach((a, ka) => {
      for (const j of a.members) {
        const rest = a.members.filter((m) => m !== j);
        const shrunk: Net | null = rest.length === 0 ? null : { members: rest, option: a.option };
        // Remove j from a (a disappears when empty).
        moves.push(() => replace(ka, shrunk));
        // Take j out of a into a network of its own (any single-task size).
        if (shrunk) {
          for (let o = -1; o < this.model.singles.length; o++) {
            if (o >= 0 && this.model.singles[o]!.size === 'full') continue;
            moves.push(() => [...replace(ka, shrunk), { members: [j], option: o }]);
          }
        }
        nets.forEach((b, kb) => {
          if (kb === ka || b.option >= 0 || b.members.includes(j)) return;
          // Move j from a to b.
          moves.push(() => {
            const out = replace(kb, { members: [...b.members, j], option: -1 });
            if (shrunk) out[ka] = shrunk;
            else out.splice(ka, 1);
            return out;
          });
        });
      }
      // Turn a one-task network into another size.
      if (a.members.length === 1) {
        for (let o = -1; o < this.model.singles.length; o++) {
          if (o === a.option || (o >= 0 && this.model.singles[o]!.size === 'full')) continue;
          moves.push(() => replace(ka, { members: a.members, option: o }));
        }
      }
      // Merge a with a later network.
      for (let kb = ka + 1; kb < nets.length; kb++) {
        const b = nets[kb]!;
        moves.push(() => {
          const out = without(kb);
          out[ka] = { members: [...new Set([...a.members, ...b.members])], option: -1 };
          return out;
        });
        // Swap one task of a with one of b.
        if (a.option < 0 && b.option < 0) {
          for (const j of a.members) {
            if (b.members.includes(j)) continue;
            for (const k of b.members) {
              if (a.members.includes(k)) continue;
              moves.push(() => {
                const out = nets.slice();
                out[ka] = { members: a.members.map((m) => (m === j ? k : m)), option: -1 };
                out[kb] = { members: b.members.map((m) => (m === k ? j : m)), option: -1 };
                return out;
              });
            }
          }
        }
      }
    });
    for (let j = 0; j < n; j++) {
      // Add j to a network (it may serve j better, or help its other tasks).
      nets.forEach((b, kb) => {
        if (b.option < 0 && !b.members.includes(j)) moves.push(() => replace(kb, { members: [...b.members, j], option: -1 }));
      });
      // Open a network for j alone, or for j with another task.
      for (let o = -1; o < this.model.singles.length; o++) {
        if (o >= 0 && this.model.singles[o]!.size === 'full') continue;
        moves.push(() => [...nets, { members: [j], option: o }]);
      }
      for (let k = j + 1; k < n; k++) moves.push(() => [...nets, { members: [j, k], option: -1 }]);
    }
    return moves;
  }

  /**
   * A move that goes over the budget, repaired by closing the one other network whose loss
   * hurts least while every task stays served (an ejection chain of length two: it lets the
   * search trade one network for another at a full budget).
   */
  private repaired(next: Net[]): Net[] {
    if (this.objective(next).cost <= this.budget + EPS) return next;
    let best: Net[] | undefined;
    for (let k = 0; k < next.length - 1; k++) {
      const fewer = next.filter((_, q) => q !== k);
      if (this.feasible(fewer) === Infinity) continue;
      if (!best || this.better(fewer, best)) best = fewer;
    }
    return best ?? next;
  }

  /** First-improvement descent in a random order until no neighbour is better. */
  private descend(nets: Net[]): Net[] {
    for (;;) {
      const moves = this.random.shuffle(this.neighbours(nets));
      let improved = false;
      for (const move of moves) {
        const next = this.repaired(move());
        if (this.better(next, nets)) {
          nets = next;
          improved = true;
          break;
        }
      }
      if (!improved) return nets;
    }
  }

  /** Iterated local search: descend from the greedy start (or `from`) and from one shared network, then perturb the best `restarts` times. */
  run(restarts: number, from?: Net[]): Net[] {
    const starts: Net[][] = from ? [from] : [this.start()];
    if (!from && this.model.groupCost <= this.budget + EPS) starts.push([{ members: Array.from({ length: this.n }, (_, j) => j), option: -1 }]);
    let best: Net[] | undefined;
    for (const s of starts) {
      if (this.feasible(s) === Infinity) continue;
      const local = this.descend(s);
      if (!best || this.better(local, best)) best = local;
    }
    if (!best) {
      throw new MtlError({ code: 'grouping.budget_too_small', path: 'budget', expected: 'a budget that lets the networks serve every task', found: String(this.budget), fix: 'raise the budget' });
    }
    // Kick from the best selection or, half of the time, from the last local optimum (a walk
    // that can leave the best one's basin).
    let last = best;
    for (let r = 0; r < restarts; r++) {
      let kicked = this.random.next() < 0.5 ? best : last;
      const strength = 2 + this.random.int(3);
      for (let s = 0; s < strength; s++) {
        const moves = this.neighbours(kicked);
        for (let tries = 0; tries < 20; tries++) {
          const next = moves[this.random.int(moves.length)]!();
          if (this.feasible(next) < Infinity) {
            kicked = next;
            break;
          }
        }
      }
      const local = this.descend(kicked);
      last = local;
      if (this.better(local, best)) best = local;
    }
    return best;
  }
}
