import { InferscopeError } from '../errors';

/**
 * Percentiles are numpy's default 'linear' method (Hyndman–Fan type 7): the
 * p-quantile of sorted x[0..n-1] sits at fractional rank h = (n − 1)·p and is
 * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). It is what `numpy.percentile`,
 * R's default and spreadsheets' PERCENTILE.INC give, so users can check our
 * numbers against their own tools.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new InferscopeError('INTERNAL', 'A percentile of no samples is undefined.');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo] as number;
  if (lo + 1 >= n) return below;
  const above = sorted[lo + 1] as number;
  // Written as a weighted sum so equal neighbours give exactly that value.
  const frac = h - lo;
  return frac === 0 ? below : below + frac * (above - below);
}

/** Copy and sort numerically (typed-array sort: numeric by default and faster than Array#sort with a comparator). */
export function sortSamples(samples: ArrayLike<number>): Float64Array {
  return Float64Array.from(samples).sort();
}

/** The p-th percentile (p in [0, 100]) of unsorted samples, numpy 'linear' definition. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  return quantileSorted(sortSamples(samples), p / 100);
}

/** Median of unsorted samples (the mean of the two middle values for even n). */
export function median(samples: ArrayLike<number>): number {
  return quantileSorted(sortSamples(samples), 0.5);
}
