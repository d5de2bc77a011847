import { formatCost } from './selection.js';
import type { GroupingResult } from './runGrouping.js';

/** A grouping result as the table `mtl group` prints. */
export function formatGrouping(result: GroupingResult): string {
  const s = result.selection;
  const what = result.method === 'tag' ? 'TAG group score' : result.method === 'random' ? '—' : `normalised ${result.criterion === 'loss' ? 'loss' : 'error'} (1 = alone)`;
  const lines = [
    `${result.experiment}: method ${result.method}, budget ${formatCost(result.budget)}, inference cost ${formatCost(s.cost)}`,
    `networks: ${s.networks.map((n) => `${n.id}${n.size === 'half' ? ' (half size)' : ''}`).join(', ')}`,
    s.solver === 'random'
      ? 'selection: random (baseline)'
      : `selection: ${s.solver}, ${s.optimal ? 'optimal' : `within ${s.gap.toPrecision(3)} of the optimum (proven bound)`}`,
    '',
  ];
  const rows = Object.entries(result.tasks).map(([task, t]) => [
    task,
    t.network,
    t.predicted === null ? '—' : t.predicted.toFixed(4),
    t.validation ? `${t.validation.metric} ${t.validation.value.toFixed(4)}` : '—',
    t.test ? `${t.test.metric} ${t.test.value.toFixed(4)}` : '—',
    ...(result.comparison ? [result.comparison[task]!.allInOne.toFixed(4), result.comparison[task]!.alone.toFixed(4)] : []),
  ]);
  const header = ['task', 'network', `predicted (${what})`, 'validation', 'test', ...(result.comparison ? ['all-in-one (test)', 'alone (test)'] : [])];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  lines.push(header.map((h, k) => h.padEnd(widths[k]!)).join('  '));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(r.map((c, k) => c.padEnd(widths[k]!)).join('  '));
  const phase = (name: string, p: GroupingResult['search']) =>
    `${name}: ${p.trials} training run${p.trials === 1 ? '' : 's'} (${p.reused} read from earlier), ${p.seconds.toFixed(1)} s of training`;
  lines.push('', phase('search', result.search), phase('chosen networks', result.chosen));
  return lines.join('\n');
}
