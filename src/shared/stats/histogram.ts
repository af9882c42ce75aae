import { HISTOGRAM_MAX_BINS } from './constants';
import { quantileSorted, sortSamples } from './quantile';
import type { Histogram } from './schema';

export interface HistogramOptions {
  /** Exact number of equal-width bins; by default Freedman–Diaconis, capped at maxBins. */
  bins?: number;
  maxBins?: number;
}

/**
 * Equal-width bins over [min, max] for the latency chart. The default bin
 * width is Freedman–Diaconis, 2·IQR / ∛n, which follows the bulk of the
 * distribution and is not thrown off by a few far outliers (Sturges' rule,
 * ⌈log₂ n⌉ + 1, is the fallback when the IQR is 0). Bin i is
 * [edges[i], edges[i+1]); the last bin includes max.
 *
 * Like numpy.histogram, all-equal samples v get the range [v − 0.5, v + 0.5],
 * so every bin has a width. No samples give no bins (edges and counts empty).
 */
export function histogram(samples: readonly number[], options: HistogramOptions = {}): Histogram {
  const n = samples.length;
  if (n === 0) return { edges: [], counts: [] };
  const maxBins = options.maxBins ?? HISTOGRAM_MAX_BINS;
  if (options.bins !== undefined && (!Number.isInteger(options.bins) || options.bins < 1)) {
    throw new RangeError(`histogram: bins must be a positive integer, got ${options.bins}`);
  }
  if (!Number.isInteger(maxBins) || maxBins < 1) throw new RangeError(`histogram: maxBins must be a positive integer, got ${maxBins}`);

  const sorted = sortSamples(samples);
  let lo = sorted[0] as number;
  let hi = sorted[n - 1] as number;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    // NaN sorts last in a Float64Array, so checking both ends catches it too.
    throw new RangeError('histogram: samples must be finite numbers');
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const bins = options.bins ?? defaultBinCount(sorted, maxBins);

  const edges: number[] = [];
  for (let i = 0; i < bins; i++) edges.push(lo + ((hi - lo) * i) / bins);
  edges.push(hi);

  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (hi - lo);
  for (let s = 0; s < n; s++) {
    const x = sorted[s] as number;
    let i = Math.min(bins - 1, Math.max(0, Math.floor((x - lo) * scale)));
    // Rounding in the scaled index can land a value one bin off its edges; the edges are what the chart shows.
    if (x < (edges[i] as number) && i > 0) i--;
    else if (x >= (edges[i + 1] as number) && i < bins - 1) i++;
    counts[i] = (counts[i] as number) + 1;
  }
  return { edges, counts };
}

function defaultBinCount(sorted: Float64Array, maxBins: number): number {
  const n = sorted.length;
  const range = (sorted[n - 1] as number) - (sorted[0] as number);
  if (range === 0) return 1;
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const bins = iqr > 0 ? Math.ceil(range / ((2 * iqr) / Math.cbrt(n))) : Math.ceil(Math.log2(n)) + 1;
  return Math.min(maxBins, Math.max(1, bins));
}
