/**
 * The machine a benchmark ran on, printed with every figure: the CPU model, its
 * count, the vector extensions it reports (from /proc/cpuinfo on Linux), and a
 * warning when the load average says other work shares the CPUs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** The vector extensions that matter to the kernels, in the order printed. */
const EXTENSIONS = ['avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'avx2', 'fma', 'avx', 'sse4_2', 'asimd', 'sve'];

/** The CPU's vector extensions (empty where /proc/cpuinfo is not readable). */
export function vectorExtensions(): string[] {
  if (!existsSync('/proc/cpuinfo')) return [];
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  return EXTENSIONS.filter((e) => flags.has(e));
}

/** One line: "2 × AMD EPYC 9R45 (avx512f avx512bw ... fma)". */
export function cpuDescription(): string {
  const list = cpus();
  const model = (list[0]?.model ?? 'unknown CPU').trim();
  const ext = vectorExtensions();
  return `${list.length} × ${model}${ext.length > 0 ? ` (${ext.join(' ')})` : ''}`;
}

/**
 * A warning when the 1-minute load average is above `threshold` (default: half the
 * CPU count): other processes share the CPUs, so wall-clock figures are noisy and
 * ratios between runs taken at different times mean little. null on a quiet machine.
 */
export function busyWarning(threshold = cpus().length / 2): string | null {
  const load = loadavg()[0]!;
  return load > threshold
    ? `warning: the machine is busy (1-minute load average ${load.toFixed(2)} on ${cpus().length} CPUs); figures are noisy, rerun on a quiet machine`
    : null;
}
