/** One line describing the machine a benchmark ran on: CPU model, vector extensions, cores, load. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  let vector = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(' '));
    vector = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.has(f)).join(' ');
    model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? model;
  } catch {
    // Not Linux: the model from os.cpus() only.
  }
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  return `${model}${vector ? ` (${vector})` : ''}, ${cpus().length} cores, load average ${load}, Node ${process.version}`;
}
