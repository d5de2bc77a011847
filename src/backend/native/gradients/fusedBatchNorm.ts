import * as tf from '@tensorflow/tfjs';

import { broadcastsAlongTrailingDims, varianceEpsilon } from '../kernels/batchNorm.js';
import { savesInputs, type NativeGradient } from './nativeGradient.js';

/** tfjs's contract for this gradient: the tensors the engine saves for it, in order. */
const SAVED = ['x', 'mean', 'variance', 'scale'];

/**
 * Whether the gradient below covers these inputs: all float32, and mean, variance and
 * scale of one shape, of rank at most x's, broadcasting along x's trailing dims. Only
 * there does tfjs's cpu kernel (which repeats parameters along x's flat order) compute
 * a broadcast, so only there is a broadcast's gradient the right one.
 */
function covers(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor | undefined): boolean {
  const params = scale ? [mean, variance, scale] : [mean, variance];
  return [x, ...params].every((t) => t.dtype === 'float32') &&
    mean.rank <= x.rank &&
    broadcastsAlongTrailingDims(mean.shape, x.shape) &&
    params.every((p) => tf.util.arraysEqual(p.shape, mean.shape));
}

/**
 * Gradient of `FusedBatchNorm` (tf.batchNorm, tf.layers.batchNormalization):
 * y = offset + (x − μ)·γ·r with r = 1/√(σ² + ε), the parameters broadcast over the
 * axes R of x where they have size 1 (Σ below sums over R):
 *
 *   dx = dy·γr,   dμ = −γr·Σdy,   dσ² = −½·γr³·Σdy(x − μ),   dγ = r·Σdy(x − μ),   doffset = Σdy
 *
 * (γ = 1 without scale). Σdy and Σdy(x − μ) are computed once, when the gradient is
 * taken, and shared; the only full-size tensors are dx, x − μ and dy(x − μ), where
 * tfjs's gradient makes about ten (a Tile of r, and products with dy for each input).
 * As in tfjs's, offset is taken to have mean's shape (the engine does not save it).
 * Inputs it does not cover (see `covers`) go to tfjs's gradient.
 */
export const fusedBatchNormGradient: NativeGradient = {
  kernelName: 'FusedBatchNorm',
  replace(original) {
    if (!savesInputs(original, SAVED)) return null;
    return {
      kernelName: 'FusedBatchNorm',
      inputsToSave: [...SAVED],
      gradFunc: (dy, saved, attrs) => {
        const [x, mean, variance, scale] = saved as Array<tf.Tensor | undefined>;
        if (Array.isArray(dy) || !x || !mean || !variance || !covers(x, mean, variance, scale)) {
          return original.gradFunc(dy, saved, attrs);
        }
        const epsilon = varianceEpsilon(attrs);
        const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape).filter((axis) => x.shape[axis] !== 1);
        const sumOverAxes = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
        const rsqrtVariance = tf.rsqrt(tf.add(variance, epsilon));
        const factor = scale ? tf.mul(scale, rsqrtVariance) : rsqrtVariance;
        const [sumDy, sumDyCentered] = tf.tidy(() => [sumOverAxes(dy), sumOverAxes(tf.mul(dy, tf.sub(x, mean)))]);
        return {
          x: () => tf.mul(dy, factor),
          mean: () => tf.neg(tf.mul(factor, sumDy!)),
          variance: () => tf.mul(tf.mul(factor, tf.square(rsqrtVariance)), tf.mul(sumDyCentered!, -0.5)),
          scale: () => tf.mul(rsqrtVariance, sumDyCentered!),
          // A new tensor: the engine may dispose what a gradient returns.
          offset: () => tf.reshape(sumDy!, mean.shape),
        };
      },
    };
  },
};
