import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INT_RANGE,
  inputRng,
  randomInputData,
  resolveInputShape,
  toFloat16Bits,
  userInputData,
  zeroInputData,
} from '../../../../src/core/bench/inputs';

describe('resolveInputShape', () => {
  const rules = { batch: 8, dims: { seq: 128 }, defaultDim: 3 };
  it('puts the batch on a symbolic leading dimension, named dims by name, the default elsewhere', () => {
    expect(resolveInputShape(['N', 'seq', 'hidden', 4], rules)).toEqual([8, 128, 3, 4]);
    expect(resolveInputShape(['?', '?'], rules)).toEqual([8, 3]);
  });
  it('keeps fixed sizes, including a fixed leading one, and a leading dim the user named', () => {
    expect(resolveInputShape([1, 'seq'], rules)).toEqual([1, 128]);
    expect(resolveInputShape(['seq', 2], rules)).toEqual([128, 2]);
    expect(resolveInputShape([], rules)).toEqual([]);
  });
});

describe('toFloat16Bits', () => {
  it('encodes exact values, extremes and specials like numpy.float16', () => {
    expect(toFloat16Bits(0)).toBe(0x0000);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(NaN) & 0x03ff).not.toBe(0);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(6.103515625e-5)).toBe(0x0400); // smallest normal
    expect(toFloat16Bits(1e-7)).toBe(0x0002);
    expect(toFloat16Bits(1e-9)).toBe(0x0000);
  });
  it('rounds to nearest even', () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });
});

describe('randomInputData', () => {
  it('gives the same data for the same seed and input, different data otherwise', () => {
    const a = randomInputData('float32', [4, 8], inputRng(7, 'x'));
    expect(randomInputData('float32', [4, 8], inputRng(7, 'x'))).toEqual(a);
    expect(randomInputData('float32', [4, 8], inputRng(8, 'x'))).not.toEqual(a);
    expect(randomInputData('float32', [4, 8], inputRng(7, 'y'))).not.toEqual(a);
  });
  it('draws normal floats, small non-negative integers and booleans of the right array type', () => {
    const floats = randomInputData('float32', [10_000], inputRng(1, 'f')) as Float32Array;
    const mean = floats.reduce((a, b) => a + b, 0) / floats.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    const ids = randomInputData('int64', [1000], inputRng(1, 'ids')) as BigInt64Array;
    expect(ids).toBeInstanceOf(BigInt64Array);
    expect(ids.every((v) => v >= 0n && v <= BigInt(DEFAULT_INT_RANGE.max))).toBe(true);
    expect(new Set(ids).size).toBeGreaterThan(50);
    const ranged = randomInputData('int32', [500], inputRng(1, 'r'), { min: -3, max: 3 }) as Int32Array;
    expect(new Set(ranged)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    const unsigned = randomInputData('uint8', [500], inputRng(1, 'u'), { min: -3, max: 3 }) as Uint8Array;
    expect(new Set(unsigned)).toEqual(new Set([0, 1, 2, 3]));
    const mask = randomInputData('bool', [1000], inputRng(1, 'm')) as Uint8Array;
    expect(new Set(mask)).toEqual(new Set([0, 1]));
    expect(randomInputData('float16', [3], inputRng(1, 'h'))).toBeInstanceOf(Uint16Array);
    expect(randomInputData('string', [2], inputRng(1, 's'))).toHaveLength(2);
  });
  it('refuses types it cannot generate', () => {
    expect(() => randomInputData('complex64', [1], inputRng(1, 'c'))).toThrow(/complex64/);
  });
});

describe('userInputData and zeroInputData', () => {
  it('reinterprets raw little-endian bytes, also from an unaligned view', () => {
    const values = new Float32Array([1.5, -2, 3.25]);
    const padded = new Uint8Array(13);
    padded.set(new Uint8Array(values.buffer), 1);
    const view = padded.subarray(1);
    expect(Array.from(userInputData('float32', [3], view, 'x') as Float32Array)).toEqual([1.5, -2, 3.25]);
    const ids = new BigInt64Array([5n, 9n]);
    expect(userInputData('int64', [2], new Uint8Array(ids.buffer), 'ids')).toEqual(ids);
  });
  it('refuses data whose size does not match the dims', () => {
    expect(() => userInputData('float32', [2, 2], new Uint8Array(12), 'x')).toThrow(/12 bytes given, 16 expected/);
  });
  it('builds zeros of every raw type', () => {
    expect(Array.from(zeroInputData('float16', [2, 2], 'h') as Uint16Array)).toEqual([0, 0, 0, 0]);
    expect(zeroInputData('int64', [3], 'i')).toEqual(new BigInt64Array(3));
    expect(zeroInputData('string', [2], 's')).toEqual(['', '']);
  });
});
