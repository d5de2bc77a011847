import { createTask } from '../src/tasks/createTask.js';
import { ArrayDataset } from '../src/data/dataset.js';
import { Random } from '../src/random/random.js';
import type { Task } from '../src/tasks/task.js';

/** A small two-task tabular problem: a binary task on all rows and a regression task labelled on 2 of 3 rows. */
export function toyData(n = 256, d = 6, seed = 3): { data: ArrayDataset; tasks: Task[] } {
  const r = new Random(seed);
  const x = new Float32Array(n * d).map(() => r.normal());
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = x[i * d]! + x[i * d + 1]! > 0 ? 1 : 0;
    b[i] = 2 * x[i * d + 2]! - x[i * d + 3]!;
    mask[i] = i % 3 === 0 ? 0 : 1;
    if (!mask[i]) b[i] = 0;
  }
  const data = new ArrayDataset({ data: x, shape: [n, d] }, { a: { values: a, width: 1 }, b: { values: b, width: 1, mask } }, 'toy');
  const tasks = [createTask({ name: 'a', kind: 'binary' }), createTask({ name: 'b', kind: 'regression' })];
  return { data, tasks };
}
