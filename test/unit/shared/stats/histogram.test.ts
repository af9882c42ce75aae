import { describe, expect, test } from 'vitest';
import { createRng, histogram, HISTOGRAM_MAX_BINS, HistogramSchema } from '../../../../src/shared/stats';

function expectConsistent(samples: number[], h: { edges: number[]; counts: number[] }): void {
  expect(h.edges.length).toBe(h.counts.length + 1);
  for (let i = 1; i < h.edges.length; i++) expect(h.edges[i]!).toBeGreaterThan(h.edges[i - 1]!);
  expect(h.counts.reduce((a, b) => a + b, 0)).toBe(samples.length);
  // Recount from the edges: every sample lies in the bin that counted it.
  const recount = new Array<number>(h.counts.length).fill(0);
  let homeless = 0;
  for (const x of samples) {
    let i = h.edges.findIndex((edge, k) => k < h.counts.length && x >= edge && x < h.edges[k + 1]!);
    if (i === -1 && x === h.edges[h.edges.length - 1]) i = h.counts.length - 1;
    if (i === -1) homeless++;
    else recount[i]! += 1;
  }
  expect(homeless).toBe(0);
  expect(recount).toEqual(h.counts);
  expect(() => HistogramSchema.parse(h)).not.toThrow();
}

describe('histogram', () => {
  test('explicit bins, as numpy.histogram(range(10), bins=5)', () => {
    const samples = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const h = histogram(samples, { bins: 5 });
    expect(h.counts).toEqual([2, 2, 2, 2, 2]);
    [0, 1.8, 3.6, 5.4, 7.2, 9].forEach((edge, i) => expect(h.edges[i]).toBeCloseTo(edge, 12));
    expectConsistent(samples, h);
  });

  test('Freedman–Diaconis by default, as numpy "fd"', () => {
    // IQR = 4 − 2.25 = 1.75; width 2·1.75/∛10 ≈ 1.6246; ⌈9 / 1.6246⌉ = 6 bins of width 1.5.
    const samples = [1, 2, 2, 3, 3, 3, 4, 4, 5, 10];
    const h = histogram(samples);
    expect(h.edges).toEqual([1, 2.5, 4, 5.5, 7, 8.5, 10]);
    expect(h.counts).toEqual([3, 3, 3, 0, 0, 1]);
    expectConsistent(samples, h);
  });

  test('normal samples: FD bin count, and a far outlier cannot blow it past the cap', () => {
    const rng = createRng(51);
    const samples = Array.from({ length: 2000 }, () => rng.normal(10, 1));
    const h = histogram(samples);
    expect(h.counts.length).toBeGreaterThan(10);
    expect(h.counts.length).toBeLessThanOrEqual(HISTOGRAM_MAX_BINS);
    expectConsistent(samples, h);

    const withHiccup = [...samples, 500];
    const capped = histogram(withHiccup);
    expect(capped.counts.length).toBe(HISTOGRAM_MAX_BINS);
    expectConsistent(withHiccup, capped);
    expect(histogram(withHiccup, { maxBins: 20 }).counts.length).toBe(20);
  });

  test('zero IQR with some spread falls back to Sturges', () => {
    // n = 10: ⌈log₂ 10⌉ + 1 = 5 bins over [5, 6].
    const samples = [5, 5, 5, 5, 5, 5, 5, 5, 5, 6];
    const h = histogram(samples);
    expect(h.counts).toEqual([9, 0, 0, 0, 1]);
    expectConsistent(samples, h);
  });

  test('all-equal samples get one bin of width 1 around the value, like numpy', () => {
    expect(histogram([7, 7, 7])).toEqual({ edges: [6.5, 7.5], counts: [3] });
    expect(histogram([7, 7, 7], { bins: 2 })).toEqual({ edges: [6.5, 7, 7.5], counts: [0, 3] });
  });

  test('edge cases: no samples, one sample, bad options', () => {
    expect(histogram([])).toEqual({ edges: [], counts: [] });
    expect(histogram([0.25])).toEqual({ edges: [-0.25, 0.75], counts: [1] });
    expect(() => histogram([1, 2], { bins: 0 })).toThrow(RangeError);
    expect(() => histogram([1, 2], { bins: 2.5 })).toThrow(RangeError);
    expect(() => histogram([1, Number.NaN])).toThrow(RangeError);
  });

  test('awkward floating-point ranges keep every sample inside its bin', () => {
    const rng = createRng(52);
    const samples = Array.from({ length: 997 }, () => 0.1 + rng.next() * 0.3);
    samples.push(0.1, 0.4, 0.30000000000000004);
    for (const bins of [3, 7, 13, 60]) expectConsistent(samples, histogram(samples, { bins }));
  });
});
