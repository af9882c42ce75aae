import { describe, expect, test } from 'vitest';
import {
  approximateMedianCiRanks,
  computeStatistics,
  createRng,
  EXACT_BINOMIAL_MAX_N,
  exactMedianCiRanks,
  medianCiRanks,
  standardNormalCdf,
  standardNormalQuantile,
} from '../../../../src/shared/stats';

describe('median CI ranks (exact binomial)', () => {
  // Coverage of [x(j), x(n−j+1)] is 1 − 2·P(X ≤ j − 1), X ~ Bin(n, ½), i.e. 1 − 2·Σ_{i<j} C(n, i) / 2^n.
  test('n = 10 → ranks 2 and 9, coverage 1 − 2·(1 + 10)/1024 ≈ 97.9 %', () => {
    const r = exactMedianCiRanks(10);
    expect(r).toMatchObject({ lowRank: 2, highRank: 9, method: 'exact-binomial' });
    expect(r.coverage).toBeCloseTo(1 - 22 / 1024, 14);
    // Ranks 3 and 8 would cover only 1 − 2·(1 + 10 + 45)/1024 ≈ 89 %, so 2..9 is the narrowest.
  });

  test('n = 6, 9 and 20 by hand', () => {
    expect(exactMedianCiRanks(6)).toMatchObject({ lowRank: 1, highRank: 6 });
    expect(exactMedianCiRanks(6).coverage).toBeCloseTo(1 - 2 / 64, 14);
    expect(exactMedianCiRanks(9)).toMatchObject({ lowRank: 2, highRank: 8 });
    expect(exactMedianCiRanks(9).coverage).toBeCloseTo(1 - (2 * (1 + 9)) / 512, 14);
    // P(X ≤ 5) for n = 20: (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576 ≈ 0.0207 ≤ 0.025;
    // adding C(20, 6) = 38760 gives 0.0577 > 0.025, so j = 6.
    const r20 = exactMedianCiRanks(20);
    expect(r20).toMatchObject({ lowRank: 6, highRank: 15 });
    expect(r20.coverage).toBeCloseTo(1 - (2 * 21700) / 1048576, 14);
  });

  test('larger n matches scipy.stats.binom', () => {
    expect(exactMedianCiRanks(100)).toMatchObject({ lowRank: 40, highRank: 61 });
    expect(exactMedianCiRanks(100).coverage).toBeCloseTo(0.9647997997822951, 12);
    expect(exactMedianCiRanks(1000)).toMatchObject({ lowRank: 469, highRank: 532 });
    expect(exactMedianCiRanks(1000).coverage).toBeCloseTo(0.9537088026395019, 12);
  });

  test('n ≤ 5 has no 95 % interval: full range, honest coverage', () => {
    expect(exactMedianCiRanks(5)).toEqual({ lowRank: 1, highRank: 5, coverage: 1 - 2 / 32, method: 'too-few-samples' });
    expect(exactMedianCiRanks(1)).toEqual({ lowRank: 1, highRank: 1, coverage: 0, method: 'too-few-samples' });
    // A lower confidence level makes small samples usable.
    expect(exactMedianCiRanks(5, 0.9).method).toBe('exact-binomial');
  });

  test('normal approximation picks the exact ranks or one wider, never narrower', () => {
    for (const n of [1001, 1500, 2000, 5000, 100_000]) {
      const exact = exactMedianCiRanks(n);
      const approx = approximateMedianCiRanks(n);
      expect(approx.method).toBe('normal-approximation');
      expect(exact.lowRank - approx.lowRank).toBeGreaterThanOrEqual(0);
      expect(exact.lowRank - approx.lowRank).toBeLessThanOrEqual(1);
      expect(approx.coverage).toBeGreaterThanOrEqual(0.949);
      expect(approx.coverage).toBeLessThan(0.96);
      if (approx.lowRank === exact.lowRank) expect(Math.abs(approx.coverage - exact.coverage)).toBeLessThan(1e-3);
    }
    expect(approximateMedianCiRanks(100_000)).toMatchObject({ lowRank: 49690, highRank: 50311 });
  });

  test('the switch between methods sits at EXACT_BINOMIAL_MAX_N', () => {
    expect(medianCiRanks(EXACT_BINOMIAL_MAX_N).method).toBe('exact-binomial');
    expect(medianCiRanks(EXACT_BINOMIAL_MAX_N + 1).method).toBe('normal-approximation');
  });

  test('bad arguments', () => {
    expect(() => exactMedianCiRanks(0)).toThrow(RangeError);
    expect(() => exactMedianCiRanks(10, 1)).toThrow(RangeError);
    expect(() => approximateMedianCiRanks(2.5)).toThrow(RangeError);
  });
});

describe('normal distribution helpers', () => {
  test('Φ and Φ⁻¹ against tabulated values', () => {
    expect(standardNormalCdf(0)).toBe(0.5);
    expect(standardNormalCdf(1.959963984540054)).toBeCloseTo(0.975, 13);
    expect(standardNormalCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(standardNormalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(standardNormalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(standardNormalQuantile(0.995)).toBeCloseTo(2.5758293035489, 10);
  });
});

describe('CI of the median covers the true median ≈ 95 % of the time', () => {
  function coverage(n: number, draw: (rng: ReturnType<typeof createRng>) => number, trueMedian: number): number {
    const rng = createRng(n * 7919);
    let covered = 0;
    const repetitions = 1000;
    for (let rep = 0; rep < repetitions; rep++) {
      const samples = Array.from({ length: n }, () => draw(rng));
      const s = computeStatistics(samples);
      if (s.ciLow !== null && s.ciHigh !== null && s.ciLow <= trueMedian && trueMedian <= s.ciHigh) covered++;
    }
    return covered / repetitions;
  }

  test('uniform(10, 20), n = 101 (exact ranks, nominal coverage 95.4 %)', () => {
    const c = coverage(101, (rng) => 10 + 10 * rng.next(), 15);
    expect(c).toBeGreaterThan(0.92);
    expect(c).toBeLessThan(0.98);
  });

  test('exponential (skewed like latencies), n = 30 (exact ranks, nominal 95.7 %)', () => {
    const c = coverage(30, (rng) => -Math.log(1 - rng.next()), Math.LN2);
    expect(c).toBeGreaterThan(0.92);
    expect(c).toBeLessThan(0.98);
  });

  test('normal(100, 10), n = 1500 (normal approximation)', () => {
    const c = coverage(1500, (rng) => rng.normal(100, 10), 100);
    expect(c).toBeGreaterThan(0.92);
    expect(c).toBeLessThan(0.98);
  });
});
