import { CI_CONFIDENCE, EXACT_BINOMIAL_MAX_N, quantileSorted, standardNormalQuantile } from '../stats';

/**
 * Distribution-free confidence interval of any percentile from order statistics — the
 * median CI of src/shared/stats generalised to p ≠ ½, because the verdict rests on a p95 or
 * p99, not on the median.
 *
 * Of n independent samples, the number X below the true p-quantile is Bin(n, p). The
 * interval [x(j), x(k)] (1-based order statistics) misses below with probability
 * P(X ≤ j − 1) and above with P(X ≥ k); j is the largest rank and k the smallest with each
 * tail ≤ α/2. When even x(1) or x(n) cannot reach the confidence — a p99 from 100 samples
 * has no upper bound — that end is null: the samples cannot bound it.
 */
export interface PercentileConfidenceInterval {
  estimate: number;
  low: number | null;
  high: number | null;
  /** 1-based ranks of the ends (0 or n + 1 where unbounded). */
  lowRank: number;
  highRank: number;
  /** Probability the interval covers the true percentile (ends at ±∞ where unbounded). */
  coverage: number;
}

/** `sorted` ascending; p in [0, 1]. O(n) up to EXACT_BINOMIAL_MAX_N samples, O(1) beyond. */
export function percentileConfidenceInterval(
  sorted: ArrayLike<number>,
  p: number,
  confidence: number = CI_CONFIDENCE,
): PercentileConfidenceInterval {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile CI needs at least one sample');
  if (!(p > 0 && p < 1)) throw new RangeError(`percentile CI: p must be in (0, 1), got ${p}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const { lowRank, highRank, coverage } = n <= EXACT_BINOMIAL_MAX_N ? exactRanks(n, p, confidence) : approximateRanks(n, p, confidence);
  return {
    estimate: quantileSorted(sorted, p),
    low: lowRank >= 1 ? (sorted[lowRank - 1] as number) : null,
    high: highRank <= n ? (sorted[highRank - 1] as number) : null,
    lowRank,
    highRank,
    coverage,
  };
}

function exactRanks(n: number, p: number, confidence: number): { lowRank: number; highRank: number; coverage: number } {
  const halfAlpha = (1 - confidence) / 2;
  // cdf[i] = P(X ≤ i), built from the pmf in log space so that p99 at n = 1000 does not underflow to garbage.
  const cdf = new Float64Array(n + 1);
  let logPmf = n * Math.log1p(-p);
  const logOdds = Math.log(p) - Math.log1p(-p);
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    sum += Math.exp(logPmf);
    cdf[i] = Math.min(1, sum);
    if (i < n) logPmf += Math.log((n - i) / (i + 1)) + logOdds;
  }
  const below = (rank: number): number => (rank <= 0 ? 0 : (cdf[rank - 1] as number)); // P(X ≤ rank − 1)
  let lowRank = 0;
  while (lowRank + 1 <= n && below(lowRank + 1) <= halfAlpha) lowRank++;
  let highRank = n + 1;
  while (highRank - 1 >= 1 && 1 - below(highRank - 1) <= halfAlpha) highRank--;
  const coverage = (highRank > n ? 1 : below(highRank)) - below(lowRank);
  return { lowRank, highRank, coverage };
}

function approximateRanks(n: number, p: number, confidence: number): { lowRank: number; highRank: number; coverage: number } {
  const z = standardNormalQuantile(1 - (1 - confidence) / 2);
  const sd = Math.sqrt(n * p * (1 - p));
  // Continuity-corrected normal tails of Bin(n, p), as in median-ci.ts.
  const lowRank = Math.max(0, Math.floor(n * p + 0.5 - z * sd));
  const highRank = Math.min(n + 1, Math.ceil(n * p + 0.5 + z * sd));
  return { lowRank, highRank, coverage: confidence };
}
