import { InferscopeError } from '../errors';
import { CI_CONFIDENCE, OUTLIER_IQR_FACTOR } from './constants';
import { ciHalfWidthRelative, medianConfidenceIntervalSorted } from './median-ci';
import { quantileSorted, sortSamples } from './quantile';
import type { LatencyStats } from './schema';

export interface StatisticsOptions {
  /** Confidence level of the median CI; default CI_CONFIDENCE (0.95). */
  confidence?: number;
}

/**
 * Latency samples must be finite and non-negative: a NaN would sort anywhere
 * and poison every statistic silently, and a negative time is a clock bug.
 */
export function assertLatencySamples(samplesMs: ArrayLike<number>, what = 'latency samples'): void {
  for (let i = 0; i < samplesMs.length; i++) {
    const x = samplesMs[i] as number;
    if (!Number.isFinite(x) || x < 0) {
      throw new InferscopeError('INTERNAL', `${what} must be finite and non-negative; sample ${i} is ${x}.`);
    }
  }
}

/**
 * Every statistic of one configuration's samples, from one sorted copy.
 * Cost: O(n log n) for the sort, O(n) for the rest.
 *
 * No samples is a caller bug (a run that measured nothing has no statistics),
 * so n = 0 throws InferscopeError('INTERNAL') rather than returning NaNs that
 * would not survive JSON. One sample gives that value everywhere, stdev 0 and
 * no CI (ciLow, ciHigh and ciHalfWidthRel null, ciMethod 'too-few-samples').
 */
export function computeStatistics(samplesMs: ArrayLike<number>, options: StatisticsOptions = {}): LatencyStats {
  const count = samplesMs.length;
  if (count === 0) {
    throw new InferscopeError('INTERNAL', 'Cannot compute latency statistics without any samples.');
  }
  assertLatencySamples(samplesMs);
  const sorted = sortSamples(samplesMs);

  // Summing offsets from the minimum keeps all-equal samples exact (mean = that value, stdev = 0)
  // and loses less precision when the spread is small next to the values.
  const min = sorted[0] as number;
  let offsetSum = 0;
  for (let i = 0; i < count; i++) offsetSum += (sorted[i] as number) - min;
  const mean = min + offsetSum / count;
  // Two-pass variance: summing squared deviations from the known mean avoids the
  // catastrophic cancellation of Σx² − n·mean² when the spread is tiny next to the mean.
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const d = (sorted[i] as number) - mean;
    squares += d * d;
  }
  const stdev = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;

  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const lowFence = q1 - OUTLIER_IQR_FACTOR * iqr;
  const highFence = q3 + OUTLIER_IQR_FACTOR * iqr;
  let outliersLow = 0;
  while (outliersLow < count && (sorted[outliersLow] as number) < lowFence) outliersLow++;
  let outliersHigh = 0;
  while (outliersHigh < count && (sorted[count - 1 - outliersHigh] as number) > highFence) outliersHigh++;

  const ci = medianConfidenceIntervalSorted(sorted, options.confidence ?? CI_CONFIDENCE);
  // Too few samples for the confidence asked for (n < 6 at 95 %): no interval rather than [min, max] posing as one.
  const hasCi = ci.method !== 'too-few-samples';

  return {
    count,
    min,
    max: sorted[count - 1] as number,
    mean,
    median: ci.median,
    q1,
    q3,
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    stdev,
    cv: mean > 0 ? stdev / mean : 0,
    ciLow: hasCi ? ci.low : null,
    ciHigh: hasCi ? ci.high : null,
    ciConfidence: ci.confidence,
    ciCoverage: ci.coverage,
    ciMethod: ci.method,
    ciHalfWidthRel: hasCi ? ciHalfWidthRelative(ci) : null,
    outliersLow,
    outliersHigh,
  };
}
