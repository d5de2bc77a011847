import * as tf from '@tensorflow/tfjs';

/**
 * An optimizer whose state is keyed by variable: each variable has its own slots and
 * its own step counter. Steps that update different subsets of variables (a task
 * with no label in the batch, task sampling, per-task gradient methods) never touch
 * the state of the variables they leave out. tfjs's built-in Adam keys its state by
 * position in the gradient list and shares one bias-correction counter, which silently
 * corrupts in exactly those cases.
 */
export interface Optimizer {
  readonly type: string;
  /**
   * Apply one update: `grads` maps variable names to gradients; variables not in the
   * map are left alone, state included. `learningRate` is this step's rate (after the schedule).
   */
  applyGradients(grads: ReadonlyMap<tf.Variable, tf.Tensor>, learningRate: number): void;
  /** Slot tensors and counters of every variable, for checkpoints; keys are variable names. */
  getState(): OptimizerState;
  /** Restore from {@link getState}'s output; `rename` maps saved variable names to current ones. */
  setState(state: OptimizerState, rename?: (savedName: string) => string | undefined): void;
  /** Step counter of one variable (0 when never updated). */
  stepsOf(variable: tf.Variable): number;
  /**
   * A copy of the state of `variables` (slots and step counters) that `restore()` puts back
   * exactly, so an update can be tried and undone (TAG's lookahead). Optional for custom
   * optimizers; without it such a trial has to go through {@link getState}/{@link setState}.
   */
  snapshot?(variables: readonly tf.Variable[]): OptimizerSnapshot;
  dispose(): void;
}

/** Part of an optimizer's state, saved by {@link Optimizer.snapshot}. */
export interface OptimizerSnapshot {
  /** Put the saved state back (slots created since are removed); can be called more than once. */
  restore(): void;
  /** Free the saved copies. */
  dispose(): void;
}

export interface OptimizerState {
  /** Per variable: its step count. */
  steps: Record<string, number>;
  /** Per variable: its slot tensors (e.g. `m`, `v`) as flat float32 arrays with shapes. */
  slots: Record<string, Record<string, { shape: number[]; values: Float32Array }>>;
}

export interface WeightDecayOptions {
  /** L2 penalty added to the gradient (PyTorch `weight_decay`). @defaultValue 0 */
  weightDecay?: number;
}

/** Base for per-variable optimizers: slot bookkeeping, state save/restore. */
export abstract class SlotOptimizer implements Optimizer {
  abstract readonly type: string;
  protected readonly slots = new Map<string, Record<string, tf.Variable>>();
  protected readonly steps = new Map<string, number>();
  protected abstract readonly slotNames: readonly string[];
  /**
   * Scalars that stay the same across steps (β1, 1−β1, …), made once and kept: on
   * WebGPU/WebGL each `tf.mul(x, 0.9)` would otherwise upload a new scalar per variable per step.
   */
  private readonly constants = new Map<number, tf.Scalar>();

  /** The kept scalar tensor of `value` (float32). */
  protected constant(value: number): tf.Scalar {
    let c = this.constants.get(value);
    if (!c) {
      c = tf.keep(tf.scalar(value));
      this.constants.set(value, c);
    }
    return c;
  }

  protected slotsOf(variable: tf.Variable): Record<string, tf.Variable> {
    let s = this.slots.get(variable.name);
    if (!s) {
      s = {};
      for (const n of this.slotNames) s[n] = tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
      this.slots.set(variable.name, s);
    }
    return s;
  }

  abstract applyGradients(grads: ReadonlyMap<tf.Variable, tf.Tensor>, learningRate: number): void;

  stepsOf(variable: tf.Variable): number {
    return this.steps.get(variable.name) ?? 0;
  }

  snapshot(variables: readonly tf.Variable[]): OptimizerSnapshot {
    const saved = variables.map((v) => {
      const slots = this.slots.get(v.name);
      return {
        name: v.name,
        steps: this.steps.get(v.name),
        // Clones share the slot's data; an update assigns the slot new data and leaves it.
        slots: slots ? Object.fromEntries(Object.entries(slots).map(([k, slot]) => [k, tf.clone(slot)])) : undefined,
      };
    });
    return {
      restore: () => {
        for (const s of saved) {
          if (s.steps === undefined) this.steps.delete(s.name);
          else this.steps.set(s.name, s.steps);
          const current = this.slots.get(s.name);
          if (!s.slots) {
            if (current) for (const slot of Object.values(current)) slot.dispose();
            this.slots.delete(s.name);
          } else {
            for (const [k, value] of Object.entries(s.slots)) current![k]!.assign(value);
          }
        }
      },
      dispose: () => {
        for (const s of saved) if (s.slots) tf.dispose(Object.values(s.slots));
      },
    };
  }

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [name, s] of this.slots) {
      slots[name] = {};
      for (const [slot, v] of Object.entries(s)) {
        slots[name]![slot] = { shape: v.shape, values: v.dataSync() as Float32Array };
      }
    }
    return { steps: Object.fromEntries(this.steps), slots };
  }

  setState(state: OptimizerState, rename: (savedName: string) => string | undefined = (n) => n): void {
    this.dispose();
    for (const [saved, count] of Object.entries(state.steps)) {
      const name = rename(saved);
      if (name !== undefined) this.steps.set(name, count);
    }
    for (const [saved, s] of Object.entries(state.slots)) {
      const name = rename(saved);
      if (name === undefined) continue;
      const vars: Record<string, tf.Variable> = {};
      for (const [slot, { shape, values }] of Object.entries(s)) {
        vars[slot] = tf.tidy(() => tf.variable(tf.tensor(values, shape), false));
      }
      this.slots.set(name, vars);
    }
  }

  dispose(): void {
    for (const c of this.constants.values()) c.dispose();
    this.constants.clear();
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
    this.steps.clear();
  }
}
