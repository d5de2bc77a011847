import * as tf from '@tensorflow/tfjs';

import { savesInputs, type NativeGradient } from './nativeGradient.js';

/**
 * tf.broadcastTo(t, shape) whose gradient sums back over `axes`. broadcastTo runs the
 * Tile kernel, and tfjs's Tile gradient adds one slice per repetition (and stops at
 * rank 4): a second-order gradient through it would take thousands of ops.
 */
function broadcastSummingBack(t: tf.Tensor, shape: number[], axes: number[]): tf.Tensor {
  const spread = tf.customGrad((input) => ({
    value: tf.broadcastTo(input as tf.Tensor, shape),
    gradFunc: (dy) => tf.sum(dy, axes, true),
  }));
  return spread(t);
}

/**
 * Gradient of `Mean` (tf.mean, and tf.moments inside tf.layers.batchNormalization):
 * dx = dy/n broadcast over the reduced axes, n the number of values averaged. tfjs's
 * multiplies dy by a tensor of ones of x's shape, filled element by element each time;
 * this divides the small dy and broadcasts it in one pass. Any axis (negative too),
 * keepDims, any input dtype (the gradient is float32, as tfjs's).
 */
export const meanGradient: NativeGradient = {
  kernelName: 'Mean',
  replace(original) {
    if (!savesInputs(original, ['x'])) return null;
    return {
      kernelName: 'Mean',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved as Array<tf.Tensor | undefined>;
        if (Array.isArray(dy) || !x) return original.gradFunc(dy, saved, attrs);
        const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
        const [, reducedShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
        const count = tf.util.sizeFromShape(reducedShape);
        const kept = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
        const spreadAxes = axes.filter((axis) => x.shape[axis] !== 1);
        return {
          x: () => {
            if (x.size === 0) return tf.zeros(x.shape);
            const perValue = tf.reshape(tf.div(dy, count), kept);
            return spreadAxes.length > 0 ? broadcastSummingBack(perValue, x.shape, spreadAxes) : perValue;
          },
        };
      },
    };
  },
};
