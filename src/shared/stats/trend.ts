import { TREND_MIN_SAMPLES } from './constants';
import { median } from './quantile';

/**
 * Drift over a run: median of the last quarter of the samples divided by the
 * median of the first quarter, in the order they were measured (pass the
 * samples unsorted). Above THERMAL_TREND_WARN_RATIO (1.05) the report warns of
 * thermal throttling; below 1 the run was still warming up.
 *
 * Null when there are fewer than TREND_MIN_SAMPLES samples or the first
 * quarter's median is 0, where a ratio says nothing.
 */
export function trendRatio(samplesInOrder: readonly number[]): number | null {
  if (samplesInOrder.length < TREND_MIN_SAMPLES) return null;
  const quarter = Math.floor(samplesInOrder.length / 4);
  const first = median(samplesInOrder.slice(0, quarter));
  const last = median(samplesInOrder.slice(samplesInOrder.length - quarter));
  if (!(first > 0)) return null;
  return last / first;
}
