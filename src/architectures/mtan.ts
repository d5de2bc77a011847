import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batchNorm.js';
import { MtlError } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { functionalMultiTaskModel } from './functionalModel.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';
import { applySymbolic, assertTasks, featureShape, stageFactory, stageModel } from './stages.js';

export interface MtanArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** The shared network, as stages; every stage output gets one attention module per task. */
  encoder: EncoderSpec | EncoderStages;
}

/**
 * Multi-Task Attention Network, MTAN (Liu, Johns & Davison, CVPR 2019), for any encoder
 * described as stages. The encoder is the shared network; with p_j the output of stage
 * j, task t has at every stage an attention module
 *
 *   a_j = sigmoid(BN(conv1×1(ReLU(BN(conv1×1(input))))))
 *
 * (dense layers instead of 1×1 convolutions when p_j is a vector), whose input is p_j
 * for j = 0 and [p_j ; f_j(â_{j−1})] (concatenated on the feature axis) for j > 0. The
 * attended feature is â_j = a_j ⊙ p_j; the task's head reads its last â.
 *
 * f_j is the paper's shared feature extractor that brings the previous attended
 * feature to p_j's shape; here it is shared by all tasks and built from p_{j−1}'s and
 * p_j's shapes:
 * - maps → map: conv3×3 to p_j's channels + BN + ReLU (as in the paper), then, when the
 *   spatial size shrinks, max-pooling with stride s = ⌊H_{j−1}/H_j⌋ and window
 *   H_{j−1} − (H_j − 1)·s (per axis), which gives exactly H_j (the paper's 2×2 pool
 *   when the size halves); an integer upscaling uses nearest-neighbour upsampling;
 * - map or vector → vector: flatten + dense to p_j's width + ReLU;
 * - vector → map: not supported (no built-in encoder does this).
 *
 * Differences from the paper, which taps the shared network inside each block: here
 * the attention reads the stage output p_j (stages are black boxes) and there is no
 * extra shared conv block after the attention (the next stage of the shared network
 * plays that role).
 *
 * Declared split: the encoder and the f_j are shared; each task's attention modules
 * and head belong to it.
 *
 * @example
 * const model = mtan({ tasks, inputShape: [28, 28, 1], encoder: { type: 'lenet' } });
 */
export function mtan(args: MtanArgs): MultiTaskModel {
  const { tasks, inputShape } = args;
  assertTasks(tasks);
  const stages = stageFactory(args.encoder, inputShape, 'mtan')();
  const input = tf.input({ shape: [...inputShape] });
  const sharedModels: tf.LayersModel[] = [];
  const taskModels = new Map<string, tf.LayersModel[]>(tasks.map((t) => [t.name, []]));
  let p: tf.SymbolicTensor = input;
  let attended: tf.SymbolicTensor[] = [];
  stages.forEach((stage, j) => {
    const stageNet = stageModel([stage], featureShape(p), `shared_stage${j}`);
    sharedModels.push(stageNet);
    p = applySymbolic(stageNet, p);
    const shape = featureShape(p);
    let attentionInputs: tf.SymbolicTensor[];
    if (j === 0) {
      attentionInputs = tasks.map(() => p);
    } else {
      const project = projection(featureShape(attended[0]!), shape, `attention_projection${j}`);
      sharedModels.push(project);
      attentionInputs = attended.map((a) => {
        const projected = applySymbolic(project, a);
        return tf.layers.concatenate({ axis: -1 }).apply([p, projected]) as tf.SymbolicTensor;
      });
    }
    attended = tasks.map((t, i) => {
      const module = attentionModule(featureShape(attentionInputs[i]!), shape, `attention_${t.name}_${j}`);
      taskModels.get(t.name)!.push(module);
      const mask = applySymbolic(module, attentionInputs[i]!);
      return tf.layers.multiply().apply([mask, p]) as tf.SymbolicTensor;
    });
  });
  const outputs = tasks.map((t, i) => {
    const head = buildHead(t, featureShape(attended[i]!));
    taskModels.get(t.name)!.push(head);
    return applySymbolic(head, attended[i]!);
  });
  const model = tf.model({ inputs: input, outputs, name: 'mtl_mtan' });
  // tfjs counts one reference per symbolic call, and a model's dispose() releases each
  // sub-layer once: the projections, called once per task, would keep their weights.
  const projections = sharedModels.filter((m) => m.name.startsWith('attention_projection'));
  const disposeModel = model.dispose.bind(model);
  model.dispose = () => {
    const result = disposeModel();
    for (const project of projections) {
      // tfjs's own counter (a Container is disposed when it reaches 0).
      const refs = () => (project as unknown as { _refCount: number | null })._refCount ?? 0;
      while (refs() > 0) result.numDisposedVariables += project.dispose().numDisposedVariables;
    }
    return result;
  };
  const taskVariables: Record<string, tf.Variable[]> = {};
  for (const [name, models] of taskModels) taskVariables[name] = models.flatMap(variablesOf);
  return functionalMultiTaskModel({ architecture: 'mtan', tasks, model, sharedVariables: sharedModels.flatMap(variablesOf), taskVariables });
}

/** The attention module g: two 1×1 convolutions (dense layers for vectors) with batch norm, ReLU between, sigmoid out. */
function attentionModule(inputShape: readonly number[], outputShape: readonly number[], name: string): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  const units = outputShape[outputShape.length - 1]!;
  const layer = () =>
    outputShape.length === 3 ? tf.layers.conv2d({ filters: units, kernelSize: 1 }) : tf.layers.dense({ units });
  if (outputShape.length !== 3 && outputShape.length !== 1) {
    throw new MtlError({
      code: 'model.bad_encoder',
      path: 'model.encoder',
      expected: 'stages whose outputs are feature maps [height, width, channels] or vectors [features] for architecture "mtan"',
      found: `a stage output of shape [${outputShape.join(', ')}]`,
    });
  }
  let h = layer().apply(input) as tf.SymbolicTensor;
  h = batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = layer().apply(h) as tf.SymbolicTensor;
  h = batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'sigmoid' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name });
}

/** The shared extractor f_j bringing the previous attended feature to the current stage's shape (see {@link mtan}). */
function projection(from: readonly number[], to: readonly number[], name: string): tf.LayersModel {
  const input = tf.input({ shape: [...from] });
  let h: tf.SymbolicTensor = input;
  if (to.length === 3 && from.length === 3) {
    h = tf.layers.conv2d({ filters: to[2]!, kernelSize: 3, padding: 'same', useBias: false }).apply(h) as tf.SymbolicTensor;
    h = batchNormalization().apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
    const [fromH, fromW] = [from[0]!, from[1]!];
    const [toH, toW] = [to[0]!, to[1]!];
    if (fromH > toH || fromW > toW) {
      if (fromH < toH || fromW < toW) throw unsupported(from, to);
      const sH = Math.floor(fromH / toH);
      const sW = Math.floor(fromW / toW);
      h = tf.layers
        .maxPooling2d({ poolSize: [fromH - (toH - 1) * sH, fromW - (toW - 1) * sW], strides: [sH, sW] })
        .apply(h) as tf.SymbolicTensor;
    } else if (fromH < toH || fromW < toW) {
      if (toH % fromH !== 0 || toW % fromW !== 0) throw unsupported(from, to);
      h = tf.layers.upSampling2d({ size: [toH / fromH, toW / fromW] }).apply(h) as tf.SymbolicTensor;
    }
  } else if (to.length === 1) {
    if (from.length > 1) h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: to[0]!, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  } else {
    throw unsupported(from, to);
  }
  return tf.model({ inputs: input, outputs: h, name });
}

function unsupported(from: readonly number[], to: readonly number[]): MtlError {
  return new MtlError({
    code: 'model.bad_encoder',
    path: 'model.encoder',
    expected: 'consecutive stage outputs MTAN can match: map → smaller or integer-upscaled map, map or vector → vector',
    found: `a stage output of shape [${from.join(', ')}] followed by one of shape [${to.join(', ')}]`,
    fix: 'use an encoder whose stages keep feature maps before vectors, or hard sharing',
  });
}
