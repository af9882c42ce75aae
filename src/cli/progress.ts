/** The one progress line of the CLI: a bar and a text on a terminal's stderr, notes above it. */
import { cliWords } from './words';

const BAR_WIDTH = 24;

export function progressBar(fraction: number | null): string {
  if (fraction === null) return '';
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} `;
}

/** Draws nothing when stderr is not a terminal (logs, CI) or when told to be quiet (JSON on stdout). */
export class ProgressLine {
  private readonly enabled: boolean;
  private last = '';

  constructor(quiet = false) {
    this.enabled = !quiet && Boolean(process.stderr.isTTY);
  }

  show(fraction: number | null, text: string): void {
    if (!this.enabled) return;
    this.last = `${progressBar(fraction)}${text}`.slice(0, (process.stderr.columns ?? 100) - 1);
    process.stderr.write(`\r\x1b[2K${this.last}`);
  }

  /** A line that stays (a finished configuration, a cancel); the bar is drawn again below it. */
  note(line: string): void {
    const text = cliWords(line);
    if (this.enabled) process.stderr.write(`\r\x1b[2K${text}\n${this.last}`);
    else process.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[2K');
  }
}
