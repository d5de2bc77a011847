/**
 * The two training workloads the native path is measured on (bench/native) and
 * checked with (test/native): a two-head LeNet and a three-head MLP, written with
 * the fused tfjs ops that tf.layers uses, so they hit the same kernels a layers
 * model does. bench/native/reference.py builds the same networks in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

/** A model's trainable variables and its summed multi-task loss. */
export interface TrainableModel {
  variables: tf.Variable[];
  loss(x: tf.Tensor, labels: tf.Tensor[]): tf.Scalar;
}

function uniformVariable(shape: number[], fanIn: number, seed: number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);  // PyTorch's default init range
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed), true));
}

function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(labels, logits as tf.Tensor2D) as tf.Scalar;
}

/**
 * LeNet with two heads: conv(1→10, 5) → maxpool 2 → relu → conv(10→20, 5) → maxpool 2
 * → relu → dense 320→50 → relu → two dense 50→10 heads; loss = sum of the heads'
 * softmax cross-entropies. Input [batch, 28, 28, 1], labels two one-hot [batch, 10].
 */
export function createLenet(seed = 1): TrainableModel {
  const v = (shape: number[], fanIn: number) => uniformVariable(shape, fanIn, seed++);
  const conv1 = v([5, 5, 1, 10], 25), conv1b = v([10], 25);
  const conv2 = v([5, 5, 10, 20], 250), conv2b = v([20], 250);
  const fc = v([320, 50], 320), fcb = v([50], 320);
  const heads = [0, 1].map((t) => [v([50, 10], 50), v([10], 50)] as const);
  return {
    variables: [conv1, conv1b, conv2, conv2b, fc, fcb, ...heads.flat()],
    loss(x, labels) {
      let h = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: conv1 as tf.Tensor4D, strides: 1, pad: 'valid', bias: conv1b });
      h = tf.relu(tf.maxPool(h, 2, 2, 'valid'));
      h = tf.fused.conv2d({ x: h, filter: conv2 as tf.Tensor4D, strides: 1, pad: 'valid', bias: conv2b });
      h = tf.relu(tf.maxPool(h, 2, 2, 'valid'));
      const flat = tf.fused.matMul({ a: h.reshape([-1, 320]), b: fc, bias: fcb, activation: 'relu' });
      const losses = heads.map(([w, b], t) => crossEntropy(tf.fused.matMul({ a: flat, b: w, bias: b }), labels[t]!));
      return tf.addN(losses) as tf.Scalar;
    },
  };
}

/**
 * Hard-sharing MLP: 64→256→256 (relu) shared trunk and three dense 256→3 heads;
 * loss = sum of the heads' softmax cross-entropies. Input [batch, 64].
 */
export function createMlp(seed = 1): TrainableModel {
  const v = (shape: number[], fanIn: number) => uniformVariable(shape, fanIn, seed++);
  const w1 = v([64, 256], 64), b1 = v([256], 64);
  const w2 = v([256, 256], 256), b2 = v([256], 256);
  const heads = [0, 1, 2].map((t) => [v([256, 3], 256), v([3], 256)] as const);
  return {
    variables: [w1, b1, w2, b2, ...heads.flat()],
    loss(x, labels) {
      const h1 = tf.fused.matMul({ a: x as tf.Tensor2D, b: w1, bias: b1, activation: 'relu' });
      const h2 = tf.fused.matMul({ a: h1, b: w2, bias: b2, activation: 'relu' });
      const losses = heads.map(([w, b], t) => crossEntropy(tf.fused.matMul({ a: h2, b: w, bias: b }), labels[t]!));
      return tf.addN(losses) as tf.Scalar;
    },
  };
}

/** A fixed random batch: inputs of `inputShape` (batch first) and one-hot labels per head. */
export function randomBatch(inputShape: number[], heads: number, classes: number, seed = 7): { x: tf.Tensor; labels: tf.Tensor[] } {
  const batch = inputShape[0]!;
  const x = tf.randomUniform(inputShape, 0, 1, 'float32', seed);
  const labels = Array.from({ length: heads }, (_, t) =>
    tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', seed + 1 + t) as tf.Tensor1D, classes).toFloat()),
  );
  return { x, labels };
}

/** One optimizer step on `model`; returns the loss before the update. */
export function trainStep(model: TrainableModel, optimizer: tf.Optimizer, x: tf.Tensor, labels: tf.Tensor[]): number {
  const cost = optimizer.minimize(() => model.loss(x, labels), true, model.variables);
  const value = cost!.dataSync()[0]!;
  cost!.dispose();
  return value;
}
