import { availableParallelism, cpus } from 'node:os';

/** The number of CPU cores this process may use (`os.availableParallelism()`). */
export function availableCores(): number {
  return typeof availableParallelism === 'function' ? availableParallelism() : Math.max(cpus().length, 1);
}

/**
 * Each job's share of the machine's cores when `jobs` trials train at once: ⌊cores /
 * jobs⌋ threads, at least 1, so N jobs do not oversubscribe the cores (on 2 cores,
 * `--jobs 2` gives each trial 1 thread, `--jobs 1` gives the one trial both).
 */
export function threadsPerJob(jobs: number, cores = availableCores()): number {
  return Math.max(1, Math.floor(cores / Math.max(jobs, 1)));
}

/**
 * The environment of a process that trains with `threads` threads: the native CPU
 * path reads `MTL_NATIVE_THREADS` when it starts (native/parallel.cc; OpenBLAS runs
 * single-threaded inside that pool). tfjs's wasm backend runs single-threaded in Node
 * (its multithreaded build is not used there), so a wasm trial takes one core
 * whatever the share.
 */
export function threadEnvironment(threads: number): Record<string, string> {
  return { MTL_NATIVE_THREADS: String(threads) };
}
