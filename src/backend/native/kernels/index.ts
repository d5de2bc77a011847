import type { NativeKernel } from '../cpuTensors.js';
import { batchNormKernel } from './batchNorm.js';
import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel, fusedConv2dKernel } from './conv2d.js';
import { binaryKernels, unaryKernels } from './elementwise.js';
import { batchMatMulKernel, fusedMatMulKernel } from './matMul.js';
import { maxPoolGradKernel, maxPoolKernel } from './maxPool.js';
import { concatKernel, packKernel, splitVKernel, tileKernel, unpackKernel } from './layout.js';
import { addNKernel, maxKernel, meanKernel, softmaxKernel, sumKernel } from './reductions.js';

/** Every kernel the native path replaces on the tfjs 'cpu' backend. */
export const NATIVE_KERNELS: readonly NativeKernel[] = [
  batchMatMulKernel,
  fusedMatMulKernel,
  conv2dKernel,
  fusedConv2dKernel,
  conv2dBackpropInputKernel,
  conv2dBackpropFilterKernel,
  maxPoolKernel,
  maxPoolGradKernel,
  ...unaryKernels,
  ...binaryKernels,
  sumKernel,
  meanKernel,
  maxKernel,
  softmaxKernel,
  addNKernel,
  batchNormKernel,
  unpackKernel,
  splitVKernel,
  tileKernel,
  packKernel,
  concatKernel,
];
