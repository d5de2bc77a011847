/**
 * Lean copies of the tensors a kernel saves for the backward pass, while the native path
 * is installed.
 *
 * tfjs keeps every tensor a gradient needs (a dense layer's input, weights and output,
 * a loss's logits) by "cloning" it: it runs the `Identity` kernel on it — the whole
 * engine call, for a copy that only shares the data and raises its reference count —
 * and records that Identity on the gradient tape, so that a gradient which is itself
 * differentiated can reach the original through it. A training step of a three-head MLP
 * made 24 such copies, a quarter of its engine calls, and every backward pass scanned
 * their tape nodes.
 *
 * Here, where a copy can only ever feed a first-order gradient, it is made directly:
 * the data's reference count goes up on the cpu backend and a new tensor shares it,
 * with no kernel call and no tape node. That is the case when exactly one gradient
 * tape is open (`tf.grad`, `tf.variableGrads`, an optimizer's `minimize`, the library's
 * training step): its backward pass runs after the tape is closed and records nothing.
 * Inside a nested gradient (`tf.grad` of a function that calls `tf.grad`: second-order
 * gradients) the forward ops run with two tapes open, and the copies are tfjs's own.
 * Not covered: code that records a backward pass on the very tape its forward pass was
 * recorded on, through tfjs's internal `engine.gradients` with kernels recording (the
 * library's own per-task backward passes pause the tape); differentiating such a
 * backward pass would miss the paths through saved tensors.
 */
import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: tf.DataId): void };
  state: { gradientDepth: number; tensorInfo: Map<tf.DataId, { backend: unknown }> };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor;
}

let active = false;
/** tfjs's own `Engine.clone`. */
let tfjsClone: ((this: EngineInternals, x: tf.Tensor) => tf.Tensor) | null = null;

/** The lean copy, or tfjs's own where it is needed or the tensor is not a cpu tensor of numbers. */
function leanClone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
  const prototypeClone = tfjsClone!;
  if (this.state.gradientDepth !== 1 || this.backendName !== 'cpu' || x.dtype === 'string' || x.dtype === 'complex64') {
    return prototypeClone.call(this, x);
  }
  const info = this.state.tensorInfo.get(x.dataId);
  if (info === undefined || info.backend !== this.backend) return prototypeClone.call(this, x);
  this.backend.incRef(x.dataId);
  return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, this.backend);
}

/** Turns the lean copies on (with the native path) or back to tfjs's own. Idempotent. */
export function useLeanSavedTensors(on: boolean): void {
  const engine = tf.engine() as unknown as EngineInternals & Record<string, unknown>;
  if (on && !active) {
    const own = Object.getPrototypeOf(engine).clone;
    if (typeof own !== 'function') return;
    tfjsClone = own as typeof tfjsClone;
    engine['clone'] = leanClone;
    active = true;
  } else if (!on && active) {
    Reflect.deleteProperty(engine, 'clone');
    active = false;
  }
}

/** Whether the lean copies are on. */
export function leanSavedTensorsActive(): boolean {
  return active;
}
