/**
 * The machine a benchmark ran on, printed with every figure: the CPU model, its
 * count, the vector extensions it reports (from /proc/cpuinfo on Linux), and a
 * warning when other work shares the CPUs: measured as the CPU time the machine spent
 * outside this process and the children it waited for (/proc/stat against
 * /proc/self/stat), or, where /proc is not there, from the load average (which also
 * counts the benchmark itself).
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

/** Clock ticks per second of /proc/stat and /proc/self/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** Busy ticks of the whole machine and of this process with its waited-for children; null without /proc. */
function cpuTicks(): { machine: number; ours: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …: busy = all but idle and iowait.
    const machine = cpu.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
    const self = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    const ours = fields[11]! + fields[12]! + fields[13]! + fields[14]!;
    return [machine, ours].every(Number.isFinite) ? { machine, ours } : null;
  } catch {
    return null;
  }
}

/**
 * Measures how many CPUs other processes kept busy while the benchmark ran: create it
 * before the runs, call `otherCpus()` after (the children must have been waited for,
 * as spawnSync does). null where /proc is not readable.
 */
export class OtherCpuMeter {
  private readonly start = cpuTicks();
  private readonly startedAt = performance.now();

  /** Average CPUs used by other processes since creation, or null without /proc. */
  otherCpus(): number | null {
    const end = cpuTicks();
    if (!this.start || !end) return null;
    const seconds = (performance.now() - this.startedAt) / 1000;
    if (seconds <= 0) return null;
    const other = end.machine - this.start.machine - (end.ours - this.start.ours);
    return Math.max(0, other) / USER_HZ / seconds;
  }
}

/**
 * A warning when other processes kept more than `threshold` CPUs busy on average during
 * the runs (from an {@link OtherCpuMeter}); where that cannot be measured, when the
 * load average at the end is above half the CPUs. null on a quiet machine.
 */
export function sharedMachineWarning(meter: OtherCpuMeter, threshold = 0.25): string | null {
  const other = meter.otherCpus();
  if (other === null) return busyWarning();
  return other > threshold
    ? `warning: other processes kept ${other.toFixed(2)} of ${cpus().length} CPUs busy on average during the runs; figures are noisy, rerun on a quiet machine`
    : null;
}
