import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import { encoderStages, isEncoderStages, type EncoderSpec, type EncoderStages } from './encoders.js';

/** One encoder stage: a function from a symbolic tensor to a symbolic tensor that creates its layers when called. */
export type Stage = EncoderStages['stages'][number];

/**
 * A factory of fresh copies of an encoder's stages. Architectures with one network per
 * task or per expert (soft sharing, cross-stitch, MMoE, PLE) call it once per copy;
 * every call of a stage function creates new layers, so the copies are independent.
 * A ready tfjs model cannot be copied this way and is refused.
 */
export function stageFactory(
  encoder: EncoderSpec | EncoderStages | tf.LayersModel,
  inputShape: readonly number[],
  architecture: string,
  path = 'model.encoder',
): () => Stage[] {
  if (encoder instanceof tf.LayersModel) {
    throw new MtlError({
      code: 'model.bad_encoder',
      path,
      expected: `an encoder spec ({ type: "mlp" | "lenet" | "resnet", ... }) or encoder stages for architecture "${architecture}"`,
      found: 'a ready tfjs model',
      fix: 'describe the encoder as stages ({ stages: [(x) => ..., ...] }) whose functions create their layers when called',
    });
  }
  if (isEncoderStages(encoder)) {
    if (encoder.stages.length === 0) {
      throw new MtlError({ code: 'model.bad_encoder', path: `${path}.stages`, expected: 'at least one stage', found: 'an empty list' });
    }
    return () => [...encoder.stages];
  }
  encoderStages(encoder, inputShape, path); // validate once, with the caller's path
  return () => encoderStages(encoder, inputShape, path).stages;
}

/** The shape of a symbolic tensor without its batch dimension. */
export function featureShape(x: tf.SymbolicTensor): number[] {
  return x.shape.slice(1).map((d) => {
    if (d === null) throw new Error(`featureShape: undefined dimension in [${x.shape.join(', ')}]`);
    return d;
  });
}

/** Stages applied in order, wrapped as one named sub-model taking inputs of `inputShape`. */
export function stageModel(stages: readonly Stage[], inputShape: readonly number[], name: string): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  let h: tf.SymbolicTensor = input;
  for (const stage of stages) h = stage(h);
  return tf.model({ inputs: input, outputs: h, name });
}

/** Apply a sub-model to a symbolic tensor. */
export function applySymbolic(model: tf.LayersModel | tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return model.apply(x) as tf.SymbolicTensor;
}

/**
 * Check that copies of the encoder hold distinct variables. User stages that close over
 * a layer built outside the stage function would silently share it between copies.
 */
export function assertIndependentCopies(copies: readonly tf.LayersModel[], path = 'model.encoder'): void {
  const seen = new Set<tf.LayerVariable>();
  for (const copy of copies) {
    for (const w of copy.trainableWeights) {
      if (seen.has(w)) {
        throw new MtlError({
          code: 'model.bad_encoder',
          path: `${path}.stages`,
          expected: 'stage functions that create new layers each time they are called (one copy per task or expert)',
          found: `the weight "${w.originalName}" in two copies of the encoder`,
          fix: 'create the layers inside each stage function instead of outside it',
        });
      }
      seen.add(w);
    }
  }
}

/** Throw the standard error for an empty task list. */
export function assertTasks(tasks: readonly unknown[]): void {
  if (tasks.length === 0) {
    throw new MtlError({ code: 'model.no_tasks', path: 'tasks', expected: 'at least one task', found: 'none' });
  }
}
