import type { StitchWeights } from '../architectures/crossStitch.js';
import type { GateWeights } from '../architectures/expertMixture.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { disposeBatch, type Dataset } from '../data/dataset.js';

/** Examples the gates are averaged over (the first of the held-out split, in order). */
export const GATE_SAMPLE_SIZE = 256;

/**
 * A `metrics.jsonl` line with what an architecture's own parameters show at an epoch's
 * end: MMoE/PLE gate usage (each gate's mean weight per expert) and cross-stitch mixing
 * matrices. Written by the fit loop for models that declare `gateWeights` or
 * `stitchWeights`; read by `mtl report` and the dashboard.
 */
export interface ArchitectureRecord {
  type: 'architecture';
  epoch: number;
  step: number;
  gates?: GateWeights[];
  stitches?: StitchWeights[];
}

/**
 * The architecture record of a model, or undefined when it declares nothing to log.
 * Gate usage is averaged over the first {@link GATE_SAMPLE_SIZE} examples of `data`,
 * in order and in inference mode, so it draws no random numbers and a resumed run
 * writes the same lines. Leaves no tensors behind.
 */
export function architectureRecord(model: MultiTaskModel, data: Dataset | undefined, epoch: number, step: number): ArchitectureRecord | undefined {
  const gated = model as Partial<{ gateWeights(x: unknown): GateWeights[] }>;
  const stitched = model as Partial<{ stitchWeights(): StitchWeights[] }>;
  const hasGates = typeof gated.gateWeights === 'function' && data !== undefined && data.size > 0;
  const hasStitches = typeof stitched.stitchWeights === 'function';
  if (!hasGates && !hasStitches) return undefined;
  const record: ArchitectureRecord = { type: 'architecture', epoch, step };
  if (hasGates) {
    const batches = data!.batches({ batchSize: Math.min(GATE_SAMPLE_SIZE, data!.size) });
    const batch = batches.next().value!;
    try {
      record.gates = gated.gateWeights!(batch.x);
    } finally {
      disposeBatch(batch);
      batches.return(undefined);
    }
  }
  if (hasStitches) record.stitches = stitched.stitchWeights!();
  return record;
}
