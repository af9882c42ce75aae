import { describe, expect, test } from 'vitest';
import { InferscopeError } from '../../../../src/shared/errors';
import { computeStatistics, createRng, LatencyStatsSchema } from '../../../../src/shared/stats';

describe('computeStatistics', () => {
  test('seven samples, every field by hand (percentiles as numpy linear)', () => {
    const samples = [3.2, 1.5, 7.9, 4.4, 2.0, 9.1, 5.5]; // sorted 1.5 2.0 3.2 4.4 5.5 7.9 9.1
    const s = computeStatistics(samples);
    expect(s.count).toBe(7);
    expect(s.min).toBe(1.5);
    expect(s.max).toBe(9.1);
    expect(s.mean).toBeCloseTo(33.6 / 7, 12); // 4.8
    expect(s.median).toBe(4.4);
    expect(s.q1).toBeCloseTo(2.6, 12);
    expect(s.q3).toBeCloseTo(6.7, 12);
    expect(s.p90).toBeCloseTo(8.38, 12);
    expect(s.p95).toBeCloseTo(8.74, 12);
    expect(s.p99).toBeCloseTo(9.028, 12);
    // Deviations from 4.8 squared: 10.89 + 7.84 + 2.56 + 0.16 + 0.49 + 9.61 + 18.49 = 50.04; / 6 = 8.34.
    expect(s.stdev).toBeCloseTo(Math.sqrt(8.34), 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(8.34) / 4.8, 12);
    // n = 7: ranks 1 and 7, coverage 1 − 2/128.
    expect(s).toMatchObject({ ciLow: 1.5, ciHigh: 9.1, ciMethod: 'exact-binomial', ciConfidence: 0.95 });
    expect(s.ciCoverage).toBeCloseTo(1 - 2 / 128, 14);
    expect(s.ciHalfWidthRel).toBeCloseTo((9.1 - 4.4) / 4.4, 12); // the longer side
    expect(s).toMatchObject({ outliersLow: 0, outliersHigh: 0 });
    expect(LatencyStatsSchema.parse(s)).toEqual(s);
  });

  test('does not depend on sample order and leaves the input alone', () => {
    const rng = createRng(11);
    const samples = Array.from({ length: 257 }, () => rng.normal(20, 2));
    const copy = [...samples];
    const reversed = [...samples].reverse();
    expect(computeStatistics(reversed)).toEqual(computeStatistics(samples));
    expect(samples).toEqual(copy);
  });

  test('outliers beyond 3·IQR on each side', () => {
    // 40..59, 1, 150, 160: sorted has 1 first; q1 = x[5.5] = 44.5, q3 = x[16.5] = 55.5, IQR 11,
    // fences 44.5 − 33 = 11.5 and 55.5 + 33 = 88.5.
    const samples = [...Array.from({ length: 20 }, (_, i) => 40 + i), 1, 150, 160];
    const s = computeStatistics(samples);
    expect(s.q1).toBeCloseTo(44.5, 12);
    expect(s.q3).toBeCloseTo(55.5, 12);
    expect(s.outliersLow).toBe(1);
    expect(s.outliersHigh).toBe(2);
  });

  test('uniform(10, 20): known median, quantiles and spread', () => {
    const rng = createRng(21);
    const s = computeStatistics(Array.from({ length: 20_000 }, () => 10 + 10 * rng.next()));
    expect(s.ciMethod).toBe('normal-approximation');
    expect(s.ciLow).toBeLessThanOrEqual(15);
    expect(s.ciHigh).toBeGreaterThanOrEqual(15);
    expect(Math.abs(s.median - 15)).toBeLessThan(0.1);
    expect(Math.abs(s.mean - 15)).toBeLessThan(0.1);
    expect(Math.abs(s.p90 - 19)).toBeLessThan(0.1);
    expect(Math.abs(s.p99 - 19.9)).toBeLessThan(0.05);
    expect(Math.abs(s.stdev - 10 / Math.sqrt(12))).toBeLessThan(0.05);
    expect(s.min).toBeGreaterThanOrEqual(10);
    expect(s.max).toBeLessThan(20);
    expect(s.outliersLow + s.outliersHigh).toBe(0);
  });

  test('normal(100, 10): known median, percentiles, stdev and cv', () => {
    const rng = createRng(22);
    const s = computeStatistics(Array.from({ length: 20_000 }, () => rng.normal(100, 10)));
    expect(s.ciLow).toBeLessThanOrEqual(100);
    expect(s.ciHigh).toBeGreaterThanOrEqual(100);
    expect(Math.abs(s.median - 100)).toBeLessThan(0.3);
    expect(Math.abs(s.p90 - 112.8155)).toBeLessThan(0.5); // 100 + 10·Φ⁻¹(0.90)
    expect(Math.abs(s.p95 - 116.4485)).toBeLessThan(0.6);
    expect(Math.abs(s.p99 - 123.2635)).toBeLessThan(1.2);
    expect(Math.abs(s.stdev - 10)).toBeLessThan(0.2);
    expect(Math.abs(s.cv - 0.1)).toBeLessThan(0.002);
    // The CI of the median narrows like 1/√n: ≈ 1.96·1.2533·10/√20000 ≈ 0.17 either side.
    expect(s.ciHalfWidthRel).toBeGreaterThan(0.001);
    expect(s.ciHalfWidthRel).toBeLessThan(0.0025);
  });

  test('no samples is a caller bug: a clear InferscopeError', () => {
    expect(() => computeStatistics([])).toThrow(InferscopeError);
    expect(() => computeStatistics([])).toThrow(/without any samples/);
  });

  test('rejects NaN, infinite and negative samples', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.5]) {
      expect(() => computeStatistics([1, 2, bad])).toThrow(/sample 2/);
    }
  });

  test('one sample: that value everywhere, no spread, no CI', () => {
    const s = computeStatistics([12.5]);
    for (const key of ['min', 'max', 'mean', 'median', 'q1', 'q3', 'p90', 'p95', 'p99'] as const) {
      expect(s[key]).toBe(12.5);
    }
    expect(s).toMatchObject({ count: 1, stdev: 0, cv: 0, ciMethod: 'too-few-samples', ciCoverage: 0 });
    expect(s).toMatchObject({ ciLow: null, ciHigh: null, ciHalfWidthRel: null });
    expect(LatencyStatsSchema.parse(s)).toEqual(s);
  });

  test('n = 1..5 give no CI at 95 % (never [min, max] or a zero width); n = 6 gives [min, max] at 96.9 %', () => {
    for (let n = 1; n <= 6; n++) {
      const s = computeStatistics(Array.from({ length: n }, (_, i) => 10 + i));
      if (n < 6) {
        expect(s, `n = ${n}`).toMatchObject({ ciLow: null, ciHigh: null, ciHalfWidthRel: null, ciMethod: 'too-few-samples' });
        expect(s.ciCoverage).toBeLessThan(0.95);
      } else {
        expect(s).toMatchObject({ ciLow: 10, ciHigh: 15, ciMethod: 'exact-binomial' });
        expect(s.ciCoverage).toBeCloseTo(1 - 2 / 64, 12);
        expect(s.ciHalfWidthRel).toBeCloseTo(2.5 / 12.5, 12);
      }
      expect(LatencyStatsSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
    // All-equal samples: still no zero-width "CI" below 6 runs.
    expect(computeStatistics([5, 5, 5]).ciHalfWidthRel).toBeNull();
  });

  test('older documents with a [min, max] "CI" of too few samples read back without one', () => {
    const old = { ...computeStatistics([1, 2, 3]), ciLow: 1, ciHigh: 3, ciHalfWidthRel: 0.5 };
    expect(LatencyStatsSchema.parse(old)).toMatchObject({ ciLow: null, ciHigh: null, ciHalfWidthRel: null });
    const real = computeStatistics([1, 2, 3, 4, 5, 6, 7]);
    expect(LatencyStatsSchema.parse(real)).toEqual(real);
  });

  test('all-equal samples are exact, not rounded', () => {
    const s = computeStatistics(new Array<number>(50).fill(0.1));
    expect(s).toMatchObject({ min: 0.1, max: 0.1, mean: 0.1, median: 0.1, stdev: 0, cv: 0 });
    expect(s).toMatchObject({ ciLow: 0.1, ciHigh: 0.1, ciHalfWidthRel: 0, outliersLow: 0, outliersHigh: 0 });
    expect(s.ciMethod).toBe('exact-binomial');
  });

  test('zero latencies stay JSON-safe', () => {
    const s = computeStatistics([0, 0, 0, 0, 0, 0, 0, 0, 0, 0.001]);
    expect(s.cv).toBeGreaterThan(0);
    expect(s.ciHalfWidthRel).toBe(0); // ranks 2..9 are all 0
    const wide = computeStatistics([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(wide.median).toBe(0);
    expect(wide.ciHalfWidthRel).toBe(1);
    expect(() => LatencyStatsSchema.parse(JSON.parse(JSON.stringify(wide)))).not.toThrow();
  });

  test('the schema rejects what would not survive JSON', () => {
    const s = computeStatistics([1, 2, 3]);
    expect(LatencyStatsSchema.safeParse({ ...s, ciHalfWidthRel: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(LatencyStatsSchema.safeParse({ ...s, count: 0 }).success).toBe(false);
    expect(LatencyStatsSchema.safeParse({ ...s, ciMethod: 'guess' }).success).toBe(false);
  });

  test('another confidence level', () => {
    const s = computeStatistics([1, 2, 3, 4, 5], { confidence: 0.9 });
    // n = 5 at 90 %: ranks 1 and 5 cover 1 − 2/32 = 93.75 % ≥ 90 %.
    expect(s).toMatchObject({ ciConfidence: 0.9, ciMethod: 'exact-binomial', ciLow: 1, ciHigh: 5 });
  });
});
