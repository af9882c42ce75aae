import { CI_CONFIDENCE, EXACT_BINOMIAL_MAX_N } from './constants';
import { quantileSorted } from './quantile';

/**
 * Distribution-free confidence interval of the median from order statistics.
 *
 * Of n independent samples, the number X that fall below the true median is
 * Bin(n, ½) whatever the distribution. So [x(j), x(k)] (1-based order
 * statistics, k = n − j + 1) covers the median with probability
 * P(j ≤ X < k) = 1 − 2·P(X ≤ j − 1). We take the largest j (the narrowest
 * symmetric interval) whose coverage is still ≥ the confidence asked for.
 * Because X is discrete the coverage actually achieved is usually a bit above
 * the nominal level; it is reported as `coverage`.
 */

export type MedianCiMethod =
  /** Ranks from the exact binomial CDF. */
  | 'exact-binomial'
  /** Ranks from the normal approximation of Bin(n, ½) with continuity correction (n > EXACT_BINOMIAL_MAX_N). */
  | 'normal-approximation'
  /**
   * So few samples that even [min, max] covers the median with less than the
   * confidence asked for (n ≤ 5 at 95 %). The interval is [min, max] and
   * `coverage` says how much it is really worth.
   */
  | 'too-few-samples';

export interface MedianCiRanks {
  /** 1-based rank of the lower end, x(lowRank). */
  lowRank: number;
  /** 1-based rank of the upper end, x(highRank) = n − lowRank + 1. */
  highRank: number;
  /** Probability that [x(lowRank), x(highRank)] covers the true median (for continuous distributions). */
  coverage: number;
  method: MedianCiMethod;
}

export interface MedianConfidenceInterval extends MedianCiRanks {
  median: number;
  low: number;
  high: number;
  confidence: number;
}

function assertConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }
}

/**
 * Ranks from the exact binomial distribution. P(X = i) is built up in log
 * space, log C(n, i) − n·ln 2, so nothing overflows however large n is; cost
 * O(n) (only the lower half of the distribution is visited).
 */
export function exactMedianCiRanks(n: number, confidence: number = CI_CONFIDENCE): MedianCiRanks {
  assertConfidence(confidence);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`median CI needs n ≥ 1 samples, got ${n}`);
  const alpha = 1 - confidence;
  let logPmf = -n * Math.LN2; // log P(X = 0)
  let cdf = 0; // P(X ≤ i)
  let lowRank = 0;
  let tail = 0; // P(X ≤ lowRank − 1) for the accepted lowRank
  // lowRank may not pass the middle: lowRank ≤ highRank = n − lowRank + 1.
  for (let i = 0; i + 1 <= (n + 1) / 2; i++) {
    cdf += Math.exp(logPmf);
    if (2 * cdf > alpha) break;
    lowRank = i + 1;
    tail = cdf;
    logPmf += Math.log((n - i) / (i + 1));
  }
  if (lowRank === 0) return tooFewSamples(n);
  return { lowRank, highRank: n - lowRank + 1, coverage: 1 - 2 * tail, method: 'exact-binomial' };
}

/**
 * Ranks from the normal approximation: P(X ≤ j − 1) ≈ Φ((j − ½ − n/2) / (√n/2)),
 * so the largest admissible j is ⌊n/2 + ½ − z·√n/2⌋. O(1) apart from finding z.
 */
export function approximateMedianCiRanks(n: number, confidence: number = CI_CONFIDENCE): MedianCiRanks {
  assertConfidence(confidence);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`median CI needs n ≥ 1 samples, got ${n}`);
  const z = standardNormalQuantile(1 - (1 - confidence) / 2);
  const halfSqrtN = Math.sqrt(n) / 2;
  const lowRank = Math.min(Math.floor(n / 2 + 0.5 - z * halfSqrtN), Math.floor((n + 1) / 2));
  if (lowRank < 1) return tooFewSamples(n);
  const tail = standardNormalCdf((lowRank - 0.5 - n / 2) / halfSqrtN);
  return { lowRank, highRank: n - lowRank + 1, coverage: 1 - 2 * tail, method: 'normal-approximation' };
}

/** Exact up to EXACT_BINOMIAL_MAX_N samples, normal approximation beyond (see constants.ts for why). */
export function medianCiRanks(n: number, confidence: number = CI_CONFIDENCE): MedianCiRanks {
  return n <= EXACT_BINOMIAL_MAX_N ? exactMedianCiRanks(n, confidence) : approximateMedianCiRanks(n, confidence);
}

function tooFewSamples(n: number): MedianCiRanks {
  // [min, max] misses the median only when all samples fall on one side of it.
  return { lowRank: 1, highRank: n, coverage: 1 - 2 * 0.5 ** n, method: 'too-few-samples' };
}

/** Median and its CI from already sorted samples: O(n) at most (the rank search), no copying. */
export function medianConfidenceIntervalSorted(sorted: ArrayLike<number>, confidence: number = CI_CONFIDENCE): MedianConfidenceInterval {
  const ranks = medianCiRanks(sorted.length, confidence);
  return {
    ...ranks,
    median: quantileSorted(sorted, 0.5),
    low: sorted[ranks.lowRank - 1] as number,
    high: sorted[ranks.highRank - 1] as number,
    confidence,
  };
}

/**
 * How far the CI reaches from the median, relative to it: the larger of
 * (median − low) and (high − median), divided by the median. Order-statistic
 * intervals are asymmetric, so "within ±1 % of the median" means both ends are,
 * which is what this measures.
 */
export function ciHalfWidthRelative(ci: { median: number; low: number; high: number }): number {
  const reach = Math.max(ci.median - ci.low, ci.high - ci.median);
  if (ci.median !== 0) return reach / Math.abs(ci.median);
  // Relative width is unbounded around a zero median; 1 (±100 %) keeps the value finite for JSON
  // and never satisfies a precision target.
  return reach === 0 ? 0 : 1;
}

/**
 * Φ(x) from erf(t) = (2/√π)·e^(−t²)·Σ 2^k t^(2k+1) / (1·3·…·(2k+1)), a series of
 * positive terms (no cancellation). Accurate to ~1e-15 absolute, which is all
 * the rank search needs; beyond |x| = 8.5 Φ is 0 or 1 to double precision.
 */
export function standardNormalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= -8.5) return 0;
  if (x >= 8.5) return 1;
  const t = Math.abs(x) / Math.SQRT2;
  const twoT2 = 2 * t * t;
  let term = t;
  let sum = t;
  for (let k = 1; k < 500 && term > sum * 1e-17; k++) {
    term *= twoT2 / (2 * k + 1);
    sum += term;
  }
  const erf = Math.min(1, (2 / Math.sqrt(Math.PI)) * Math.exp(-t * t) * sum);
  return x < 0 ? 0.5 * (1 - erf) : 0.5 * (1 + erf);
}

/** Φ⁻¹(p) by bisection on Φ — called once per interval, so simplicity beats speed here. */
export function standardNormalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile: p must be in (0, 1), got ${p}`);
  let lo = -8.5;
  let hi = 8.5;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (standardNormalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
