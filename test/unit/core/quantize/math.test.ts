import { describe, expect, it } from 'vitest';
import {
  computeScaleZeroPoint,
  convertToFloat16,
  dequantizeBlockwise4,
  float32ToFloat16Bits,
  float32ToFloat16Clamped,
  fullRange,
  quantizeArray,
  quantizeArrayPerChannel,
  quantizeBlockwise4,
  quantizeValue,
  quantRange,
  roundHalfAwayFromZero,
  roundHalfEven,
  type QuantType,
} from '../../../../src/core/quantize/math';

function float32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0] as number;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

describe('qmin/qmax table (docs/quantization.md#quantization-arithmetic)', () => {
  const rows: [QuantType, [number, number], [number, number], [number, number]][] = [
    ['uint8', [0, 255], [0, 255], [0, 127]],
    ['int8', [-128, 127], [-127, 127], [-64, 64]],
    ['uint16', [0, 65535], [0, 65535], [0, 32767]],
    ['int16', [-32768, 32767], [-32767, 32767], [-16384, 16384]],
    ['uint4', [0, 15], [0, 15], [0, 7]],
    ['int4', [-8, 7], [-8, 7], [-4, 3]],
  ];
  it.each(rows)('%s', (type, full, symmetric, reduced) => {
    expect(quantRange(type)).toEqual({ qmin: full[0], qmax: full[1] });
    expect(quantRange(type, { symmetric: true })).toEqual({ qmin: symmetric[0], qmax: symmetric[1] });
    expect(quantRange(type, { reduceRange: true })).toEqual({ qmin: reduced[0], qmax: reduced[1] });
    // reduce_range wins over symmetric.
    expect(quantRange(type, { reduceRange: true, symmetric: true })).toEqual({ qmin: reduced[0], qmax: reduced[1] });
    expect(fullRange(type)).toEqual({ qmin: full[0], qmax: full[1] });
  });
});

describe('computeScaleZeroPoint vectors A–H', () => {
  const cases: [string, number, number, QuantType, boolean, boolean, number | undefined, number, number][] = [
    // name, rmin, rmax, type, symmetric, reduceRange, expected float32 bits (if given), scale, zp
    ['A uint8 asym', -1, 2, 'uint8', false, false, 0x3c40c0c1, 0.011764706, 85],
    ['B int8 asym', -1, 2, 'int8', false, false, 0x3c40c0c1, 0.011764706, -43],
    ['C int8 sym', -1, 2, 'int8', true, false, 0x3c810204, 0.015748031, 0],
    ['D uint8 sym', -1, 2, 'uint8', true, false, 0x3c808081, 0.015686275, 128],
    ['E int8 sym reduce', -1, 2, 'int8', true, true, float32Bits(0.03125), 0.03125, 0],
    ['F uint8 asym reduce', -1, 2, 'uint8', false, true, 0x3cc18306, 0.023622047, 42],
    ['G rmin=rmax=0', 0, 0, 'uint8', false, false, float32Bits(1), 1, 0],
    ['H 0.5..3 uint8 asym', 0.5, 3, 'uint8', false, false, 0x3c40c0c1, 0.011764706, 0],
  ];
  it.each(cases)('%s', (_name, rmin, rmax, type, symmetric, reduceRange, bits, scale, zp) => {
    const range = quantRange(type, { symmetric, reduceRange });
    const result = computeScaleZeroPoint(rmin, rmax, range, { symmetric });
    expect(result.zeroPoint).toBe(zp);
    expect(result.scale).toBeCloseTo(scale, 9);
    expect(float32Bits(result.scale)).toBe(bits);
  });

  it('G also holds for int8 symmetric and for a float16 model (scale 1, zero point 0)', () => {
    expect(computeScaleZeroPoint(0, 0, quantRange('int8', { symmetric: true }), { symmetric: true })).toEqual({ scale: 1, zeroPoint: 0 });
    // 1e-3 over 255 steps is below float16's smallest normal (6.1e-5) but fine for float32.
    expect(computeScaleZeroPoint(0, 1e-3, quantRange('uint8'), { scaleType: 'float16' })).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeScaleZeroPoint(0, 1e-3, quantRange('uint8')).scale).toBeCloseTo(1e-3 / 255, 12);
  });
});

describe('rounding', () => {
  it('half to even', () => {
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(-2.5)).toBe(-2);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-3.5)).toBe(-4);
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
    expect(roundHalfEven(2.4999)).toBe(2);
    expect(roundHalfEven(-2.5001)).toBe(-3);
    // Math.round is the thing this exists to avoid.
    expect(Math.round(2.5)).toBe(3);
  });
  it('half away from zero (MLAS roundf)', () => {
    expect(roundHalfAwayFromZero(2.5)).toBe(3);
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3);
    expect(roundHalfAwayFromZero(0.5)).toBe(1);
    expect(roundHalfAwayFromZero(1.4)).toBe(1);
  });
});

describe('quantizing arrays', () => {
  it('weights [-1, -0.5, 0, 0.25, 2] with case C', () => {
    const range = quantRange('int8', { symmetric: true });
    const { scale, zeroPoint } = computeScaleZeroPoint(-1, 2, range, { symmetric: true });
    const q = [-1, -0.5, 0, 0.25, 2].map((x) => quantizeValue(x, scale, zeroPoint, fullRange('int8')));
    expect(q).toEqual([-64, -32, 0, 16, 127]);
    const whole = quantizeArray(new Float32Array([-1, -0.5, 0, 0.25, 2]), { type: 'int8', symmetric: true });
    expect(Array.from(whole.values)).toEqual([-64, -32, 0, 16, 127]);
    expect(float32Bits(whole.scale)).toBe(0x3c810204);
  });

  it('clips to the full range, not the reduced one', () => {
    // reduce_range computes the scale for −64..64 but values still clip at −128..127.
    expect(quantizeValue(10, 0.03125, 0, fullRange('int8'))).toBe(127);
    expect(quantizeValue(-10, 0.03125, 0, fullRange('int8'))).toBe(-128);
    expect(quantizeValue(300, 1, 0, fullRange('uint8'))).toBe(255);
  });

  it('ties in x/scale go to even', () => {
    // 2.5 / 1 and 3.5 / 1 are exact ties.
    expect(quantizeValue(2.5, 1, 0, fullRange('int8'))).toBe(2);
    expect(quantizeValue(3.5, 1, 0, fullRange('int8'))).toBe(4);
    expect(quantizeValue(-2.5, 1, 10, fullRange('uint8'))).toBe(8);
  });

  it('per channel along an axis', () => {
    // [2, 3]: axis 1 → three channels of two values each; axis 0 → two channels of three.
    const values = new Float32Array([-1, 0.5, 4, 2, -0.25, -8]);
    const byColumn = quantizeArrayPerChannel(values, [2, 3], 1, { type: 'int8', symmetric: true });
    expect(Array.from(byColumn.scales)).toEqual([2 / 127, 0.5 / 127, 8 / 127].map(Math.fround));
    expect(Array.from(byColumn.zeroPoints)).toEqual([0, 0, 0]);
    expect(Array.from(byColumn.values)).toEqual([-64, 127, 64, 127, -64, -127]);
    const byRow = quantizeArrayPerChannel(values, [2, 3], 0, { type: 'uint8' });
    expect(Array.from(byRow.zeroPoints)).toEqual([51, 204]);
    expect(byRow.values[0]).toBe(0);
    expect(byRow.values[2]).toBe(255);
  });
});

describe('float16 bit patterns (§6)', () => {
  it.each([
    [65504, 0x7bff],
    [0.1, 0x2e66],
    [-2, 0xc000],
    [3.14159, 0x4248],
    [5.96e-8, 0x0001],
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [6.103515625e-5, 0x0400],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
  ])('%f → %i', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('rounds to nearest even on ties', () => {
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): goes to 1 (even mantissa).
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 is halfway between odd 0x3c01 and even 0x3c02.
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // 2^-25 is the tie between 0 and the smallest subnormal: even is 0.
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000);
    expect(float32ToFloat16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(Number.isNaN(float32ToFloat16Bits(NaN))).toBe(false);
    expect(float32ToFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('clamps tiny and huge finite values (float16.py)', () => {
    expect(float32ToFloat16Clamped(1e-10)).toBe(0x0001);
    expect(float32ToFloat16Clamped(-1e-10)).toBe(0x8001);
    expect(float32ToFloat16Clamped(1e6)).toBe(0x7bff);
    expect(float32ToFloat16Clamped(-1e6)).toBe(0xfbff);
    expect(float32ToFloat16Clamped(Infinity)).toBe(0x7c00);
    expect(float32ToFloat16Clamped(0)).toBe(0);
    // Without the clamp these would be 0 and Inf.
    expect(float32ToFloat16Bits(1e-10)).toBe(0);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    const converted = convertToFloat16(new Float32Array([1e-10, 1, 1e6, -1e7]));
    expect(converted.clampedTiny).toBe(1);
    expect(converted.clampedHuge).toBe(2);
  });
});

describe('MatMulNBits 4-bit blocks (§5)', () => {
  it('symmetric: K=16, N=1, bs=16, block (i−8)·0.1', () => {
    const values = Float32Array.from({ length: 16 }, (_, i) => (i - 8) * 0.1);
    const q = quantizeBlockwise4(16, 1, (k) => values[k] as number, { blockSize: 16, symmetric: true });
    expect(q.kBlocks).toBe(1);
    expect(q.scales[0]).toBeCloseTo(0.1, 7);
    expect(hex(q.packed)).toBe('10 32 54 76 98 BA DC FE');
    expect(q.zeroPoints).toBeUndefined();
  });

  it('asymmetric: block i·0.2', () => {
    const values = Float32Array.from({ length: 16 }, (_, i) => i * 0.2);
    const q = quantizeBlockwise4(16, 1, (k) => values[k] as number, { blockSize: 16, symmetric: false });
    expect(q.scales[0]).toBeCloseTo(0.2, 7);
    expect(hex(q.packed)).toBe('10 32 54 76 98 BA DC FE');
    expect(hex(q.zeroPoints!)).toBe('80');
  });

  it('negative symmetric scale is kept, padding of K, and MLAS rounding', () => {
    // Largest magnitude is positive: scale = −m/8 is negative, q = 0 stands for +m.
    const values = [1.6, -0.2, 0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3];
    const q = quantizeBlockwise4(17, 1, (k) => values[k] as number, { blockSize: 16, symmetric: true });
    expect(q.kBlocks).toBe(2);
    expect(q.scales[0]).toBeCloseTo(-0.2, 7);
    // 1.6 → 0; −0.2 → 9; 0.05·(−5) + 8 = 7.75 → 8; zeros → 8.
    expect(q.packed[0]).toBe(0x90);
    expect(q.packed[1]).toBe(0x88);
    // Second block: 0.3 and fifteen zero paddings.
    expect(q.scales[1]).toBeCloseTo(-0.0375, 7);
    expect(q.packed[8]).toBe(0x80);
    const back = dequantizeBlockwise4(17, 1, q, 16);
    for (let k = 0; k < 17; k++) expect(Math.abs((back[k] as number) - (values[k] as number))).toBeLessThan(0.11);
  });

  it('rounds ties away from zero (not half-even)', () => {
    // scale 1 (block max 15 asym): 0.5 → roundf(0.5) = 1, 2.5 → 3.
    const values = [15, 0.5, 2.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const q = quantizeBlockwise4(16, 1, (k) => values[k] as number, { blockSize: 16, symmetric: false });
    expect(q.scales[0]).toBe(1);
    expect(q.packed[0]).toBe(0x1f);
    expect(q.packed[1]).toBe(0x03);
  });

  it('packs zero points of odd block counts with 8 in the unused nibble', () => {
    const K = 48;
    const q = quantizeBlockwise4(K, 2, (k, n) => (n === 0 ? k * 0.1 : -k * 0.1), { blockSize: 16, symmetric: false });
    expect(q.kBlocks).toBe(3);
    expect(q.zeroPoints!.length).toBe(4);
    // Column 0 is all ≥ 0 → zero points 0; its second byte holds block 2 and the pad.
    expect(q.zeroPoints![0]).toBe(0x00);
    expect(q.zeroPoints![1]).toBe(0x80);
    // Column 1 is all ≤ 0 → zero points 15.
    expect(q.zeroPoints![2]).toBe(0xff);
    expect(q.zeroPoints![3]).toBe(0x8f);
  });

  it('rejects block sizes MatMulNBits does not accept', () => {
    expect(() => quantizeBlockwise4(16, 1, () => 0, { blockSize: 24, symmetric: true })).toThrow(/power of 2/);
    expect(() => quantizeBlockwise4(16, 1, () => 0, { blockSize: 8, symmetric: true })).toThrow();
  });
});
