import { describe, expect, test } from 'vitest';
import { createRng } from '../../../../src/shared/stats';

describe('createRng', () => {
  test('matches the reference xoshiro128** (C, Blackman & Vigna) under the same seeding', () => {
    // Produced by the reference C next() with s[i] = splitmix32-style hash of seed + (i+1)·0x9e3779b9.
    const expected: Record<number, number[]> = {
      42: [660444221, 3652823732, 77672526, 910233633, 2297337756, 3786072677],
      0: [1789933344, 44971166, 2521387044, 3848737593, 1138324114, 749234105],
      [-1]: [4104197751, 1825856343, 1152209388, 2427537429, 3685145430, 609215610],
    };
    for (const [seed, values] of Object.entries(expected)) {
      const rng = createRng(Number(seed));
      expect(values.map(() => rng.nextUint32())).toEqual(values);
    }
  });

  test('the same seed gives the same stream, another seed another one', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(seqA);
  });

  test('next() is uniform in [0, 1)', () => {
    const rng = createRng(1);
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      buckets[Math.floor(u * 10)]! += 1;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    // 10 000 expected per bucket, sd 95: ±500 is > 5 sd.
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(500);
  });

  test('nextInt covers [lo, hi) uniformly and never hi', () => {
    const rng = createRng(2);
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const k = rng.nextInt(-3, 3);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2]);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    const full = rng.nextInt(0, 2 ** 32);
    expect(Number.isInteger(full) && full >= 0 && full < 2 ** 32).toBe(true);
    expect(createRng(3).nextInt(5, 6)).toBe(5);
  });

  test('nextInt rejects empty, fractional and oversized ranges', () => {
    const rng = createRng(4);
    expect(() => rng.nextInt(3, 3)).toThrow(RangeError);
    expect(() => rng.nextInt(0, 1.5)).toThrow(RangeError);
    expect(() => rng.nextInt(0, 2 ** 32 + 1)).toThrow(RangeError);
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });

  test('normal() has the asked mean and standard deviation', () => {
    const rng = createRng(5);
    const n = 100_000;
    const xs = Array.from({ length: n }, () => rng.normal(100, 10));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean - 100)).toBeLessThan(0.15); // se 0.032
    expect(Math.abs(sd - 10)).toBeLessThan(0.1); // se 0.022
    // Tails: about 4.55 % beyond 2 sd.
    const beyond2 = xs.filter((x) => Math.abs(x - 100) > 20).length / n;
    expect(beyond2).toBeGreaterThan(0.042);
    expect(beyond2).toBeLessThan(0.049);
  });
});
