import { describe, expect, it } from 'vitest';
import { compareOutput, cosine, isClassScores, OutputQualityAccumulator, sqnrDb, topK } from '../../../../src/core/quantize/quality';
import { OutputQualitySchema } from '../../../../src/shared/domain/quantize';

describe('output quality metrics', () => {
  it('SQNR, differences and cosine of a known pair', () => {
    const x = new Float32Array([3, 4, 0, 0]);
    const y = new Float32Array([3, 4, 0.5, 0]);
    const q = compareOutput('y', { data: x, dims: [4] }, { data: y, dims: [4] });
    // ‖x‖ = 5, ‖x − y‖ = 0.5 → 20·log10(10) = 20 dB.
    expect(q.sqnrDb).toBeCloseTo(20, 10);
    expect(q.maxAbsDiff).toBe(0.5);
    expect(q.meanAbsDiff).toBeCloseTo(0.125, 10);
    expect(q.cosine).toBeCloseTo(25 / (5 * Math.sqrt(25.25)), 10);
    expect(q.top1Agreement).toBeUndefined();
    expect(q).toMatchObject({ broken: false, identical: false });
    expect(OutputQualitySchema.parse(q)).toEqual(q);
  });

  it('identical outputs: no noise, SQNR null, cosine 1', () => {
    const x = new Float32Array([1, -2, 3]);
    const q = compareOutput('y', { data: x, dims: [3] }, { data: x, dims: [3] });
    expect(q.sqnrDb).toBeNull();
    expect(q.identical).toBe(true);
    expect(q.cosine).toBe(1);
    expect(q.maxAbsDiff).toBe(0);
    expect(sqnrDb(0, 0)).toBeNull();
    expect(cosine(0, 0, 0)).toBe(1);
    expect(cosine(0, 0, 1)).toBe(0);
  });

  it('counts NaN and Inf in the transformed output, and an output with them where the original is finite is broken', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    const y = new Float32Array([1, NaN, Infinity, -Infinity]);
    const q = compareOutput('y', { data: x, dims: [4] }, { data: y, dims: [4] });
    expect(q.nanCount).toBe(1);
    expect(q.infCount).toBe(2);
    expect(q.broken).toBe(true);
    expect(q.maxAbsDiff).toBe(Infinity);
    expect(q.elements).toBe(4);
  });

  it('top-1 agreement and top-5 overlap for class scores', () => {
    // Two rows of 6 classes.
    const x = new Float32Array([0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0]);
    // Row 0: top-1 agrees (5), top-5 {5,4,3,2,1} vs {5,4,3,2,0}: 4 shared. Row 1: top-1 differs.
    const y = new Float32Array([1.5, 1, 2, 3, 4, 5, 4, 5, 3, 2, 1, 0]);
    const q = compareOutput('logits', { data: x, dims: [2, 6] }, { data: y, dims: [2, 6] });
    expect(q.top1Agreement).toBe(0.5);
    expect(q.top5Overlap).toBeCloseTo((4 / 5 + 5 / 5) / 2, 10);
    expect(q.rows).toBe(2);
  });

  it('top-5 overlap only with more than 5 classes, top-1 agreement from 2', () => {
    const five = compareOutput(
      'p',
      { data: new Float32Array([1, 2, 3, 4, 5]), dims: [1, 5] },
      { data: new Float32Array([5, 4, 3, 2, 1]), dims: [1, 5] },
    );
    expect(five.top1Agreement).toBe(0);
    expect(five.top5Overlap).toBeUndefined();
    const one = compareOutput('p', { data: new Float32Array([1]), dims: [1, 1] }, { data: new Float32Array([1]), dims: [1, 1] });
    expect(one.top1Agreement).toBeUndefined();
  });

  it('accumulates over batches', () => {
    const acc = new OutputQualityAccumulator('logits');
    acc.add({ data: new Float32Array([1, 0]), dims: [1, 2] }, { data: new Float32Array([1, 0]), dims: [1, 2] });
    acc.add({ data: new Float32Array([0, 1]), dims: [1, 2] }, { data: new Float32Array([1, 0]), dims: [1, 2] });
    const q = acc.result();
    expect(q.top1Agreement).toBe(0.5);
    // Two classes: a top-5 overlap would always be 100 %, so there is none.
    expect(q.top5Overlap).toBeUndefined();
    expect(q.elements).toBe(4);
    expect(q.maxAbsDiff).toBe(1);
    // Signal 2, noise 2 → 0 dB.
    expect(q.sqnrDb).toBeCloseTo(0, 10);
  });

  it('class scores are rank-2 outputs with 2..10000 classes', () => {
    expect(isClassScores([4, 10])).toBe(true);
    expect(isClassScores([1, 1000])).toBe(true);
    expect(isClassScores([1, 1])).toBe(false);
    expect(isClassScores([1, 30000])).toBe(false);
    expect(isClassScores([1, 16, 128])).toBe(false);
    expect(isClassScores([10])).toBe(false);
  });

  it('topK ignores NaN and breaks ties by position', () => {
    expect(topK([1, NaN, 3, 3, 0], 0, 5, 3)).toEqual([2, 3, 0]);
    expect(topK(new BigInt64Array([5n, 9n, 1n]), 0, 3, 1)).toEqual([1]);
  });
});
