import { describe, expect, test } from 'vitest';
import { createRng, THERMAL_TREND_WARN_RATIO, trendRatio } from '../../../../src/shared/stats';

describe('trendRatio', () => {
  test('by hand: quarters of 1..8 are [1, 2] and [7, 8]', () => {
    expect(trendRatio([1, 2, 3, 4, 5, 6, 7, 8])).toBe(7.5 / 1.5);
    // 10 samples: quarter = 2, the middle 6 are ignored.
    expect(trendRatio([2, 2, 9, 9, 9, 9, 9, 9, 3, 3])).toBe(1.5);
  });

  test('order matters: it measures drift over time', () => {
    const rising = Array.from({ length: 40 }, (_, i) => 10 + i);
    expect(trendRatio(rising)!).toBeGreaterThan(1);
    expect(trendRatio([...rising].reverse())!).toBeLessThan(1);
  });

  test('steady noise ≈ 1, a throttled run crosses the warning threshold', () => {
    const rng = createRng(41);
    const steady = Array.from({ length: 400 }, () => rng.normal(20, 0.5));
    expect(Math.abs(trendRatio(steady)! - 1)).toBeLessThan(0.01);
    expect(trendRatio(steady)!).toBeLessThan(THERMAL_TREND_WARN_RATIO);
    // Clock drops by 10 % halfway through: latency up 10 % in the second half.
    const throttled = Array.from({ length: 400 }, (_, i) => rng.normal(i < 200 ? 20 : 22, 0.5));
    expect(trendRatio(throttled)!).toBeGreaterThan(THERMAL_TREND_WARN_RATIO);
    expect(Math.abs(trendRatio(throttled)! - 1.1)).toBeLessThan(0.02);
  });

  test('null where a ratio says nothing', () => {
    expect(trendRatio([1, 2, 3, 4, 5, 6, 7])).toBeNull();
    expect(trendRatio([0, 0, 1, 1, 1, 1, 1, 1])).toBeNull();
  });
});
