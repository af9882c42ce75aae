/**
 * What a conversion is told before Python starts: the inputs' example sizes and the second set at
 * other sizes, the opset rule, the refusals of missing shapes; and the check's figures and verdict.
 */
import { describe, expect, it } from 'vitest';
import { checkInputs, chooseOpset, exampleSize, ORT_MAX_OPSET, otherSize, sampleShapes } from '../../../../src/core/convert/inputs';
import { agreementOf, conversionCheck, describeAgreement, mergeAgreements, NOT_FINITE_DIFF } from '../../../../src/shared/convert/check';
import { CONVERT_TOLERANCE, type InputSpec } from '../../../../src/shared/domain/convert';

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? 'thrown';
  }
};

describe('the inputs a conversion runs on', () => {
  it('feeds named dims their example size: given, else 8 for a sequence-like name, else 1', () => {
    expect(exampleSize('batch', {})).toBe(1);
    expect(exampleSize('sequence', {})).toBe(8);
    expect(exampleSize('num_tokens', {})).toBe(8);
    expect(exampleSize('sequence', { sequence: 32 })).toBe(32);
    expect(exampleSize('height', {})).toBe(1);
  });

  it('adds a second set at other sizes only when some dim is named', () => {
    expect(sampleShapes([{ name: 'x', shape: [1, 3, 8, 8], dtype: 'float32' }], {})).toEqual([[[1, 3, 8, 8]]]);
    const shapes = sampleShapes(
      [
        { name: 'ids', shape: ['batch', 'sequence'], dtype: 'int64' },
        { name: 'mask', shape: ['batch', 'sequence'], dtype: 'int64' },
      ],
      { sequence: 16 },
    );
    expect(shapes).toEqual([
      [
        [1, 16],
        [1, 16],
      ],
      [
        [2, 8],
        [2, 8],
      ],
    ]);
    expect([1, 2, 3, 8, 9].map(otherSize)).toEqual([2, 3, 2, 4, 5]);
  });

  it('refuses inputs without shapes, naming what the file declares', () => {
    expect(codeOf(() => checkInputs([], [{ name: 'image', shape: [], dtype: 'float32' }]))).toBe('CONVERT_SHAPES_REQUIRED');
    expect(() => checkInputs([], [{ name: 'image', shape: [], dtype: 'float32' }])).toThrow('The file names it: image.');
    expect(() => checkInputs([{ name: 'image', shape: [], dtype: 'float32' }], [])).toThrow('The input image has no shape');
    const twice: InputSpec = { name: 'x', shape: [1], dtype: 'float32' };
    expect(() => checkInputs([twice, twice], [])).toThrow('The input x is given twice.');
    expect(codeOf(() => checkInputs([twice], []))).toBeNull();
  });

  it('exports the newest opset both the exporter and this onnxruntime support, or the one asked for within both', () => {
    expect(chooseOpset(17, 17, undefined, 'torch')).toBe(17);
    expect(chooseOpset(40, 17, undefined, 'a future torch')).toBe(ORT_MAX_OPSET);
    expect(chooseOpset(null, 15, undefined, 'tf2onnx')).toBe(15);
    expect(chooseOpset(17, 17, 13, 'torch')).toBe(13);
    expect(() => chooseOpset(17, 17, 18, "torch 1.13's exporter")).toThrow(
      "Opset 18 is newer than torch 1.13's exporter writes (up to 17).",
    );
    expect(codeOf(() => chooseOpset(40, 17, 28, 'torch'))).toBe('BAD_REQUEST');
  });
});

describe("the check's figures", () => {
  it('measures max |Δ|, max |original| and cosine, and judges them against the tolerance', () => {
    const same = agreementOf('y', [3], [1, 2, 3], [1, 2, 3]);
    expect(same).toEqual({ name: 'y', shape: [3], maxAbsDiff: 0, maxAbsOriginal: 3, cosine: 1, ok: true });
    // Within abs + rel × max|original| = 1e-4 + 1e-3 × 1000.
    expect(agreementOf('y', [2], [1000, 0], [1000.5, 0]).ok).toBe(true);
    expect(agreementOf('y', [2], [1000, 0], [1002, 0]).ok).toBe(false);
    const flipped = agreementOf('y', [2], [1, 0], [0, 1]);
    expect(flipped).toMatchObject({ cosine: 0, ok: false });
    expect(agreementOf('z', [2], [0, 0], [0, 0]).cosine).toBe(1);
    expect(agreementOf('z', [2], [0, 0], [0, 1e-9])).toMatchObject({ cosine: 0, ok: false });
  });

  it('treats NaN or infinity against a number as the worst difference, and the same non-finite value as agreement', () => {
    expect(agreementOf('y', [2], [Number.NaN, 1], [Number.NaN, 1]).ok).toBe(true);
    expect(agreementOf('y', [2], [Infinity, 1], [Infinity, 1]).ok).toBe(true);
    expect(agreementOf('y', [2], [1, 1], [Number.NaN, 1])).toMatchObject({ maxAbsDiff: NOT_FINITE_DIFF, ok: false });
    expect(agreementOf('y', [2], [1, 1], [1])).toMatchObject({ maxAbsDiff: NOT_FINITE_DIFF, ok: false });
  });

  it('keeps the worst of every figure over the input sets, and describes what failed', () => {
    const a = agreementOf('y', [2], [1, 1], [1, 1]);
    const b = agreementOf('y', [4], [2, 0], [0, 2]);
    expect(mergeAgreements(a, b)).toMatchObject({ shape: [2], maxAbsDiff: 2, maxAbsOriginal: 2, cosine: 0, ok: false });
    const manifest = {
      seed: 1,
      samples: [0, 1].map(() => ({
        inputs: [{ name: 'x', dtype: 'float32' as const, shape: [2], file: 'x.bin' }],
        outputs: [{ name: 'y', dtype: 'float32' as const, shape: [2], file: 'y.bin' }],
      })),
    };
    const check = conversionCheck(manifest, [[a], [b]], 'onnxruntime 1.30.0 (CPU)');
    expect(check).toMatchObject({ samples: 2, maxAbsDiff: 2, minCosine: 0, passed: false, seed: 1, tolerance: CONVERT_TOLERANCE });
    expect(check.inputs).toEqual([{ name: 'x', shape: [2], dtype: 'float32' }]);
    expect(describeAgreement(check)).toBe('y: max |Δ| 2.00 (max |original| 2.00), cosine 0.000000');
    expect(conversionCheck(manifest, [[a], [a]], 'ort').passed).toBe(true);
  });
});
