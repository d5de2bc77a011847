import * as tf from '@tensorflow/tfjs';
import { expertMixture } from '../backend/native/fusedExpertMixture.js';
import { applySymbolic } from './stages.js';

/**
 * The gated sum of experts used by MMoE and PLE: inputs [gate, expert_1, …, expert_E]
 * with gate of shape [batch, E] (softmax weights) and experts of one common shape
 * [batch, …]; output Σ_e gate[:, e] · expert_e. No weights. Registered for
 * serialisation as `MtlExpertMixture`.
 */
export class ExpertMixture extends tf.layers.Layer {
  static className = 'MtlExpertMixture';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (inputShape as tf.Shape[])[1]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [gate, ...experts] = inputs as tf.Tensor[];
      // One kernel each way on the native path; tfjs ops elsewhere.
      return expertMixture(gate!, experts);
    });
  }
}
tf.serialization.registerClass(ExpertMixture);

/** A softmax gate over `count` experts reading `input` (flattened when it is a feature map). */
export function gate(input: tf.SymbolicTensor, count: number, name: string): { model: tf.LayersModel; weights: tf.SymbolicTensor } {
  const x = tf.input({ shape: input.shape.slice(1) as number[] });
  let h: tf.SymbolicTensor = x;
  if (x.shape.length > 2) h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: count, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: h, name });
  return { model, weights: applySymbolic(model, input) };
}

/** Σ_e gate_e · expert_e as a symbolic tensor. */
export function mixExperts(gateWeights: tf.SymbolicTensor, experts: readonly tf.SymbolicTensor[]): tf.SymbolicTensor {
  return new ExpertMixture({}).apply([gateWeights, ...experts]) as tf.SymbolicTensor;
}

/** One gate's mean weights over a batch, with the names of the experts it weighs. */
export interface GateWeights {
  /** e.g. `task:left` or `shared`. */
  gate: string;
  /** CGC level (0 for MMoE). */
  level: number;
  experts: string[];
  /** Mean gate weight of each expert over the batch (sums to 1). */
  weights: number[];
}

/** A function that evaluates the given gates on a batch and returns their mean weights. */
export function gateReader(
  input: tf.SymbolicTensor,
  gates: readonly { gate: string; level: number; experts: string[]; weights: tf.SymbolicTensor }[],
): (x: tf.Tensor) => GateWeights[] {
  const model = tf.model({ inputs: input, outputs: gates.map((g) => g.weights), name: 'gates' });
  return (x) => {
    const means = tf.tidy(() => {
      const out = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(out) ? out : [out]).map((g) => tf.mean(g, 0));
    });
    const result = gates.map((g, i) => ({ gate: g.gate, level: g.level, experts: g.experts, weights: Array.from(means[i]!.dataSync()) }));
    tf.dispose(means);
    return result;
  };
}
