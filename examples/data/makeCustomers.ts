/**
 * Writes examples/data/customers.csv: 2,000 synthetic customers with numeric and
 * categorical features, missing feature values and missing labels, a binary, a
 * multiclass and a regression target in the thousands (semicolon-separated, as
 * spreadsheet exports often are). The file is committed; this script documents how it
 * was made and regenerates it exactly:
 *
 *   node --import tsx examples/data/makeCustomers.ts [path] [rows] [seed]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Random } from '../../src/random/random.js';

/** The customers table as CSV text (`delimiter` between fields). */
export function customersCsv(rows: number, seed: number, delimiter = ';'): string {
  const r = new Random(seed);
  const plans = ['basic', 'plus', 'pro'];
  const regions = ['north', 'south', 'east', 'west'];
  const lines = [['customer_id', 'age', 'income', 'plan', 'region', 'tenure_months', 'support_calls', 'churned', 'segment', 'annual_spend'].join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const age = Math.round(Math.min(80, Math.max(18, 42 + 13 * r.normal())));
    const plan = r.int(3);
    const region = r.int(4);
    const income = Math.max(12, 38 + 9 * plan + 0.3 * (age - 42) + 12 * r.normal()); // thousands a year
    const tenure = Math.floor(r.next() * 72);
    const calls = Math.floor(-Math.log(1 - r.next()) * (1.5 + plan * 0.3));
    const churnLogit = -1.2 + 0.45 * calls - 0.04 * tenure + 0.5 * (plan === 0 ? 1 : 0) + (region === 2 ? 0.4 : 0);
    const churned = r.next() < 1 / (1 + Math.exp(-churnLogit));
    const value = income / 10 + 2.2 * plan + 0.5 * r.normal();
    const segment = value < 5.2 ? 'budget' : value < 7.4 ? 'standard' : 'premium';
    const spend = 1200 + 48 * income + 900 * plan - 8 * (age - 42) + 350 * r.normal();
    const missing = (p: number) => r.next() < p;
    lines.push(
      [
        `C${String(10000 + i)}`,
        missing(0.08) ? 'NA' : String(age),
        missing(0.1) ? '' : income.toFixed(1),
        missing(0.05) ? '' : plans[plan]!,
        missing(0.06) ? 'NA' : regions[region]!,
        String(tenure),
        String(calls),
        missing(0.1) ? '' : churned ? 'yes' : 'no',
        missing(0.15) ? 'NA' : segment,
        missing(0.2) ? '' : spend.toFixed(2),
      ].join(delimiter),
    );
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path = 'examples/data/customers.csv', rows = '2000', seed = '11'] = process.argv.slice(2);
  writeFileSync(path, customersCsv(Number(rows), Number(seed)));
}
