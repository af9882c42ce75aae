import { quantileSorted } from './quantile';
import { HISTOGRAM_MAX_BINS, OUTLIER_IQR_FACTOR } from './constants';

/** A chart of more points than this is no more informative, only slower. */
export const CHART_POINTS_CAP = 2000;

export interface SamplePoints {
  /** Index of each shown sample among all samples (0-based, in measuring order). */
  index: number[];
  ms: number[];
  /** Samples seen in all, shown or not. */
  total: number;
}

/**
 * A systematic sample of a growing series for the live chart: every `stride`-th sample is kept,
 * and when more than `cap` are kept the stride doubles and every other kept one is dropped. The
 * kept samples are real measurements spread evenly over the run, so the cloud keeps the shape of
 * the distribution; each push costs O(new samples), amortised.
 */
export class ThinnedSeries {
  private index: number[] = [];
  private ms: number[] = [];
  private stride = 1;
  private total = 0;

  constructor(private readonly cap: number = CHART_POINTS_CAP) {
    if (!Number.isInteger(cap) || cap < 2) throw new RangeError(`ThinnedSeries: cap must be an integer of 2 or more, got ${cap}`);
  }

  get count(): number {
    return this.total;
  }

  push(samples: readonly number[]): void {
    for (const value of samples) {
      if (this.total % this.stride === 0) {
        this.index.push(this.total);
        this.ms.push(value);
      }
      this.total += 1;
      if (this.index.length > this.cap) this.halve();
    }
  }

  reset(): void {
    this.index = [];
    this.ms = [];
    this.stride = 1;
    this.total = 0;
  }

  /** Copies, so the caller may hand them to a chart while pushing continues. */
  snapshot(): SamplePoints {
    return { index: [...this.index], ms: [...this.ms], total: this.total };
  }

  private halve(): void {
    const stride = this.stride * 2;
    const index: number[] = [];
    const ms: number[] = [];
    for (let i = 0; i < this.index.length; i++) {
      const at = this.index[i] as number;
      if (at % stride === 0) {
        index.push(at);
        ms.push(this.ms[i] as number);
      }
    }
    this.index = index;
    this.ms = ms;
    this.stride = stride;
  }
}

/** The same thinning for a finished configuration's stored samples. */
export function thinSamples(samples: readonly number[], cap: number = CHART_POINTS_CAP): SamplePoints {
  const series = new ThinnedSeries(cap);
  series.push(samples);
  return series.snapshot();
}

/** Below this many samples every sample is shown to scale. */
const MIN_SAMPLES_FOR_CAP = 20;

/**
 * Quantiles for drawing (where an axis ends, how wide a bin is) are read from at most this many
 * samples: an even systematic sample of a larger series. Sorting a run's 150,000 samples takes tens
 * of milliseconds, long enough to freeze the page while a run streams; a sorted 8,192 is well under
 * one. The figures shown (median, percentiles) never come from here: the host computes them from
 * every sample.
 */
export const DRAW_QUANTILE_SAMPLES = 8192;

/** Every sample sorted, or an even systematic sample of them when there are more than `limit`. */
function sortedForDrawing(samples: readonly number[], limit: number = DRAW_QUANTILE_SAMPLES): Float64Array {
  const n = samples.length;
  if (n <= limit) return Float64Array.from(samples).sort();
  const out = new Float64Array(limit);
  const step = n / limit;
  for (let i = 0; i < limit; i++) out[i] = samples[Math.floor(i * step)] as number;
  return out.sort();
}

function largest(samples: readonly number[]): number {
  let max = -Infinity;
  for (const value of samples) if (value > max) max = value;
  return max;
}

/**
 * Where a latency axis should end so that a few far outliers (a GC pause, a page fault) do not
 * squash everything else into one line: the larger of p95 and the outlier fence Q3 + 3·IQR,
 * never beyond the largest sample. Samples above it are drawn at the edge and counted. (p99 is
 * no good here: with sub-millisecond runs it is often tens of times the median.) Quantiles of a
 * long series come from an even sample of it (see {@link DRAW_QUANTILE_SAMPLES}); the largest
 * sample is exact.
 */
export function latencyAxisCap(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  const max = largest(samples);
  if (samples.length < MIN_SAMPLES_FOR_CAP) return max;
  const sorted = sortedForDrawing(samples);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const fence = q3 + OUTLIER_IQR_FACTOR * (q3 - q1);
  return Math.min(max, Math.max(fence, quantileSorted(sorted, 0.95)));
}

export interface LatencyBin {
  fromMs: number;
  toMs: number;
  count: number;
}

export interface LatencyHistogram {
  bins: LatencyBin[];
  /** Samples above the last bin (see {@link latencyAxisCap}), shown as one bar. */
  above: { fromMs: number; count: number } | null;
  total: number;
}

/** Freedman–Diaconis (2·IQR / ∛n) over the range, Sturges when the IQR is 0, as shared/stats/histogram does. */
function binCount(range: number, sortedInside: Float64Array, n: number, maxBins: number): number {
  if (range === 0 || sortedInside.length === 0) return 1;
  const iqr = quantileSorted(sortedInside, 0.75) - quantileSorted(sortedInside, 0.25);
  const bins = iqr > 0 ? Math.ceil(range / ((2 * iqr) / Math.cbrt(n))) : Math.ceil(Math.log2(n)) + 1;
  return Math.min(maxBins, Math.max(1, bins));
}

/**
 * The histogram the charts show: equal-width bins up to the axis cap, the tail as one "above" bar.
 * Every sample is counted, in one pass; only the bin width is read from an even sample of a long
 * series, so a run of any length is binned in a few milliseconds.
 */
export function latencyHistogram(samples: readonly number[], maxBins: number = HISTOGRAM_MAX_BINS): LatencyHistogram {
  const cap = latencyAxisCap(samples);
  if (cap === null) return { bins: [], above: null, total: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  let inside = 0;
  for (const value of samples) {
    if (value > cap) continue;
    inside += 1;
    if (value < lo) lo = value;
    if (value > hi) hi = value;
  }
  const above = samples.length - inside;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const sorted = sortedForDrawing(samples);
  const sortedInside = sorted.subarray(0, upperBound(sorted, cap));
  const bins = binCount(hi - lo, sortedInside, inside, maxBins);
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const value of samples) {
    if (value > cap) continue;
    const i = Math.min(bins - 1, Math.max(0, Math.floor((value - lo) / width)));
    counts[i] = (counts[i] as number) + 1;
  }
  return {
    bins: counts.map((count, i) => ({ fromMs: lo + i * width, toMs: i === bins - 1 ? hi : lo + (i + 1) * width, count })),
    above: above > 0 ? { fromMs: cap, count: above } : null,
    total: samples.length,
  };
}

/** How many of the sorted values are at most `value`. */
function upperBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
