/** Small dense linear algebra on plain number arrays, for the T×T problems of task balancing. */
export * from './vector.js';
export * from './matrix.js';
export { softmax, softmaxVjp } from './softmax.js';
export { solve, type SolveOptions } from './solve.js';
export { symmetricEigen, type SymmetricEigen } from './symmetricEigen.js';
export { projectOntoSimplex } from './projectOntoSimplex.js';
export { solveBoundedQP, type BoundedQPOptions, type QPSolution } from './boundedQP.js';
export { solveBoxQP } from './solveBoxQP.js';
export { solveSimplexQP } from './solveSimplexQP.js';
export { minNormPoint, minNormOfTwo, type MinNormPointOptions } from './minNormPoint.js';
export { minimizeLinearPlusNorm, type LinearPlusNormSolution } from './minimizeLinearPlusNorm.js';
export { solvePowerEquation, type PowerEquationOptions, type PowerEquationSolution } from './solvePowerEquation.js';
