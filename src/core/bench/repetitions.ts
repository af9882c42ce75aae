/**
 * A configuration measured in several fresh worker processes (docs/measurement.md#repetitions):
 * how many, and what the run document records from them. The worker stays a measuring loop;
 * the statistics across repetitions are src/shared/stats/repetitions.ts.
 */
import type { BenchPlan } from '../../shared/domain/plan';
import type { ConfigResult, Repetition, Uncertainty } from '../../shared/domain/run';
import type { ErrorInfo } from '../../shared/errors';
import { setting } from '../../shared/settings';
import {
  ciHalfWidthRelative,
  computeStatistics,
  DEFAULT_QUICK_REPETITIONS,
  formatMs,
  medianAcrossRepetitions,
  QUICK_REPETITION_MAX_MS,
} from '../../shared/stats';
import type { BenchMeasurement } from './measurement';
import { configFromMeasurement } from './results';

/** One repetition as the runner saw it: a measurement, or the error that ended it. */
export type RepetitionOutcome =
  | { ok: true; measurement: BenchMeasurement; wallMs: number; pid: number | null }
  | { ok: false; error: ErrorInfo; wallMs: number; pid: number | null };

/** How many repetitions the plan asks for, or, without a count, how many the first one's cost allows. */
export function repetitionsAfterFirst(plan: Pick<BenchPlan, 'repetitions'>, firstWallMs: number): number {
  if (plan.repetitions !== null) return plan.repetitions;
  return firstWallMs < QUICK_REPETITION_MAX_MS ? DEFAULT_QUICK_REPETITIONS : 1;
}

/** Why the headline CI covers what it covers, in words, or null when nothing needs saying. */
export function uncertaintyNote(plan: Pick<BenchPlan, 'repetitions'>, outcomes: readonly RepetitionOutcome[]): string | null {
  const done = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.filter((o): o is Extract<RepetitionOutcome, { ok: false }> => !o.ok);
  const parts: string[] = [];
  for (const f of failed) {
    const index = outcomes.indexOf(f) + 1;
    parts.push(`Repetition ${index} ${f.error.code === 'CANCELLED' ? 'was cancelled' : `failed (${f.error.code}: ${f.error.message})`}.`);
  }
  if (done === 1) {
    const first = outcomes[0];
    if (failed.length > 0) parts.push('The CI rests on one process only: run-to-run variation was not sampled.');
    else if (plan.repetitions === null && first) {
      parts.push(
        `One repetition took ${formatMs(first.wallMs)} (over ${formatMs(QUICK_REPETITION_MAX_MS)}), so this configuration was ` +
          `measured in one process: run-to-run variation was not sampled and the CI is within this process only (set ` +
          `${setting('repetitions', '3')} to sample it).`,
      );
    } else parts.push(`Measured in one process, as ${setting('repetitions')} asked: the CI is within this process only.`);
  } else if (failed.length > 0) parts.push(`The CI rests on the ${done} repetitions that finished.`);
  return parts.length ? parts.join(' ') : null;
}

const geometricMean = (values: readonly number[]): number => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

/**
 * The configuration as measured over its repetitions (at least one finished): every sample pooled in
 * order, each repetition's summary, and the headline median and CI across them (within the one process
 * when only one finished). Session, placement and inputs come from the first repetition, which alone
 * runs the profiled pass; memory is the largest any repetition reached.
 */
export function configFromRepetitions(
  outcomes: readonly RepetitionOutcome[],
  base: ConfigResult,
  gpu: ConfigResult['gpu'],
  note: string | null,
): ConfigResult {
  const done = outcomes.flatMap((o) => (o.ok ? [o.measurement] : []));
  const first = done[0];
  if (!first) throw new Error('configFromRepetitions needs a finished repetition');
  const config = configFromMeasurement(first, base, gpu);
  const repetitions: Repetition[] = [];
  const samples: number[] = [];
  const samplesPerThread: number[] = [];
  outcomes.forEach((o, i) => {
    const m = o.ok ? o.measurement : null;
    repetitions.push({
      index: i + 1,
      status: o.ok ? 'done' : o.error.code === 'CANCELLED' ? 'cancelled' : 'failed',
      error: o.ok ? null : o.error,
      firstSample: samples.length,
      sampleCount: m?.samplesMs.length ?? 0,
      latencyMs: m?.stats ?? null,
      throughput: m?.throughput ?? null,
      measureMs: m?.measureMs ?? null,
      stopReason: m?.stopReason ?? null,
      pid: o.pid,
      wallMs: o.wallMs,
      warmupStable: m ? m.warmup.stable : null,
      otherLoadShare: m?.resources.otherLoadShare ?? null,
      trendRatio: m?.trendRatio ?? null,
      outlier: false,
    });
    if (m) {
      for (const x of m.samplesMs) samples.push(x);
      samplesPerThread.push(...m.samplesPerThread);
    }
  });
  config.repetitions = repetitions;
  config.samples = samples;
  config.samplesPerThread = samplesPerThread;
  config.uncertainty = { scope: 'within-process', repetitions: done.length, betweenLogSd: null, betweenSpreadRel: null, note };
  if (done.length < 2) return config;

  const interval = medianAcrossRepetitions(done.map((m) => m.stats.median));
  const finished = repetitions.filter((r) => r.status === 'done');
  for (const i of interval.outliers) (finished[i] as Repetition).outlier = true;
  const pooled = computeStatistics(samples);
  config.latencyMs = {
    ...pooled,
    median: interval.median,
    ciLow: interval.low,
    ciHigh: interval.high,
    ciConfidence: interval.confidence,
    ciCoverage: interval.confidence,
    ciMethod: 'repetitions-t',
    ciHalfWidthRel: ciHalfWidthRelative(interval),
  };
  // All runs over all measuring time, as within one process (a time-weighted mean of the repetitions' rates).
  const measureMs = done.reduce((sum, m) => sum + m.measureMs, 0);
  const pooledRate = (rate: (m: BenchMeasurement) => number): number =>
    measureMs > 0 ? done.reduce((sum, m) => sum + rate(m) * m.measureMs, 0) / measureMs : geometricMean(done.map(rate));
  config.throughput = { runsPerSec: pooledRate((m) => m.throughput.runsPerSec), itemsPerSec: pooledRate((m) => m.throughput.itemsPerSec) };
  config.measureMs = measureMs;
  config.stable = done.every((m) => m.warmup.stable);
  config.trendRatio = Math.max(...done.map((m) => m.trendRatio ?? 0)) || null;
  if (config.memory) config.memory.rssPeakBytes = Math.max(...done.map((m) => m.resources.rssPeakBytes));
  const uncertainty: Uncertainty = {
    scope: 'across-processes',
    repetitions: done.length,
    betweenLogSd: interval.logSd,
    betweenSpreadRel: interval.spreadRel,
    note,
  };
  config.uncertainty = uncertainty;
  return config;
}
