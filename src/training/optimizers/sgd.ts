import * as tf from '@tensorflow/tfjs';
import { FUSED_SGD_KERNEL, hasFusedKernel, runFused } from './fusedUpdates.js';
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
    const fused = hasFusedKernel(FUSED_SGD_KERNEL);
    const lr = tf.scalar(learningRate);
    try {
      for (const [variable, gradient] of grads) {
        const t = (this.steps.get(variable.name) ?? 0) + 1;
        this.steps.set(variable.name, t);
        const buffer = this.momentum > 0 ? (this.slotsOf(variable) as { momentum: tf.Variable }).momentum : undefined;
        if (fused && variable.dtype === 'float32' && gradient.dtype === 'float32') {
          const outputs = runFused(FUSED_SGD_KERNEL, buffer ? { variable, gradient, buffer } : { variable, gradient }, {
            learningRate, weightDecay: this.weightDecay, momentum: this.momentum, nesterov: this.nesterov, firstStep: t === 1,
          });
          if (buffer) buffer.assign(outputs[1]!);
          variable.assign(outputs[0]!);
          tf.dispose(outputs);
          continue;
        }
        tf.tidy(() => {
          let g = gradient;
          if (this.weightDecay > 0) g = tf.add(g, tf.mul(variable, this.constant(this.weightDecay)));
          if (buffer) {
            // PyTorch initialises the buffer with the first gradient.
            const b = t === 1 ? g : tf.add(tf.mul(buffer, this.constant(this.momentum)), g);
            buffer.assign(b);
            g = this.nesterov ? tf.add(g, tf.mul(b, this.constant(this.momentum))) : b;
          }
          variable.assign(tf.sub(variable, tf.mul(g, lr)));
        });
      }
    } finally {
      lr.dispose();
    }
  }
}
