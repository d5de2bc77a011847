import { test } from 'node:test';
import { softmax, softmaxVjp } from '../../src/linalg/softmax.js';
import { assertClose } from './assertions.js';

test('softmax: values, stability, and the vector-Jacobian product', () => {
  assertClose(softmax([0, 0]), [0.5, 0.5], 1e-15);
  assertClose(softmax([1000, 1000 + Math.log(3)]), [0.25, 0.75], 1e-12);
  // J = diag(p) − ppᵀ with p = (½, ½): J (1, 0) = (¼, −¼).
  assertClose(softmaxVjp([0, 0], [1, 0]), [0.25, -0.25], 1e-15);
});
