/**
 * The one measuring loop (tinybench, google/benchmark): warm-up and measurement are the
 * same back-to-back `await session.run(feeds)` loop; only what happens between runs
 * differs. Each sample is the wall time of one awaited run taken with
 * process.hrtime.bigint(); everything else (bookkeeping, stop checks, progress, RSS)
 * runs after the second clock read, outside the timed region, and is never awaited.
 */
import type * as ort from 'onnxruntime-node';
import { isStable, shouldStopMeasuring, stopCheckInterval, median, type StopDecision } from '../shared/stats';
import type { BenchConfig } from '../core/bench/measurement';
import type { RunWatch } from './watch';

/** A warm-up window holds at least this many runs ... */
export const WARMUP_WINDOW_MIN_RUNS = 5;
/** ... and lasts at least this long, so windows of a very fast model are not just a few microseconds of noise. */
export const WARMUP_WINDOW_MIN_MS = 100;
/**
 * Slow models (docs/measurement.md#warm-up): the maximum measuring time wins over warm-up too. A first run that
 * takes at least WARMUP_SKIP_SHARE of the maximum time skips warm-up; any run (the first or a warm-up run) of at
 * least WARMUP_SLOW_RUN_SHARE of it cuts the warm-up cap to WARMUP_SLOW_CAP_SHARE of it.
 */
export const WARMUP_SKIP_SHARE = 0.5;
export const WARMUP_SLOW_RUN_SHARE = 0.1;
export const WARMUP_SLOW_CAP_SHARE = 0.25;
/** Progress messages at most this often (≤ 20 per second). */
export const PROGRESS_INTERVAL_MS = 50;
/** RSS is read between runs at most this often. */
export const RSS_SAMPLE_INTERVAL_MS = 100;

/**
 * The loop's clock in ms as a plain number: process.hrtime.bigint() converted once, so the
 * bookkeeping between runs allocates no BigInts (whose garbage would be collected, sometimes,
 * inside a later timed run). A double holds ns-since-boot exactly for ~100 days and to
 * well under a nanosecond after that.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Runs the session back to back. `afterRun` gets the run's wall time and the clock (nowMs
 * scale) at its end and returns true to stop; an exception from it (cancel) ends the loop.
 * `watch` (two stores between runs) lets the heartbeat thread see a run that never returns.
 */
export async function runBackToBack(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  afterRun: (sampleMs: number, endMs: number) => boolean,
  watch?: RunWatch,
): Promise<void> {
  watch?.enter(nowMs());
  try {
    for (;;) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      const end = process.hrtime.bigint();
      const sampleMs = Number(end - start) / 1e6;
      const endMs = Number(end) / 1e6;
      watch?.ran(sampleMs, endMs);
      if (afterRun(sampleMs, endMs)) return;
    }
  } finally {
    watch?.leave();
  }
}

export interface WarmupOutcome {
  iterations: number;
  ms: number;
  stable: boolean;
  windowMedians: number[];
  /** Why warm-up ended before its cap without being stable: one run is a large share of the maximum time. */
  cut: 'shortened' | 'skipped' | null;
}

/** What a slow model leaves of the warm-up (see WARMUP_SKIP_SHARE): the cap to use and why it was cut. */
export function warmupBudget(capMs: number, maxTimeMs: number, runMs: number): { capMs: number; cut: WarmupOutcome['cut'] } {
  if (capMs <= 0) return { capMs: 0, cut: null };
  if (runMs >= WARMUP_SKIP_SHARE * maxTimeMs) return { capMs: 0, cut: 'skipped' };
  const slowCap = WARMUP_SLOW_CAP_SHARE * maxTimeMs;
  if (runMs >= WARMUP_SLOW_RUN_SHARE * maxTimeMs && slowCap < capMs) return { capMs: slowCap, cut: 'shortened' };
  return { capMs, cut: null };
}

/**
 * Warm-up bookkeeping (docs/measurement.md#warm-up): samples go into windows; the warm-up is
 * over when the last STABILITY_WINDOWS window medians agree within STABILITY_TOLERANCE
 * (isStable), or when `maxMs` has passed (then not stable). With `slow` (the maximum measuring time and the
 * first run's time) the cap shrinks, or warm-up is skipped (`skipped`: run no warm-up loop), for a slow model.
 */
export class Warmup {
  private window: number[] = [];
  private windowStartMs: number;
  private readonly windowMedians: number[] = [];
  private iterations = 0;
  private stable = false;
  private endMs: number;
  private maxMs: number;
  private cut: WarmupOutcome['cut'] = null;

  constructor(
    private readonly startMs: number,
    maxMs: number,
    private readonly slow?: { maxTimeMs: number; firstRunMs: number },
  ) {
    this.windowStartMs = startMs;
    this.endMs = startMs;
    this.maxMs = maxMs;
    if (slow) this.budget(slow.firstRunMs);
  }

  /** True when no warm-up loop should run at all (a cap of 0, or skipped for a slow model). */
  get skipped(): boolean {
    return this.maxMs <= 0;
  }

  private budget(runMs: number): void {
    if (!this.slow) return;
    const next = warmupBudget(this.maxMs, this.slow.maxTimeMs, runMs);
    if (next.cut === null) return;
    this.maxMs = next.capMs;
    this.cut = next.cut;
  }

  /** True when warm-up is over. */
  add(sampleMs: number, endMs: number): boolean {
    this.budget(sampleMs);
    this.iterations++;
    this.endMs = endMs;
    this.window.push(sampleMs);
    if (this.window.length >= WARMUP_WINDOW_MIN_RUNS && endMs - this.windowStartMs >= WARMUP_WINDOW_MIN_MS) {
      this.windowMedians.push(median(this.window));
      this.window = [];
      this.windowStartMs = endMs;
      if (isStable(this.windowMedians)) {
        this.stable = true;
        return true;
      }
    }
    return endMs - this.startMs >= this.maxMs;
  }

  get lastWindowMedian(): number | null {
    return this.windowMedians.at(-1) ?? null;
  }

  get count(): number {
    return this.iterations;
  }

  outcome(): WarmupOutcome {
    return {
      iterations: this.iterations,
      ms: this.endMs - this.startMs,
      stable: this.stable,
      windowMedians: [...this.windowMedians],
      // A warm-up that became stable anyway was not cut short.
      cut: this.stable ? null : this.cut,
    };
  }
}

export type StopCriteriaConfig = Pick<BenchConfig, 'minIterations' | 'minTimeMs' | 'maxTimeMs' | 'maxIterations' | 'ciTargetRel'>;

/**
 * Measurement bookkeeping (step 5): keeps every sample and asks shouldStopMeasuring
 * every stopCheckInterval(n) samples (each check sorts all samples); between checks it
 * only compares the elapsed time and count with the caps, which is O(1).
 */
export class Measurement {
  readonly samples: number[] = [];
  private nextCheck: number;
  private endMs: number;
  decision: StopDecision | undefined;
  lastCiHalfWidthRel: number | null = null;

  constructor(
    private readonly startMs: number,
    private readonly criteria: StopCriteriaConfig,
  ) {
    this.endMs = startMs;
    this.nextCheck = Math.max(1, criteria.minIterations);
  }

  /** True when measurement is over; `decision` says why. */
  add(sampleMs: number, endMs: number): boolean {
    this.samples.push(sampleMs);
    return this.check(endMs, false);
  }

  /** For concurrent runs: samples from all threads, judged on the common clock. */
  addMany(samplesMs: readonly number[]): void {
    for (const s of samplesMs) this.samples.push(s);
  }

  check(nowMs: number, force: boolean): boolean {
    this.endMs = nowMs;
    const elapsedMs = nowMs - this.startMs;
    const n = this.samples.length;
    const capped = elapsedMs >= this.criteria.maxTimeMs || (this.criteria.maxIterations !== undefined && n >= this.criteria.maxIterations);
    if (!force && !capped && n < this.nextCheck) return false;
    const decision = shouldStopMeasuring({
      samples: this.samples,
      elapsedMs,
      minIterations: this.criteria.minIterations,
      minTimeMs: this.criteria.minTimeMs,
      maxTimeMs: this.criteria.maxTimeMs,
      ...(this.criteria.maxIterations !== undefined ? { maxIterations: this.criteria.maxIterations } : {}),
      ciTargetRel: this.criteria.ciTargetRel,
    });
    this.nextCheck = n + stopCheckInterval(n);
    if (decision.ciHalfWidthRel !== null) this.lastCiHalfWidthRel = decision.ciHalfWidthRel;
    this.decision = decision;
    return decision.stop;
  }

  get elapsedMs(): number {
    return this.endMs - this.startMs;
  }
}

/** Calls `emit` at most every PROGRESS_INTERVAL_MS; `emit` must not block (it posts a message). */
export class ProgressThrottle {
  private lastMs = -Infinity;
  constructor(private readonly intervalMs = PROGRESS_INTERVAL_MS) {}

  due(nowMs: number): boolean {
    if (nowMs - this.lastMs < this.intervalMs) return false;
    this.lastMs = nowMs;
    return true;
  }
}

/** Highest RSS seen, read between runs at most every RSS_SAMPLE_INTERVAL_MS. */
export class RssPeak {
  private lastMs = -Infinity;
  peak = 0;

  constructor() {
    this.read();
  }

  read(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  maybeRead(nowMs: number): void {
    if (nowMs - this.lastMs < RSS_SAMPLE_INTERVAL_MS) return;
    this.lastMs = nowMs;
    this.read();
  }
}
