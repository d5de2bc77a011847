/**
 * Replacing a tfjs-layers class's `call` while the native path is installed, and putting
 * tfjs's own back: how `tf.layers.dense` and `tf.layers.conv2d` layers (the library's
 * and users') take the fused kernels (./fusedDense.ts, ./fusedConv.ts). Browser-safe.
 */
import * as tf from '@tensorflow/tfjs';

/** A layer's `call`, with `this` the layer as the patch reads it. */
export type LayerCall<L> = (this: L, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** An installed patch. */
export interface LayerCallPatch {
  /** Puts tfjs's own `call` back (the class's own, or the inherited one). */
  restore(): void;
}

/**
 * Replaces the `call` of the tfjs-layers class registered as `className` by
 * `make(tfjsCall)`, where `tfjsCall` is the call it had (its own or inherited); null when
 * the class is not registered. The class is found through the serialization registry:
 * creating a layer to reach it would advance tfjs's layer-name counters.
 */
export function patchLayerCall<L>(className: string, make: (tfjsCall: LayerCall<L>) => LayerCall<L>): LayerCallPatch | null {
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, [unknown, unknown]> }).classNameMap;
  const cls = map[className]?.[0] as { prototype?: { call?: unknown } } | undefined;
  if (!cls || typeof cls.prototype?.call !== 'function') return null;
  const proto = cls.prototype as { call?: LayerCall<L> };
  const own = Object.prototype.hasOwnProperty.call(proto, 'call') ? proto.call : undefined;
  proto.call = make(proto.call!);
  return {
    restore() {
      if (own) proto.call = own;
      else Reflect.deleteProperty(proto, 'call');
    },
  };
}
