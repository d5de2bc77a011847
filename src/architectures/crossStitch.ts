import * as tf from '@tensorflow/tfjs';
import { MtlError, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec, EncoderStages } from './encoders.js';
import { functionalMultiTaskModel } from './functionalModel.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';
import { applySymbolic, assertIndependentCopies, assertTasks, featureShape, stageFactory, stageModel } from './stages.js';

/** Configuration of a {@link CrossStitch} layer (what is saved in `model.json`). */
export interface CrossStitchLayerArgs {
  /** Number of task activations the layer mixes (T). */
  taskCount: number;
  /** Initial diagonal of the T×T matrix; off-diagonal entries start at (1 − selfWeight)/(T − 1). @defaultValue 0.9 */
  selfWeight?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * A cross-stitch unit (Misra, Shrivastava, Gupta & Hebert, CVPR 2016): T activations
 * of the same shape in, T out, x̃_t = Σ_s α[t, s] · x_s, with α a learned T×T matrix
 * initialised to `selfWeight` on the diagonal and (1 − selfWeight)/(T − 1) elsewhere,
 * so every row starts summing to 1. Registered for serialisation as `MtlCrossStitch`.
 */
export class CrossStitch extends tf.layers.Layer {
  static className = 'MtlCrossStitch';
  readonly taskCount: number;
  readonly selfWeight: number;
  private alpha: tf.LayerVariable | null = null;

  constructor(args: CrossStitchLayerArgs) {
    super(args);
    this.taskCount = args.taskCount;
    this.selfWeight = args.selfWeight ?? 0.9;
  }

  override build(): void {
    const t = this.taskCount;
    this.alpha = this.addWeight('alpha', [t, t], 'float32', tf.initializers.zeros());
    const off = t > 1 ? (1 - this.selfWeight) / (t - 1) : 0;
    const diagonal = t > 1 ? this.selfWeight : 1;
    const init = Array.from({ length: t * t }, (_, k) => (Math.floor(k / t) === k % t ? diagonal : off));
    tf.tidy(() => {
      this.alpha!.write(tf.tensor2d(init, [t, t]));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const shape = xs[0]!.shape;
      const flat = tf.stack(xs.map((x) => tf.reshape(x, [-1]))) as tf.Tensor2D; // T × (batch·features)
      const mixed = tf.matMul(this.alpha!.read() as tf.Tensor2D, flat);
      const outs = tf.unstack(mixed).map((row) => tf.reshape(row, shape));
      return outs.length === 1 ? outs[0]! : outs;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), taskCount: this.taskCount, selfWeight: this.selfWeight };
  }
}
tf.serialization.registerClass(CrossStitch);

export interface CrossStitchArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** The encoder every task gets its own copy of: a built-in spec or stages that create their layers when called. */
  encoder: EncoderSpec | EncoderStages;
  /** Initial diagonal of every stitch matrix. @defaultValue 0.9 */
  selfWeight?: number;
}

/**
 * Cross-stitch networks (Misra, Shrivastava, Gupta & Hebert, CVPR 2016): one copy of
 * the encoder per task; after every encoder stage the T task activations are mixed by a
 * learned T×T matrix (a {@link CrossStitch} layer), then each task's head reads its
 * tower's last (stitched) activation.
 *
 * Declared split: every task's loss depends on every tower through the off-diagonal
 * stitch weights, so the towers and the stitch matrices are all shared variables; each
 * head belongs to its task. (Declaring tower t as task t's would make gradient methods
 * drop the other tasks' gradients on it.)
 *
 * @example
 * const model = crossStitch({ tasks, inputShape: [28, 28, 1], encoder: { type: 'lenet' } });
 */
export function crossStitch(args: CrossStitchArgs): StitchedMultiTaskModel {
  const { tasks, inputShape } = args;
  assertTasks(tasks);
  const selfWeight = args.selfWeight ?? 0.9;
  if (!Number.isFinite(selfWeight) || selfWeight < 0 || selfWeight > 1) {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.selfWeight', expected: 'a number in [0, 1]', found: describeValue(selfWeight) });
  }
  const copy = stageFactory(args.encoder, inputShape, 'cross-stitch');
  const towerStages = tasks.map(() => copy());
  const stageCount = towerStages[0]!.length;
  const input = tf.input({ shape: [...inputShape] });
  let hs: tf.SymbolicTensor[] = tasks.map(() => input);
  const stageModels: tf.LayersModel[] = [];
  const stitches: CrossStitch[] = [];
  for (let j = 0; j < stageCount; j++) {
    hs = hs.map((h, t) => {
      const m = stageModel([towerStages[t]![j]!], featureShape(h), `tower_${tasks[t]!.name}_stage${j}`);
      stageModels.push(m);
      return applySymbolic(m, h);
    });
    const stitch = new CrossStitch({ taskCount: tasks.length, selfWeight, name: `cross_stitch_${j}` });
    stitches.push(stitch);
    const mixed = stitch.apply(hs) as tf.SymbolicTensor | tf.SymbolicTensor[];
    hs = Array.isArray(mixed) ? mixed : [mixed];
  }
  assertIndependentCopies(stageModels);
  const heads = tasks.map((t, i) => buildHead(t, featureShape(hs[i]!)));
  const outputs = heads.map((head, i) => applySymbolic(head, hs[i]!));
  const model = tf.model({ inputs: input, outputs, name: 'mtl_cross_stitch' });
  const taskVariables: Record<string, tf.Variable[]> = {};
  tasks.forEach((t, i) => {
    taskVariables[t.name] = variablesOf(heads[i]!);
  });
  const sharedVariables = [...stageModels.flatMap(variablesOf), ...stitches.flatMap(variablesOf)];
  const names = tasks.map((t) => t.name);
  return {
    ...functionalMultiTaskModel({ architecture: 'cross-stitch', tasks, model, sharedVariables, taskVariables }),
    stitchWeights: () => stitches.map((s) => ({ layer: s.name, tasks: names, matrix: s.getWeights()[0]!.arraySync() as number[][] })),
  };
}

/** One cross-stitch unit's current T×T mixing matrix α (row t: the weights of task t's next input). */
export interface StitchWeights {
  /** The unit's layer name (`cross_stitch_<stage>`). */
  layer: string;
  tasks: string[];
  matrix: number[][];
}

/** A multi-task model with cross-stitch units whose mixing matrices can be logged. */
export interface StitchedMultiTaskModel extends MultiTaskModel {
  /** Every unit's current matrix, in stage order (reads the weights; no tensors are left behind). */
  stitchWeights(): StitchWeights[];
}
