import { InferscopeError } from '../errors';
import {
  CI_CONFIDENCE,
  DEFAULT_CI_TARGET_REL,
  DEFAULT_MAX_TIME_MS,
  DEFAULT_MIN_ITERATIONS,
  DEFAULT_MIN_TIME_MS,
  STABILITY_TOLERANCE,
  STABILITY_WINDOWS,
  STOP_CHECK_GROWTH,
  STOP_CHECK_MIN_INTERVAL,
} from './constants';
import { ciHalfWidthRelative, medianConfidenceIntervalSorted } from './median-ci';
import { sortSamples } from './quantile';

/**
 * Warm-up stability (docs/measurement.md#warm-up, Triton perf_analyzer's rule): the
 * last `windows` window medians each lie within ±tolerance of their mean.
 * Fewer medians than `windows` is not stable yet.
 */
export function isStable(
  windowMedians: readonly number[],
  tolerance: number = STABILITY_TOLERANCE,
  windows: number = STABILITY_WINDOWS,
): boolean {
  if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`isStable: windows must be ≥ 1, got ${windows}`);
  if (windowMedians.length < windows) return false;
  const last = windowMedians.slice(-windows);
  if (last.some((m) => !Number.isFinite(m))) return false;
  const mean = last.reduce((a, b) => a + b, 0) / windows;
  const allowed = tolerance * Math.abs(mean);
  return last.every((m) => Math.abs(m - mean) <= allowed);
}

export interface StopCriteria {
  /** Samples so far, in ms. */
  samples: ArrayLike<number>;
  /** Measuring time so far (not counting warm-up), in ms. */
  elapsedMs: number;
  minIterations?: number;
  minTimeMs?: number;
  maxTimeMs?: number;
  /** Optional cap on the sample count, for very fast models where maxTimeMs would hold millions of samples. */
  maxIterations?: number;
  /** Target for ciHalfWidthRel: 0.01 = the median's CI within ±1 % of it. */
  ciTargetRel?: number;
  confidence?: number;
}

/** Why the loop stops (stop: true) or keeps going (stop: false). */
export type StopDecision =
  | { stop: true; reason: 'ci-reached'; ciHalfWidthRel: number }
  | { stop: true; reason: 'max-time' | 'max-iterations'; ciHalfWidthRel: null }
  | { stop: false; reason: 'below-min-iterations' | 'below-min-time'; ciHalfWidthRel: null }
  /** ciHalfWidthRel null: too few samples for any interval yet. */
  | { stop: false; reason: 'ci-not-reached'; ciHalfWidthRel: number | null };

/**
 * docs/measurement.md#stopping-rules: stop at the maximum time (or iteration cap), or once
 * the minimum iterations and time are done and the median's CI is within
 * ±ciTargetRel of it. The caps win over the minimums: a model slower than
 * maxTimeMs / minIterations reports what it has.
 *
 * Cost: the cap and minimum checks are O(1); the CI check copies and sorts the
 * samples, O(n log n), plus the rank search, O(min(n, EXACT_BINOMIAL_MAX_N)).
 * So the loop calls it every stopCheckInterval(n) samples, not every sample,
 * and between calls compares its elapsed time with maxTimeMs itself.
 * The reported interval itself comes from computeStatistics at the end.
 */
export function shouldStopMeasuring(criteria: StopCriteria): StopDecision {
  const {
    samples,
    elapsedMs,
    minIterations = DEFAULT_MIN_ITERATIONS,
    minTimeMs = DEFAULT_MIN_TIME_MS,
    maxTimeMs = DEFAULT_MAX_TIME_MS,
    maxIterations = Number.POSITIVE_INFINITY,
    ciTargetRel = DEFAULT_CI_TARGET_REL,
    confidence = CI_CONFIDENCE,
  } = criteria;
  if (minTimeMs > maxTimeMs) {
    throw new InferscopeError('PLAN_INVALID', `Minimum measuring time ${minTimeMs} ms exceeds the maximum ${maxTimeMs} ms.`);
  }
  if (elapsedMs >= maxTimeMs) return { stop: true, reason: 'max-time', ciHalfWidthRel: null };
  if (samples.length >= maxIterations) return { stop: true, reason: 'max-iterations', ciHalfWidthRel: null };
  // At least one sample is needed for an interval, whatever minIterations says.
  if (samples.length < Math.max(1, minIterations)) {
    return { stop: false, reason: 'below-min-iterations', ciHalfWidthRel: null };
  }
  if (elapsedMs < minTimeMs) return { stop: false, reason: 'below-min-time', ciHalfWidthRel: null };

  const ci = medianConfidenceIntervalSorted(sortSamples(samples), confidence);
  // Too few samples for an interval at the confidence asked for: nothing to compare with the target.
  if (ci.method === 'too-few-samples') return { stop: false, reason: 'ci-not-reached', ciHalfWidthRel: null };
  const ciHalfWidthRel = ciHalfWidthRelative(ci);
  if (ciHalfWidthRel <= ciTargetRel) {
    return { stop: true, reason: 'ci-reached', ciHalfWidthRel };
  }
  return { stop: false, reason: 'ci-not-reached', ciHalfWidthRel };
}

/** How many more samples to take before the next shouldStopMeasuring call (see STOP_CHECK_GROWTH). */
export function stopCheckInterval(samplesSoFar: number): number {
  return Math.max(STOP_CHECK_MIN_INTERVAL, Math.ceil(STOP_CHECK_GROWTH * samplesSoFar));
}
