/** The worker's progress during a configuration, forwarded to the UI as contract events. */
import type { BenchProgressEvent } from '../../shared/domain/run';

/** Progress events reach the UI at most this often. */
export const PROGRESS_INTERVAL_MS = 50;

/** Coalesces the worker's progress into at most one event per PROGRESS_INTERVAL_MS, keeping every sample. */
export class ProgressForwarder {
  private latest: BenchProgressEvent | null = null;
  private samples: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = 0;
  private repetition = 1;
  private repetitions: number | null = null;

  constructor(
    private readonly emit: (event: BenchProgressEvent) => void,
    private readonly runId: string,
    private readonly configId: string,
    private readonly configIndex: number,
    private readonly configCount: number,
    private readonly fraction: () => number,
    private readonly eta: () => number | null,
  ) {}

  /** The repetition measuring now (1-based) and how many are planned (null: decided after the first). */
  setRepetition(repetition: number, repetitions: number | null): void {
    this.repetition = repetition;
    this.repetitions = repetitions;
  }

  push(value: unknown): void {
    const p = value as {
      phase: BenchProgressEvent['phase'];
      iterations: number;
      elapsedMs: number;
      medianMs: number | null;
      ciHalfWidthRel: number | null;
      recentSamplesMs?: number[];
    };
    if (p.recentSamplesMs) this.samples.push(...p.recentSamplesMs);
    this.latest = {
      runId: this.runId,
      configId: this.configId,
      configIndex: this.configIndex,
      configCount: this.configCount,
      phase: p.phase,
      iterations: p.iterations,
      elapsedMs: p.elapsedMs,
      medianMs: p.medianMs,
      ciHalfWidthRel: p.ciHalfWidthRel,
      samplesMs: [],
      repetition: this.repetition,
      repetitions: this.repetitions,
      fraction: Math.min(1, this.fraction()),
      etaMs: this.eta(),
    };
    const wait = PROGRESS_INTERVAL_MS - (Date.now() - this.lastSent);
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.latest) return;
    this.lastSent = Date.now();
    this.emit({ ...this.latest, samplesMs: this.samples });
    this.samples = [];
    this.latest = null;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
