/** Every element counts: NaN/Inf, an all-zero original and identical outputs each read as what they are. */
import { describe, expect, it } from 'vitest';
import { compareOutput, OutputQualityAccumulator } from '../../../../src/core/quantize/quality';
import { OutputQualitySchema } from '../../../../src/shared/domain/quantize';

const flat = (values: number[]) => ({ data: Float32Array.from(values), dims: [values.length] });

describe('output quality with non-finite values', () => {
  it('NaN/Inf where the original is finite: broken, infinite |Δ|, no SQNR, cosine far from a match', () => {
    // 1844 NaN and 12 Inf out of 1856, as an fp16 variant overflowing gives them.
    const n = 1856;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1) + 0.1);
    const y = Float32Array.from(x, (v, i) => (i < 1844 ? NaN : i < 1856 ? Infinity : v));
    const q = compareOutput('boxes', { data: x, dims: [n] }, { data: y, dims: [n] });
    expect(q).toMatchObject({ broken: true, identical: false, nanCount: 1844, infCount: 12, sqnrDb: null });
    expect(q.maxAbsDiff).toBe(Infinity);
    expect(q.meanAbsDiff).toBe(Infinity);
    // Every element is taken as the original's value negated.
    expect(q.cosine).toBeCloseTo(-1, 10);
  });

  it('a few NaN among matching values still keep cosine below 1', () => {
    const q = compareOutput('y', flat([1, 2, 3, 4]), flat([1, 2, 3, NaN]));
    expect(q.broken).toBe(true);
    // dot 1+4+9−16 = −2 over ‖x‖² = 30 on both sides.
    expect(q.cosine).toBeCloseTo(-2 / 30, 10);
  });

  it('NaN where the original is 0 counts as an error as large as the original’s root mean square', () => {
    const q = compareOutput('y', flat([3, 4, 0]), flat([3, 4, NaN]));
    expect(q.broken).toBe(true);
    // Signal 25 over 3 finite elements: the NaN adds 25/3 to the variant's energy, nothing to the dot.
    expect(q.cosine).toBeCloseTo(25 / Math.sqrt(25 * (25 + 25 / 3)), 10);
    expect(q.cosine).toBeLessThan(1);
    // An all-zero original with a broken variant agrees with nothing.
    expect(compareOutput('z', flat([0, 0]), flat([0, NaN])).cosine).toBe(0);
  });

  it('the same NaN or infinity on both sides is equal, not broken', () => {
    const x = flat([1, NaN, Infinity, -Infinity]);
    const q = compareOutput('y', x, flat([1, NaN, Infinity, -Infinity]));
    expect(q).toMatchObject({ broken: false, identical: true, sqnrDb: null, cosine: 1, maxAbsDiff: 0, meanAbsDiff: 0 });
    expect(q.nanCount).toBe(1);
    expect(q.infCount).toBe(2);
    // A different non-finite value is not the same: +Inf against −Inf, NaN against Inf.
    expect(compareOutput('y', flat([1, Infinity]), flat([1, -Infinity])).broken).toBe(true);
    expect(compareOutput('y', flat([1, Infinity]), flat([1, NaN])).broken).toBe(true);
  });

  it('a finite variant value where the original is non-finite is an infinite difference, not a broken output', () => {
    const q = compareOutput('y', flat([1, 2, Infinity]), flat([1, 2, 65504]));
    expect(q).toMatchObject({ broken: false, identical: false, maxAbsDiff: Infinity });
    expect(q.cosine).toBe(1);
  });

  it('identical outputs read as identical', () => {
    const q = compareOutput('y', flat([0.5, -2, 3]), flat([0.5, -2, 3]));
    expect(q).toMatchObject({ identical: true, broken: false, sqnrDb: null, cosine: 1, maxAbsDiff: 0 });
    expect(q.zeroReference).toBeUndefined();
  });

  it('an all-zero original is said so: no SQNR, and not identical when the variant differs', () => {
    const q = compareOutput('mask', flat([0, 0, 0, 0]), flat([0, 1e-3, 0, 0]));
    expect(q).toMatchObject({ zeroReference: true, identical: false, broken: false, sqnrDb: null, cosine: 0 });
    expect(q.maxAbsDiff).toBeCloseTo(1e-3, 8);
    const same = compareOutput('mask', flat([0, 0]), flat([0, 0]));
    expect(same).toMatchObject({ identical: true, zeroReference: true, cosine: 1 });
  });

  it('a broken batch among good ones breaks the whole output', () => {
    const acc = new OutputQualityAccumulator('y');
    acc.add(flat([1, 2]), flat([1, 2]));
    acc.add(flat([3, 4]), flat([3, Infinity]));
    const q = acc.result();
    expect(q).toMatchObject({ broken: true, elements: 4, infCount: 1, identical: false });
  });

  it('infinite differences survive JSON, which writes them as null', () => {
    const q = compareOutput('y', flat([1, 2]), flat([1, NaN]));
    const back = OutputQualitySchema.parse(JSON.parse(JSON.stringify(q)));
    expect(back.maxAbsDiff).toBe(Infinity);
    expect(back.meanAbsDiff).toBe(Infinity);
    expect(OutputQualitySchema.parse(q).maxAbsDiff).toBe(Infinity);
    expect(OutputQualitySchema.safeParse({ ...q, maxAbsDiff: -Infinity }).success).toBe(false);
  });

  it('reports stored before the flags existed still parse', () => {
    const old = { name: 'y', elements: 4, maxAbsDiff: 0.1, meanAbsDiff: 0.01, sqnrDb: 40, cosine: 0.9999, nanCount: 0, infCount: 0 };
    expect(OutputQualitySchema.parse(old)).toEqual(old);
  });
});
