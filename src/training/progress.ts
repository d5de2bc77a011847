/**
 * A one-line progress bar for training on a terminal (stderr): epoch, batch, per-task
 * running losses, throughput and time left. Off a terminal it prints nothing per batch
 * (the per-epoch lines are logged by the fit loop).
 */
export class ProgressBar {
  private readonly tty: boolean;
  private lastDraw = 0;
  private started = Date.now();
  private done = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled = true,
  ) {
    this.tty = enabled && Boolean(stream.isTTY);
  }

  /** Mark the start of an epoch (restarts the throughput clock). */
  startEpoch(): void {
    this.started = Date.now();
    this.done = 0;
  }

  update(args: { epoch: number; epochs: number; batch: number; batches: number; batchSize: number; losses: Record<string, number> }): void {
    this.done += 1;
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && args.batch < args.batches) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const stepsPerSecond = this.done / Math.max(elapsed, 1e-9);
    const left = (args.batches - args.batch) / Math.max(stepsPerSecond, 1e-9);
    const width = 20;
    const filled = Math.round((args.batch / args.batches) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const losses = Object.entries(args.losses)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join('  ');
    const line =
      `epoch ${args.epoch + 1}/${args.epochs} ${bar} ${args.batch}/${args.batches}  ${losses}  ` +
      `${stepsPerSecond.toFixed(1)} steps/s (${(stepsPerSecond * args.batchSize).toFixed(0)} ex/s)  ETA ${formatSeconds(left)}`;
    const columns = this.stream.columns ?? 160;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length))}\x1b[K`);
  }

  /** Clear the bar before a regular log line is printed. */
  clear(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
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
