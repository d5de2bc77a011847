/** What the fit loop reports after every step. */
export interface ProgressUpdate {
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch (1-based after the first step). */
  batch: number;
  batches: number;
  batchSize: number;
  /** Running mean training loss of this epoch, per task. */
  losses: Record<string, number>;
  /** The task weights of the last step, per task. */
  weights?: Record<string, number>;
}

/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** Off: print nothing. @defaultValue true */
  enabled?: boolean;
  /** Off a terminal: seconds between plain progress lines. @defaultValue 30 */
  plainEvery?: number;
  /** The clock, in ms (tests pass a fake one). @defaultValue Date.now */
  now?: () => number;
}

/**
 * Training progress for the terminal. On a terminal (the stream is a TTY): one line,
 * redrawn at most ten times a second and cut to the terminal's width: epoch, a bar,
 * per-task running loss and weight, throughput and the time left for the epoch and
 * the run. Off a terminal (a log file, CI): a plain line at most every `plainEvery`
 * seconds, with no control characters, so long epochs still show they are moving.
 * The per-epoch summary lines are the fit loop's.
 */
export class ProgressBar {
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly plainEvery: number;
  private readonly now: () => number;
  private lastDraw = 0;
  private lastPlain: number;
  private started: number;
  private done = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr, // Node only: fit passes none in a page
    enabledOrOptions: boolean | ProgressOptions = true,
  ) {
    const options = typeof enabledOrOptions === 'boolean' ? { enabled: enabledOrOptions } : enabledOrOptions;
    this.enabled = options.enabled ?? true;
    this.tty = this.enabled && Boolean(stream.isTTY);
    this.plainEvery = (options.plainEvery ?? 30) * 1000;
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.lastPlain = this.started;
  }

  /** Mark the start of an epoch (restarts the throughput clock). */
  startEpoch(): void {
    this.started = this.now();
    this.done = 0;
  }

  update(args: ProgressUpdate): void {
    this.done += 1;
    if (!this.enabled) return;
    const now = this.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && args.batch < args.batches) return;
      this.lastDraw = now;
      const line = formatProgress(args, this.rate(now), true);
      const columns = this.stream.columns ?? 160;
      this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
      return;
    }
    if (now - this.lastPlain < this.plainEvery) return;
    this.lastPlain = now;
    this.stream.write(formatProgress(args, this.rate(now), false) + '\n');
  }

  /** Steps per second in this epoch so far. */
  private rate(now: number): number {
    return this.done / Math.max((now - this.started) / 1000, 1e-9);
  }

  /** Clear the bar before a regular log line is printed. */
  clear(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}

const number = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(Math.abs(v) >= 100 ? 1 : 4 - Math.max(0, Math.floor(Math.log10(Math.abs(v) || 1)))));

/**
 * One progress line: `epoch 3/40 [bar] 120/235  ETA 3s epoch, 2m10s run  45.0 steps/s
 * (1440 ex/s)  loss a 0.4113 b 0.5200  w a 1.00 b 0.83` (weights only when a method moves
 * them away from 1). With `bar` false (plain lines) the bar is left out.
 */
export function formatProgress(args: ProgressUpdate, stepsPerSecond: number, bar: boolean): string {
  const width = 16;
  const filled = Math.min(width, Math.round((args.batch / Math.max(args.batches, 1)) * width));
  const epochLeft = (args.batches - args.batch) / Math.max(stepsPerSecond, 1e-9);
  const runLeft = ((args.epochs - args.epoch - 1) * args.batches + (args.batches - args.batch)) / Math.max(stepsPerSecond, 1e-9);
  const losses = Object.entries(args.losses).map(([k, v]) => `${k} ${number(v)}`).join(' ');
  const weights = args.weights && Object.values(args.weights).some((v) => v !== 1) ? `  w ${Object.entries(args.weights).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' ')}` : '';
  // Time left and speed first: a line cut to the terminal's width loses task details, not the ETA.
  return (
    `epoch ${args.epoch + 1}/${args.epochs} ${bar ? `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` : 'batch '}${args.batch}/${args.batches}` +
    `  ETA ${formatSeconds(epochLeft)} epoch, ${formatSeconds(runLeft)} run` +
    `  ${stepsPerSecond.toFixed(1)} steps/s (${(stepsPerSecond * args.batchSize).toFixed(0)} ex/s)` +
    `  loss ${losses}${weights}`
  );
}

/** 75 → "1m15s". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
