import { fusedBatchNormGradient } from './fusedBatchNorm.js';
import { meanGradient } from './mean.js';
import type { NativeGradient } from './nativeGradient.js';

/** Every gradient the native path registers in place of tfjs's. */
export const NATIVE_GRADIENTS: readonly NativeGradient[] = [fusedBatchNormGradient, meanGradient];
