/**
 * What the heartbeat thread needs to tell an inference that never ends from a long one: for
 * each measuring loop, when its last run ended and how long its slowest run took. The loop
 * writes two numbers between runs (outside the timed region); the heartbeat thread reads them
 * from shared memory, so a run that blocks its thread cannot hide.
 */
/** Float64 slots, in nowMs() time (one monotonic clock for all threads of the process). */
export const SLOT = {
  /** When the loop's last run ended, or when the loop began; NaN while no loop is running. */
  lastEndMs: 0,
  /** The slowest run of this session's loops so far; NaN before the first. */
  slowestMs: 1,
} as const;
export const RUN_WATCH_BYTES = 2 * Float64Array.BYTES_PER_ELEMENT;

export class RunWatch {
  private readonly slots: Float64Array;

  /** A new watch, or (on a bench thread) the one its coordinator made. */
  constructor(shared?: SharedArrayBuffer) {
    this.buffer = shared ?? new SharedArrayBuffer(RUN_WATCH_BYTES);
    this.slots = new Float64Array(this.buffer);
    if (!shared) this.slots.fill(NaN);
  }

  readonly buffer: SharedArrayBuffer;

  enter(nowMs: number): void {
    this.slots[SLOT.lastEndMs] = nowMs;
  }

  ran(sampleMs: number, endMs: number): void {
    this.slots[SLOT.lastEndMs] = endMs;
    // NaN compares false: the first run sets it.
    if (!(sampleMs <= (this.slots[SLOT.slowestMs] as number))) this.slots[SLOT.slowestMs] = sampleMs;
  }

  leave(): void {
    this.slots[SLOT.lastEndMs] = NaN;
  }
}
