import { describe, expect, test } from 'vitest';
import { InferscopeError } from '../../../../src/shared/errors';
import { compareMedians, createRng, MedianComparisonSchema } from '../../../../src/shared/stats';

function latencies(seed: number, n: number, median: number, relNoise: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => median * (1 + relNoise * rng.normal()));
}

function skewedLatencies(seed: number, n: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => 10 - Math.log(1 - rng.next()));
}

describe('compareMedians', () => {
  test('identical distributions: no measurable difference for ≥ 90 % of seeds', () => {
    let noDifference = 0;
    const trials = 100;
    for (let t = 0; t < trials; t++) {
      // Half symmetric noise, half a right-skewed tail (10 ms + Exp(1)) as real latencies have.
      const a = t % 2 === 0 ? latencies(1000 + t, 50, 10, 0.05) : skewedLatencies(1000 + t, 50);
      const b = t % 2 === 0 ? latencies(5000 + t, 50, 10, 0.05) : skewedLatencies(5000 + t, 50);
      if (compareMedians(a, b, { seed: t }).verdict === 'no-measurable-difference') noDifference++;
    }
    expect(noDifference / trials).toBeGreaterThanOrEqual(0.9);
  });

  test('a 10 % shift with 200 low-noise samples is detected both ways', () => {
    const a = latencies(1, 200, 10, 0.02);
    const b = latencies(2, 200, 11, 0.02);
    const slower = compareMedians(a, b, { seed: 3 });
    expect(slower.verdict).toBe('slower');
    expect(Math.abs(slower.ratio - 1.1)).toBeLessThan(0.01);
    expect(slower.ciLow).toBeGreaterThan(1);
    expect(slower.ciLow).toBeLessThanOrEqual(slower.ratio);
    expect(slower.ciHigh).toBeGreaterThanOrEqual(slower.ratio);
    const faster = compareMedians(b, a, { seed: 3 });
    expect(faster.verdict).toBe('faster');
    expect(faster.ciHigh).toBeLessThan(1);
    expect(MedianComparisonSchema.parse(slower)).toEqual(slower);
  });

  test('a small shift buried in noise is not claimed', () => {
    const a = latencies(4, 40, 10, 0.3);
    const b = latencies(5, 40, 10.2, 0.3);
    const r = compareMedians(a, b);
    expect(r.verdict).toBe('no-measurable-difference');
    expect(r.ciLow).toBeLessThan(1);
    expect(r.ciHigh).toBeGreaterThan(1);
  });

  test('ratio is median(B) / median(A) exactly', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]; // median 6
    const b = a.map((x) => x * 1.5); // median 9
    expect(compareMedians(a, b).ratio).toBe(1.5);
  });

  test('deterministic for a seed; the default seed is fixed too', () => {
    const a = latencies(6, 60, 10, 0.1);
    const b = latencies(7, 60, 10.5, 0.1);
    expect(compareMedians(a, b, { seed: 9 })).toEqual(compareMedians(a, b, { seed: 9 }));
    expect(compareMedians(a, b)).toEqual(compareMedians(a, b));
    expect(compareMedians(a, b, { seed: 9 }).ciLow).not.toBe(compareMedians(a, b, { seed: 10 }).ciLow);
  });

  test('a higher confidence gives a wider interval', () => {
    const a = latencies(8, 80, 10, 0.1);
    const b = latencies(9, 80, 10, 0.1);
    const c95 = compareMedians(a, b, { resamples: 1000 });
    const c99 = compareMedians(a, b, { resamples: 1000, confidence: 0.99 });
    expect(c99.ciLow).toBeLessThan(c95.ciLow);
    expect(c99.ciHigh).toBeGreaterThan(c95.ciHigh);
    expect(c99.confidence).toBe(0.99);
    expect(c99.resamples).toBe(1000);
  });

  test('never claims a difference from fewer than 10 samples a side', () => {
    const r = compareMedians([1, 1.01, 0.99], [2, 2.01, 1.99]);
    expect(r.ratio).toBe(2);
    expect(r.ciLow).toBeGreaterThan(1);
    expect(r.tooFewSamples).toBe(true);
    expect(r.verdict).toBe('no-measurable-difference');
  });

  test('rejects empty sets and non-positive times', () => {
    expect(() => compareMedians([], [1])).toThrow(InferscopeError);
    expect(() => compareMedians([1], [0])).toThrow(/positive time/);
    expect(() => compareMedians([1, Number.NaN], [1])).toThrow(InferscopeError);
    expect(() => compareMedians([1], [1], { resamples: 0 })).toThrow(RangeError);
    expect(() => compareMedians([1], [1], { confidence: 95 })).toThrow(RangeError);
  });
});
