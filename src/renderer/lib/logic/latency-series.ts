import { histogram } from '../../../shared/stats/histogram';
import { quantileSorted } from '../../../shared/stats/quantile';
import { OUTLIER_IQR_FACTOR } from '../../../shared/stats/constants';

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
 * Where a latency axis should end so that a few far outliers (a GC pause, a page fault) do not
 * squash everything else into one line: the larger of p95 and the outlier fence Q3 + 3·IQR,
 * never beyond the largest sample. Samples above it are drawn at the edge and counted. (p99 is
 * no good here: with sub-millisecond runs it is often tens of times the median.)
 */
export function latencyAxisCap(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const max = sorted[sorted.length - 1] as number;
  if (sorted.length < MIN_SAMPLES_FOR_CAP) return max;
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

/** The histogram the charts show: equal-width bins up to the axis cap, the tail as one "above" bar. */
export function latencyHistogram(samples: readonly number[], maxBins?: number): LatencyHistogram {
  const cap = latencyAxisCap(samples);
  if (cap === null) return { bins: [], above: null, total: 0 };
  const inside: number[] = [];
  let above = 0;
  for (const value of samples) {
    if (value <= cap) inside.push(value);
    else above += 1;
  }
  const { edges, counts } = histogram(inside, maxBins === undefined ? {} : { maxBins });
  const bins = counts.map((count, i) => ({ fromMs: edges[i] as number, toMs: edges[i + 1] as number, count }));
  return { bins, above: above > 0 ? { fromMs: cap, count: above } : null, total: samples.length };
}
