import { MtlError } from '../errors.js';

const encoder = new TextEncoder();

/**
 * A metrics log kept as lines in a page (memory, IndexedDB), measured in bytes of UTF-8
 * as a metrics.jsonl file would be, so that a checkpoint's `metricsBytes` means the same
 * in every store.
 */
export class MetricsLines {
  private lines: string[];
  private size: number;

  constructor(lines: readonly string[] = []) {
    this.lines = [...lines];
    this.size = this.lines.reduce((s, l) => s + encoder.encode(l).length, 0);
  }

  /** The log's length in bytes of UTF-8. */
  get bytes(): number {
    return this.size;
  }

  /** The lines, each ending in a newline. */
  get all(): readonly string[] {
    return this.lines;
  }

  clear(): void {
    this.lines = [];
    this.size = 0;
  }

  append(line: string): void {
    this.lines.push(line);
    this.size += encoder.encode(line).length;
  }

  /** @throws MtlError `checkpoint.corrupt` when the log is shorter than `bytes`. */
  check(bytes: number, location: string): void {
    if (this.size < bytes) {
      throw new MtlError({
        code: 'checkpoint.corrupt',
        path: location,
        expected: `at least the ${bytes} bytes the checkpoint recorded`,
        found: `${this.size} bytes (records were lost)`,
        fix: 'the run\'s metrics log lost records: delete the run and train again without resume',
      });
    }
  }

  /** Drop the last lines until at most `bytes` remain (records written after a checkpoint); returns the text. */
  cutTo(bytes: number): string {
    while (this.size > bytes && this.lines.length > 0) this.size -= encoder.encode(this.lines.pop()!).length;
    return this.lines.join('');
  }
}
