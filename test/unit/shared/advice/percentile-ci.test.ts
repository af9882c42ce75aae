import { describe, expect, test } from 'vitest';
import { percentileConfidenceInterval } from '../../../../src/shared/advice';
import { createRng, medianConfidenceIntervalSorted, sortSamples, standardNormalQuantile } from '../../../../src/shared/stats';

describe('percentileConfidenceInterval', () => {
  test('at p = 0.5 it gives the same ranks as the median CI of src/shared/stats', () => {
    for (const n of [6, 7, 20, 51, 300, 999, 1500, 5000]) {
      const sorted = sortSamples(Array.from({ length: n }, (_, i) => i + 1));
      const median = medianConfidenceIntervalSorted(sorted);
      const ci = percentileConfidenceInterval(sorted, 0.5);
      expect([ci.lowRank, ci.highRank], `n=${n}`).toEqual([median.lowRank, median.highRank]);
      expect(ci.low).toBe(median.low);
      expect(ci.high).toBe(median.high);
    }
  });

  test('a p99 from 50 samples has no upper bound; from 1000 it has one', () => {
    const few = sortSamples(Array.from({ length: 50 }, (_, i) => i));
    const small = percentileConfidenceInterval(few, 0.99);
    expect(small.high).toBeNull();
    expect(small.low).not.toBeNull();
    const many = sortSamples(Array.from({ length: 1000 }, (_, i) => i));
    const large = percentileConfidenceInterval(many, 0.99);
    expect(large.high).not.toBeNull();
    expect(large.low! <= large.estimate && large.estimate <= large.high!).toBe(true);
    expect(large.coverage).toBeGreaterThanOrEqual(0.95);
  });

  test('covers the true p95 of a log-normal in about 95 % of seeded trials (exact and approximate ranks)', () => {
    // Latency-like: log-normal with median 10 ms, σ = 0.3; its p95 is 10·exp(0.3·z₀.₉₅).
    const truth = 10 * Math.exp(0.3 * standardNormalQuantile(0.95));
    for (const n of [200, 2000]) {
      let covered = 0;
      const trials = 400;
      for (let t = 0; t < trials; t++) {
        const rng = createRng(7000 + t + n);
        const sorted = sortSamples(Array.from({ length: n }, () => 10 * Math.exp(0.3 * rng.normal())));
        const ci = percentileConfidenceInterval(sorted, 0.95);
        if (ci.low !== null && ci.high !== null && ci.low <= truth && truth <= ci.high) covered++;
      }
      // Binomial noise of 400 trials is ±2.2 % (95 %); order-statistic intervals are slightly conservative.
      expect(covered / trials, `n=${n}`).toBeGreaterThanOrEqual(0.92);
      expect(covered / trials, `n=${n}`).toBeLessThanOrEqual(0.99);
    }
  });

  test('rejects an empty sample set and p outside (0, 1)', () => {
    expect(() => percentileConfidenceInterval([], 0.95)).toThrow(RangeError);
    expect(() => percentileConfidenceInterval([1, 2], 1)).toThrow(RangeError);
  });
});
