import { readExperiment, validateExperiment } from '/work/wt/grouping/src/experiment/config.ts';
import { runGrouping } from '/work/wt/grouping/src/grouping/runGrouping.ts';
import { formatGrouping } from '/work/wt/grouping/src/grouping/formatGrouping.ts';
import { formatAffinity } from '/work/wt/grouping/src/grouping/formatAffinity.ts';
import { readAffinity } from '/work/wt/grouping/src/grouping/runAffinity.ts';
import { selectBackend } from '/work/wt/grouping/src/backend/selectBackend.ts';
await selectBackend(undefined, { log: () => {} });
const base = readExperiment('/work/wt/grouping/examples/planted-clusters.yaml');
const clusters = JSON.parse(process.env.CLUSTERS ?? '[3,3]') as number[];
const names = clusters.flatMap((n, c) => Array.from({ length: n }, (_, k) => `${'ab'[c]}${k + 1}`));
const config = validateExperiment({ ...base, data: { ...base.data, clusters }, tasks: names.map((name) => ({ name, kind: 'regression' })) });
const dir = process.env.DIR ?? '/tmp/planted-group';
for (const method of (process.env.METHODS ?? 'exact,esa,hoa,tag,random').split(',')) {
  const t0 = Date.now();
  const r = await runGrouping(config, { method: method as 'exact', budget: 2, groupDir: dir, log: (l) => console.log('  ' + l) });
  console.log(formatGrouping(r), `\n(wall ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  if (method === 'tag') console.log(formatAffinity(readAffinity(dir + '/affinity')));
}
