import { describe, expect, test } from 'vitest';
import { InferscopeError } from '../../../../src/shared/errors';
import { median, percentile, quantileSorted } from '../../../../src/shared/stats';

// Expected values are numpy.percentile(x, p) (method 'linear'), derived by hand:
// h = (n − 1)·p/100, value = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) on the sorted samples.
describe('percentile (numpy linear)', () => {
  test('1..10', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(x, 25)).toBeCloseTo(3.25, 12); // h = 2.25 → 3 + 0.25
    expect(percentile(x, 50)).toBeCloseTo(5.5, 12); // h = 4.5
    expect(percentile(x, 75)).toBeCloseTo(7.75, 12); // h = 6.75
    expect(percentile(x, 90)).toBeCloseTo(9.1, 12); // h = 8.1
    expect(percentile(x, 95)).toBeCloseTo(9.55, 12); // h = 8.55
    expect(percentile(x, 99)).toBeCloseTo(9.91, 12); // h = 8.91
  });

  test('five uneven values', () => {
    const x = [50, 15, 40, 20, 35]; // sorted 15 20 35 40 50
    expect(percentile(x, 0)).toBe(15);
    expect(percentile(x, 40)).toBeCloseTo(29, 12); // h = 1.6 → 20 + 0.6·15
    expect(percentile(x, 50)).toBe(35);
    expect(percentile(x, 90)).toBeCloseTo(46, 12); // h = 3.6 → 40 + 0.6·10
    expect(percentile(x, 99)).toBeCloseTo(49.6, 12); // h = 3.96
    expect(percentile(x, 100)).toBe(50);
  });

  test('seven unsorted decimals', () => {
    const x = [3.2, 1.5, 7.9, 4.4, 2.0, 9.1, 5.5]; // sorted 1.5 2.0 3.2 4.4 5.5 7.9 9.1
    expect(percentile(x, 25)).toBeCloseTo(2.6, 12); // h = 1.5 → 2.0 + 0.5·1.2
    expect(percentile(x, 75)).toBeCloseTo(6.7, 12); // h = 4.5 → 5.5 + 0.5·2.4
    expect(percentile(x, 90)).toBeCloseTo(8.38, 12); // h = 5.4 → 7.9 + 0.4·1.2
    expect(percentile(x, 95)).toBeCloseTo(8.74, 12); // h = 5.7
    expect(percentile(x, 99)).toBeCloseTo(9.028, 12); // h = 5.94
  });

  test('median of even and odd counts; one sample; equal neighbours stay exact', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([4, 1, 3])).toBe(3);
    expect(median([0.7])).toBe(0.7);
    expect(quantileSorted([0.1, 0.1, 0.1], 0.37)).toBe(0.1);
  });

  test('rejects no samples and p outside [0, 1]', () => {
    expect(() => median([])).toThrow(InferscopeError);
    expect(() => quantileSorted([1, 2], 1.01)).toThrow(RangeError);
    expect(() => quantileSorted([1, 2], Number.NaN)).toThrow(RangeError);
  });
});
