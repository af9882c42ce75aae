import { describe, expect, it } from 'vitest';
import { Histogram, MAX_HISTOGRAM_BINS, MinMaxCollector, MovingAverageMinMaxCollector } from '../../../../src/core/quantize/histogram';

function normals(n: number, seed: number): Float32Array {
  // Deterministic Box–Muller over a small LCG: enough for shape tests.
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

describe('MinMaxCollector', () => {
  it('keeps the global range over batches and ignores NaN/Inf', () => {
    const c = new MinMaxCollector();
    c.add([1, 2, 3]);
    c.add([-4, NaN, Infinity, 0.5]);
    expect(c.range()).toEqual({ min: -4, max: 3 });
  });
  it('an empty collector gives 0..0', () => {
    expect(new MinMaxCollector().range()).toEqual({ min: 0, max: 0 });
  });
});

describe('Histogram', () => {
  it('grows by whole bins of the first width and keeps earlier counts', () => {
    const h = new Histogram(4, false);
    h.add([-1, -0.4, 0.1, 1]); // limit 1, step 0.5: bins [-1,-.5) [-.5,0) [0,.5) [.5,1]
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 1]);
    h.add([1.6]); // needs two more bins on each side: limit 2
    expect(h.limit).toBe(2);
    expect(h.step).toBe(0.5);
    expect(Array.from(h.counts)).toEqual([0, 0, 1, 1, 1, 1, 0, 1]);
    expect(h.total).toBe(5);
  });

  it('values seen while everything was zero land in the zero bin', () => {
    const h = new Histogram(4, true);
    h.add([0, 0, 0]);
    h.add([2]);
    expect(Array.from(h.counts)).toEqual([3, 0, 0, 1]);
  });

  it('symmetric percentile: ± the magnitude below which the share lies', () => {
    const h = new Histogram(100, true);
    h.add(Float32Array.from({ length: 1000 }, (_, i) => ((i % 2 ? 1 : -1) * (i + 1)) / 100));
    const r = h.percentileRange(90);
    // Bins of 0.1: the 900th of 1000 magnitudes (0.01..10) falls in [9.0, 9.1); its lower edge is
    // the threshold, as numpy's searchsorted over the CDF gives in ORT.
    expect(r.max).toBeCloseTo(9, 5);
    expect(r.min).toBe(-r.max);
  });

  it('percentile on values cuts both tails', () => {
    const h = new Histogram(200, false);
    h.add(Float32Array.from({ length: 2001 }, (_, i) => i / 100 - 10));
    const r = h.percentileRange(90);
    expect(r.min).toBeCloseTo(-9, 0);
    expect(r.max).toBeCloseTo(9, 0);
  });

  it('entropy with 128 bins and 128 quantized bins degenerates to MinMax', () => {
    const h = new Histogram(128, false);
    const data = normals(20000, 7);
    h.add(data);
    const minmax = new MinMaxCollector();
    minmax.add(data);
    expect(h.entropyRange(128)).toEqual(minmax.range());
  });

  it('entropy with 2048 bins clips rare outliers', () => {
    const h = new Histogram(2048, false);
    const data = normals(50000, 11);
    data[0] = 40; // one far outlier
    h.add(data);
    const r = h.entropyRange(128);
    expect(r.max).toBeLessThan(10);
    expect(r.max).toBeGreaterThan(2);
    expect(r.min).toBeLessThan(-2);
  });
});

describe('Histogram growth is bounded', () => {
  it.each([false, true])('a value far past the range widens the bins instead of allocating without end (magnitudes: %s)', (magnitudes) => {
    const h = new Histogram(2048, magnitudes);
    h.add(normals(10000, 3));
    // 1e30 after values near 1 would need ~1e33 bins of the first width ("Invalid typed array length").
    h.add([1e30, -2e29, 0.5]);
    expect(h.counts.length).toBeLessThanOrEqual(MAX_HISTOGRAM_BINS);
    expect(h.total).toBe(10003);
    expect(h.limit).toBeGreaterThanOrEqual(1e30);
    expect(h.limit).toBeCloseTo((h.counts.length / (magnitudes ? 1 : 2)) * h.step, -20);
    // Zero stays on a bin edge (values) or at the origin (magnitudes): the bin after it starts at 0.
    const zeroBin = magnitudes ? 0 : h.counts.length / 2;
    expect(h.edge(zeroBin)).toBeCloseTo(0, -20);
    // The bin holding 1e30 is the last; the first batch lands in the bins around zero.
    expect(h.counts[h.counts.length - 1]).toBe(1);
    expect(h.percentileRange(50).max).toBeLessThan(1e30);
  });

  it('merges whole bins: counts keep their side of zero', () => {
    const h = new Histogram(128, false);
    h.add(Float32Array.from({ length: 64 }, (_, i) => ((i < 32 ? -1 : 1) * (1 + (i % 32))) / 32));
    h.add([1e9]);
    const zero = h.counts.length / 2;
    const below = Array.from(h.counts.subarray(0, zero)).reduce((a, b) => a + b, 0);
    expect(below).toBe(32);
    expect(h.total).toBe(65);
  });
});

describe('MovingAverageMinMaxCollector (ORT CalibMovingAverage, one pass)', () => {
  it("averages the batches' own minima and maxima, skipping values and batches with nothing finite", () => {
    const collector = new MovingAverageMinMaxCollector();
    collector.add([-1, 0.5, 2]);
    collector.add([-3, 4, Number.NaN]);
    collector.add([Number.NaN, Number.POSITIVE_INFINITY]);
    expect(collector.range()).toEqual({ min: -2, max: 3 });
    const extremes = new MinMaxCollector();
    for (const batch of [
      [-1, 0.5, 2],
      [-3, 4],
    ])
      extremes.add(batch);
    expect(extremes.range()).toEqual({ min: -3, max: 4 });
    expect(new MovingAverageMinMaxCollector().range()).toEqual({ min: 0, max: 0 });
  });
});
