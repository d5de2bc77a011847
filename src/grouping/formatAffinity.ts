import type { AffinityRecord } from './affinityRecorder.js';

/**
 * The affinity and gradient-cosine matrices as text: rows are the source task i (the one
 * whose gradient steps), columns the target task j, Z_{i→j} in percent (the relative change
 * of j's loss), the diagonal (a task onto itself) in parentheses, and every negative
 * off-diagonal entry (i's steps hurt j) marked with `*`; then the list of negative pairs.
 */
export function formatAffinity(record: AffinityRecord): string {
  const tasks = record.tasks;
  const width = Math.max(9, ...tasks.map((t) => t.length + 2));
  const cell = (v: number | null, i: number, j: number, percent: boolean) => {
    if (v === null) return '—'.padStart(width);
    const text = percent ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}%` : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;
    return (i === j ? `(${text})` : v < 0 ? `${text}*` : `${text} `).padStart(width);
  };
  const matrix = (values: (number | null)[][], percent: boolean) => [
    ''.padEnd(width) + tasks.map((t) => t.padStart(width)).join(''),
    ...tasks.map((t, i) => t.padEnd(width) + tasks.map((_, j) => cell(values[i]![j]!, i, j, percent)).join('')),
  ];
  const negative: string[] = [];
  tasks.forEach((a, i) =>
    tasks.forEach((b, j) => {
      const v = record.affinity[i]![j];
      if (i !== j && v !== null && v !== undefined && v < 0) negative.push(`${a} → ${b} (${(v * 100).toFixed(2)}%)`);
    }),
  );
  return [
    `Lookahead affinity Z(i→j) = 1 − L_j(after a step on task i) / L_j(before), mean of ${record.records} recordings every ${record.every} steps (${record.optimizer || 'optimizer'} update rule)`,
    'rows: source task i; columns: target task j; * : negative (a step for i raises j\'s loss)',
    '',
    ...matrix(record.affinity, true),
    '',
    'Gradient cosines on the shared parameters (mean over the same steps); * : negative (conflict)',
    '',
    ...matrix(record.cosine, false),
    '',
    negative.length > 0 ? `negative pairs: ${negative.join(', ')}` : 'no negative pair',
  ].join('\n');
}
