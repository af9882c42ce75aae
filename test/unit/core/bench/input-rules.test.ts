import { describe, expect, it } from 'vitest';
import { valueInputData } from '../../../../src/core/bench/inputs';
import { assertInputsResolvable } from '../../../../src/core/bench/plan';
import { requireInputShapes } from '../../../../src/core/quantize/data';
import { createRng } from '../../../../src/shared/stats/random';
import type { ModelInfo } from '../../../../src/shared/domain/model';

const detector: Pick<ModelInfo, 'inputs' | 'dims'> = {
  inputs: [{ name: 'images', type: 'float32', shape: ['N', 3, 'H', 'W'] }],
  dims: [
    { name: 'N', value: 1, source: 'batch-default' },
    { name: 'H', value: null, source: 'unset' },
    { name: 'W', value: null, source: 'unset' },
  ],
};
const plan = (dims: Record<string, number> = {}, values = {}) => ({ dims, inputs: { seed: 0, values } });

describe('DIMS_REQUIRED: only a leading batch defaults to 1', () => {
  it('refuses a benchmark whose H and W have no value, naming each and how to set it', () => {
    expect(() => assertInputsResolvable(detector, plan(), [])).toThrow(
      expect.objectContaining({
        code: 'DIMS_REQUIRED',
        message: expect.stringMatching(/"H" \(images axis 2\), "W" \(images axis 3\).*set the size “H” and the size “W”\./),
      }),
    );
    expect(() => assertInputsResolvable(detector, plan({ H: 32, W: 32 }), [])).not.toThrow();
    // The user's own tensor for that input carries its shape.
    expect(() => assertInputsResolvable(detector, plan(), ['images'])).not.toThrow();
  });

  it('refuses an integer scalar without a value, and a value for an input the model lacks', () => {
    const flagged: Pick<ModelInfo, 'inputs' | 'dims'> = { inputs: [{ name: 'flag', type: 'int64', shape: [] }], dims: [] };
    expect(() => assertInputsResolvable(flagged, plan(), [])).toThrow(
      expect.objectContaining({ code: 'INPUT_REQUIRED', message: expect.stringContaining('the input value “flag”') }),
    );
    expect(() => assertInputsResolvable(flagged, plan({}, { flag: { kind: 'number', value: 1 } }), [])).not.toThrow();
    expect(() => assertInputsResolvable(flagged, plan({}, { nope: { kind: 'zeros' } }), [])).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID' }),
    );
  });

  it('applies to the shapes a quantization job generates', () => {
    const inputs = [{ name: 'images', type: 'float32', shape: ['N', 3, 'H', 'W'] }];
    expect(() => requireInputShapes(inputs)).toThrow(expect.objectContaining({ code: 'DIMS_REQUIRED', detail: 'H,W' }));
    expect(requireInputShapes(inputs, { H: 32, W: 32 })[0]!.shape).toEqual([1, 3, 32, 32]);
    // A sequence length is never invented either; an unnamed later axis is set as "input[axis]".
    expect(() => requireInputShapes([{ name: 'ids', type: 'int64', shape: [null, 'sequence'] }])).toThrow(
      expect.objectContaining({ code: 'DIMS_REQUIRED', detail: 'sequence' }),
    );
    expect(requireInputShapes([{ name: 'ids', type: 'int64', shape: [null, 'sequence'] }], { sequence: 64 })[0]!.shape).toEqual([1, 64]);
    expect(() => requireInputShapes([{ name: 'x', type: 'float32', shape: [null, null] }])).toThrow(
      expect.objectContaining({ code: 'DIMS_REQUIRED', message: expect.stringContaining('the size “x[1]”') }),
    );
    expect(requireInputShapes([{ name: 'x', type: 'float32', shape: [null, null] }], { 'x[1]': 5 })[0]!.shape).toEqual([1, 5]);
  });
});

describe('data for given values', () => {
  const rng = () => createRng(1);
  it('fills numbers, ones and ranges along the last axis, in the input’s type', () => {
    expect(valueInputData('int64', [], { kind: 'number', value: 16000 }, rng(), 'sr')).toEqual(BigInt64Array.from([16000n]));
    expect(Array.from(valueInputData('int64', [2, 3], { kind: 'range' }, rng(), 'p') as BigInt64Array)).toEqual([0n, 1n, 2n, 0n, 1n, 2n]);
    expect(Array.from(valueInputData('float32', [3], { kind: 'ones' }, rng(), 'm') as Float32Array)).toEqual([1, 1, 1]);
    expect(Array.from(valueInputData('float32', [2], { kind: 'zeros' }, rng(), 's') as Float32Array)).toEqual([0, 0]);
    const uniform = valueInputData('int32', [200], { kind: 'uniform', low: 2, high: 4 }, rng(), 'u') as Int32Array;
    expect(Math.min(...uniform)).toBe(2);
    expect(Math.max(...uniform)).toBe(4);
    const floats = valueInputData('float32', [200], { kind: 'uniform', low: -1, high: 1 }, rng(), 'f') as Float32Array;
    expect(floats.every((v) => v >= -1 && v <= 1)).toBe(true);
  });
});
