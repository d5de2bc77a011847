import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batchNorm.js';
import { MtlError, describeValue } from '../errors.js';

/**
 * A built-in shared encoder, described as data:
 * - `mlp`: dense layers (`hidden` widths), ReLU unless `activation` says otherwise
 *   (`linear` makes a reduced-rank linear model), optional dropout;
 * - `lenet`: the MultiMNIST LeNet of Sener & Koltun (NeurIPS 2018):
 *   conv(1→10,5) → maxpool2 → ReLU → conv(10→20,5) → dropout(0.5) → maxpool2 → ReLU →
 *   flatten → dense(320→50) → ReLU; `widthScale` multiplies its 10, 20 and 50 channels
 *   (rounded, at least 1), e.g. for the half-size networks of a grouping search;
 * - `resnet`: a small residual conv net: a 3×3 stem, then `stages` of `blocksPerStage`
 *   basic residual blocks (two 3×3 convs with batch norm), doubling width and halving
 *   resolution at each new stage, global average pooling.
 */
export type EncoderSpec =
  | { type: 'mlp'; hidden: number[]; dropout?: number; activation?: 'relu' | 'linear' | 'tanh' }
  | { type: 'lenet'; dropout?: number; widthScale?: number }
  | { type: 'resnet'; width?: number; stages?: number; blocksPerStage?: number };

/**
 * An encoder as ordered stages: each stage is a function from a symbolic tensor to a
 * symbolic tensor built from tfjs layers. Architectures can tap between stages
 * (cross-stitch, MTAN) without reaching into a specific network's internals.
 */
export interface EncoderStages {
  stages: Array<(input: tf.SymbolicTensor) => tf.SymbolicTensor>;
}

function positiveInt(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MtlError({ code: 'model.bad_encoder', path, expected: 'a positive integer', found: describeValue(value) });
  }
  return value;
}

/** Build the stages of a built-in encoder for inputs of `inputShape` (without the batch dimension). */
export function encoderStages(spec: EncoderSpec, inputShape: readonly number[], path = 'model.encoder'): EncoderStages {
  switch (spec.type) {
    case 'mlp': {
      if (!Array.isArray(spec.hidden) || spec.hidden.length === 0) {
        throw new MtlError({
          code: 'model.bad_encoder',
          path: `${path}.hidden`,
          expected: 'a non-empty list of layer widths, e.g. [256, 256]',
          found: describeValue(spec.hidden),
        });
      }
      const dropout = spec.dropout ?? 0;
      const activation = spec.activation ?? 'relu';
      if (!['relu', 'linear', 'tanh'].includes(activation)) {
        throw new MtlError({ code: 'model.bad_encoder', path: `${path}.activation`, expected: '"relu", "linear" or "tanh"', found: describeValue(activation) });
      }
      const stages = spec.hidden.map((width, i) => {
        const units = positiveInt(`${path}.hidden[${i}]`, width);
        return (input: tf.SymbolicTensor) => {
          let h = input.shape.length > 2 ? (tf.layers.flatten().apply(input) as tf.SymbolicTensor) : input;
          h = tf.layers.dense({ units, activation }).apply(h) as tf.SymbolicTensor;
          if (dropout > 0) h = tf.layers.dropout({ rate: dropout }).apply(h) as tf.SymbolicTensor;
          return h;
        };
      });
      return { stages };
    }
    case 'lenet': {
      if (inputShape.length !== 3) {
        throw new MtlError({
          code: 'model.bad_encoder',
          path: `${path}.type`,
          expected: 'image inputs of shape [height, width, channels] for the LeNet encoder',
          found: `inputs of shape [${inputShape.join(', ')}]`,
          fix: 'use the mlp encoder for tabular data',
        });
      }
      const dropout = spec.dropout ?? 0.5;
      const scale = spec.widthScale ?? 1;
      if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) {
        throw new MtlError({ code: 'model.bad_encoder', path: `${path}.widthScale`, expected: 'a positive number', found: describeValue(scale) });
      }
      const channels = (c: number) => Math.max(1, Math.round(c * scale));
      return {
        stages: [
          (x) => {
            let h = tf.layers.conv2d({ filters: channels(10), kernelSize: 5 }).apply(x) as tf.SymbolicTensor;
            h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
            return tf.layers.reLU().apply(h) as tf.SymbolicTensor;
          },
          (x) => {
            let h = tf.layers.conv2d({ filters: channels(20), kernelSize: 5 }).apply(x) as tf.SymbolicTensor;
            if (dropout > 0) h = tf.layers.dropout({ rate: dropout }).apply(h) as tf.SymbolicTensor;
            h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
            return tf.layers.reLU().apply(h) as tf.SymbolicTensor;
          },
          (x) => {
            const h = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
            return tf.layers.dense({ units: channels(50), activation: 'relu' }).apply(h) as tf.SymbolicTensor;
          },
        ],
      };
    }
    case 'resnet': {
      if (inputShape.length !== 3) {
        throw new MtlError({
          code: 'model.bad_encoder',
          path: `${path}.type`,
          expected: 'image inputs of shape [height, width, channels] for the resnet encoder',
          found: `inputs of shape [${inputShape.join(', ')}]`,
        });
      }
      const width = positiveInt(`${path}.width`, spec.width ?? 16);
      const stageCount = positiveInt(`${path}.stages`, spec.stages ?? 3);
      const blocks = positiveInt(`${path}.blocksPerStage`, spec.blocksPerStage ?? 1);
      const stages: EncoderStages['stages'] = [
        (x) => {
          const h = tf.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same', useBias: false }).apply(x);
          return tf.layers.reLU().apply(batchNormalization().apply(h)) as tf.SymbolicTensor;
        },
      ];
      for (let s = 0; s < stageCount; s++) {
        const filters = width * 2 ** s;
        for (let b = 0; b < blocks; b++) {
          const stride = s > 0 && b === 0 ? 2 : 1;
          stages.push((x) => residualBlock(x, filters, stride));
        }
      }
      stages.push((x) => tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor);
      return { stages };
    }
    default:
      throw new MtlError({
        code: 'model.unknown_encoder',
        path: `${path}.type`,
        expected: 'one of "mlp", "lenet", "resnet"',
        found: describeValue((spec as { type?: unknown }).type),
      });
  }
}

/** A basic residual block: conv3×3-BN-ReLU-conv3×3-BN plus a (projected when shapes differ) shortcut, then ReLU. */
export function residualBlock(x: tf.SymbolicTensor, filters: number, stride: number): tf.SymbolicTensor {
  let h = tf.layers.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false }).apply(x);
  h = tf.layers.reLU().apply(batchNormalization().apply(h));
  h = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }).apply(h);
  h = batchNormalization().apply(h);
  let shortcut: tf.SymbolicTensor = x;
  const channels = x.shape[x.shape.length - 1];
  if (stride !== 1 || channels !== filters) {
    shortcut = tf.layers.conv2d({ filters, kernelSize: 1, strides: stride, useBias: false }).apply(x) as tf.SymbolicTensor;
    shortcut = batchNormalization().apply(shortcut) as tf.SymbolicTensor;
  }
  const sum = tf.layers.add().apply([h as tf.SymbolicTensor, shortcut]);
  return tf.layers.reLU().apply(sum) as tf.SymbolicTensor;
}

/** Build an encoder as one tfjs model (the stages applied in order). */
export function buildEncoder(
  spec: EncoderSpec | EncoderStages,
  inputShape: readonly number[],
  name = 'encoder',
): tf.LayersModel {
  const { stages } = isEncoderStages(spec) ? spec : encoderStages(spec, inputShape);
  const input = tf.input({ shape: [...inputShape] });
  let h: tf.SymbolicTensor = input;
  for (const stage of stages) h = stage(h);
  return tf.model({ inputs: input, outputs: h, name });
}

/** Whether an encoder argument is user-built stages rather than a built-in spec. */
export function isEncoderStages(spec: EncoderSpec | EncoderStages): spec is EncoderStages {
  return Array.isArray((spec as EncoderStages).stages);
}
