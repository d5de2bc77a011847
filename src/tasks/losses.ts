import * as tf from '@tensorflow/tfjs';
import { fusedMaskedMean, fusedSigmoidCrossEntropy, fusedSoftmaxCrossEntropy, fusedWeightedSum } from '../backend/native/fusedLosses.js';

/** A one-input function with a written-out gradient, as `tf.customGrad` takes it (its typing wants variadic inputs). */
type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * Softmax cross-entropy per example: logits [n, k], labels [n, 1] holding class indices.
 * Its gradient is written out (softmax − one-hot, scaled by the incoming gradient), so
 * that the forward ops are not recorded on the gradient tape and the backward pass is
 * two kernels instead of the dozen autodiff would run through logSoftmax.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D {
  // The native path's single kernel (same arithmetic), when it is installed.
  const fused = fusedSoftmaxCrossEntropy(logits, labels);
  if (fused) return fused;
  const oneHot = tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), logits.shape[1]));
  try {
    return tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
      const logProbs = tf.logSoftmax(z);
      save([logProbs, oneHot]);
      return {
        value: tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1)),
        gradFunc: (dy: tf.Tensor, [lp, target]: tf.Tensor[]) => tf.mul(tf.expandDims(dy, 1), tf.sub(tf.exp(lp!), target!)),
      };
    }) as CustomGradient)(logits) as tf.Tensor1D;
  } finally {
    oneHot.dispose();
  }
}

/**
 * Sigmoid cross-entropy per example, averaged over the label columns.
 * Numerically stable form max(z,0) − z·y + log(1 + e^{−|z|}).
 */
export function sigmoidCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D {
  const fused = fusedSigmoidCrossEntropy(logits, labels);
  if (fused) return fused;
  return tf.tidy(() => {
    const perElement = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, labels)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.mean(perElement, 1) as tf.Tensor1D;
  });
}

/** Squared error per example, averaged over the output columns. */
export function squaredError(outputs: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.squaredDifference(outputs, labels), 1) as tf.Tensor1D);
}

/**
 * A task's loss over a batch with missing labels: the mean of the per-example losses
 * over the examples whose mask is 1 (ALGORITHMS.md). When no example is labelled the
 * result is 0 with a zero gradient; the trainer also drops such a task from the step.
 */
export function maskedMeanLoss(exampleLosses: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  const fused = fusedMaskedMean(exampleLosses, mask);
  if (fused) return fused;
  // d loss / d exampleLosses[i] = [mask_i > 0] / count, written out for the same reason
  // as softmaxCrossEntropy's gradient.
  const [selected, count] = tf.tidy(() => [tf.cast(tf.greater(mask, 0), 'float32'), tf.maximum(tf.sum(mask), 1)]);
  try {
    return tf.customGrad(((losses: tf.Tensor, save: tf.GradSaveFunc) => {
      // Where a label is missing its value is a placeholder: select rather than multiply,
      // so a non-finite placeholder loss can never leak in as NaN·0.
      const kept = tf.where(tf.greater(selected, 0), losses, tf.zerosLike(losses));
      save([selected, count]);
      return {
        value: tf.div(tf.sum(kept), count),
        gradFunc: (dy: tf.Tensor, [sel, n]: tf.Tensor[]) => tf.mul(sel!, tf.div(dy, n!)),
      };
    }) as CustomGradient)(exampleLosses) as tf.Scalar;
  } finally {
    tf.dispose([selected, count]);
  }
}

/**
 * The weighted sum of the task losses, Σ_t w_t·L_t over the tasks whose loss is not
 * null (a task absent from the batch), accumulated in task order in float32 (0 when
 * every loss is null). The native path computes it as one kernel whose gradient (w_t·dy
 * for each L_t) runs no kernel; elsewhere it is one multiply and one add per task.
 */
export function weightedLossSum(losses: ReadonlyArray<tf.Scalar | null>, weights: readonly number[]): tf.Scalar {
  const fused = fusedWeightedSum(losses, weights);
  if (fused) return fused;
  let total = tf.scalar(0);
  losses.forEach((l, i) => {
    if (l) total = tf.add(total, tf.mul(l, weights[i]!));
  });
  return total;
}
