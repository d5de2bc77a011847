import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM_KERNEL, hasFusedKernel, runFused } from './fusedUpdates.js';
import { SlotOptimizer, type WeightDecayOptions } from './optimizer.js';

export interface AdamOptions extends WeightDecayOptions {
  /** @defaultValue 0.9 */
  beta1?: number;
  /** @defaultValue 0.999 */
  beta2?: number;
  /** @defaultValue 1e-8 */
  epsilon?: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter, ICLR 2019): θ ← θ − lr·wd·θ
   * instead of adding wd·θ to the gradient. @defaultValue false
   */
  decoupled?: boolean;
}

/**
 * Adam (Kingma & Ba, ICLR 2015) with per-variable moments and per-variable bias
 * correction: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², θ ← θ − lr·m̂/(√v̂ + ε),
 * m̂ = m/(1−β1^t), v̂ = v/(1−β2^t) where t counts this variable's own updates.
 */
export class Adam extends SlotOptimizer {
  readonly type = 'adam';
  protected readonly slotNames = ['m', 'v'] as const;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly decoupled: boolean;

  constructor(options: AdamOptions = {}) {
    super();
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.decoupled = options.decoupled ?? false;
  }

  applyGradients(grads: ReadonlyMap<tf.Variable, tf.Tensor>, learningRate: number): void {
    const fused = hasFusedKernel(FUSED_ADAM_KERNEL);
    // Step-dependent scalars of the composite path, made once per step and bias-correction count.
    const perStep = new Map<number, { stepSize: tf.Scalar; epsHat: tf.Scalar }>();
    try {
      for (const [variable, gradient] of grads) {
        const { m, v } = this.slotsOf(variable) as { m: tf.Variable; v: tf.Variable };
        const t = (this.steps.get(variable.name) ?? 0) + 1;
        this.steps.set(variable.name, t);
        const b1 = this.beta1;
        const b2 = this.beta2;
        const stepSize = (learningRate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        // ε scaled so that the update equals lr·m̂/(√v̂ + ε) exactly.
        const epsHat = this.epsilon * Math.sqrt(1 - b2 ** t);
        const coupled = this.weightDecay > 0 && !this.decoupled ? this.weightDecay : 0;
        const decayFactor = this.weightDecay > 0 && this.decoupled ? 1 - learningRate * this.weightDecay : 1;
        if (fused && variable.dtype === 'float32' && gradient.dtype === 'float32') {
          const [theta, mNew, vNew] = runFused(FUSED_ADAM_KERNEL, { variable, gradient, m, v }, {
            beta1: b1, beta2: b2, stepSize, epsilonHat: epsHat, weightDecay: coupled, decayFactor,
          });
          m.assign(mNew!);
          v.assign(vNew!);
          variable.assign(theta!);
          tf.dispose([theta!, mNew!, vNew!]);
          continue;
        }
        let scalars = perStep.get(t);
        if (!scalars) {
          scalars = { stepSize: tf.scalar(stepSize), epsHat: tf.scalar(epsHat) };
          perStep.set(t, scalars);
        }
        const { stepSize: stepSizeT, epsHat: epsHatT } = scalars;
        tf.tidy(() => {
          let g = gradient;
          if (coupled > 0) g = tf.add(g, tf.mul(variable, this.constant(coupled)));
          const mNew = tf.add(tf.mul(m, this.constant(b1)), tf.mul(g, this.constant(1 - b1)));
          const vNew = tf.add(tf.mul(v, this.constant(b2)), tf.mul(tf.square(g), this.constant(1 - b2)));
          m.assign(mNew);
          v.assign(vNew);
          let theta: tf.Tensor = variable;
          if (decayFactor !== 1) theta = tf.mul(theta, decayFactor);
          variable.assign(tf.sub(theta, tf.div(tf.mul(mNew, stepSizeT), tf.add(tf.sqrt(vNew), epsHatT))));
        });
      }
    } finally {
      for (const { stepSize, epsHat } of perStep.values()) tf.dispose([stepSize, epsHat]);
    }
  }
}
