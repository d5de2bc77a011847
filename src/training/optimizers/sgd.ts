import * as tf from '@tensorflow/tfjs';
import { SlotOptimizer, type WeightDecayOptions } from './optimizer.js';

export interface SgdOptions extends WeightDecayOptions {
  /** Momentum μ; 0 disables it. @defaultValue 0 */
  momentum?: number;
  /** Nesterov momentum. @defaultValue false */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, PyTorch's convention:
 * b ← μ b + g, θ ← θ − lr·b (or θ − lr·(g + μ b) with Nesterov), per-variable buffers.
 */
export class Sgd extends SlotOptimizer {
  readonly type = 'sgd';
  protected readonly slotNames: readonly string[];
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;

  constructor(options: SgdOptions = {}) {
    super();
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    this.slotNames = this.momentum > 0 ? ['momentum'] : [];
  }

  applyGradients(grads: ReadonlyMap<tf.Variable, tf.Tensor>, learningRate: number): void {
    for (const [variable, gradient] of grads) {
      const t = (this.steps.get(variable.name) ?? 0) + 1;
      this.steps.set(variable.name, t);
      tf.tidy(() => {
        let g = gradient;
        if (this.weightDecay > 0) g = tf.add(g, tf.mul(variable, this.weightDecay));
        if (this.momentum > 0) {
          const { momentum: buffer } = this.slotsOf(variable) as { momentum: tf.Variable };
          // PyTorch initialises the buffer with the first gradient.
          const b = t === 1 ? g : tf.add(tf.mul(buffer, this.momentum), g);
          buffer.assign(b);
          g = this.nesterov ? tf.add(g, tf.mul(b, this.momentum)) : b;
        }
        variable.assign(tf.sub(variable, tf.mul(g, learningRate)));
      });
    }
  }
}
