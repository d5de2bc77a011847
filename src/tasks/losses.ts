import * as tf from '@tensorflow/tfjs';

/** Softmax cross-entropy per example: logits [n, k], labels [n, 1] holding class indices. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const oneHot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), k);
    const logProbs = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1)) as tf.Tensor1D;
  });
}

/**
 * Sigmoid cross-entropy per example, averaged over the label columns.
 * Numerically stable form max(z,0) − z·y + log(1 + e^{−|z|}).
 */
export function sigmoidCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Tensor1D {
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
  return tf.tidy(() => {
    const count = tf.maximum(tf.sum(mask), 1);
    // Where a label is missing its value is a placeholder: select rather than multiply,
    // so a non-finite placeholder loss can never leak in as NaN·0.
    const kept = tf.where(tf.greater(mask, 0), exampleLosses, tf.zerosLike(exampleLosses));
    return tf.div(tf.sum(kept), count) as tf.Scalar;
  });
}
