/**
 * The arithmetic of quantization, bit for bit what ONNX Runtime's Python tooling and MLAS
 * compute (docs/quantization.md#quantization-arithmetic): integer ranges, scale/zero point, half-to-even
 * rounding, per-tensor and per-channel quantization, float32→float16 bit patterns, and the
 * 4-bit block layout of MatMulNBits.
 */
import { InferscopeError } from '../../shared/errors';

export type QuantType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int4' | 'uint4';

export interface QRange {
  qmin: number;
  qmax: number;
}

const FULL: Record<QuantType, QRange> = {
  uint8: { qmin: 0, qmax: 255 },
  int8: { qmin: -128, qmax: 127 },
  uint16: { qmin: 0, qmax: 65535 },
  int16: { qmin: -32768, qmax: 32767 },
  uint4: { qmin: 0, qmax: 15 },
  int4: { qmin: -8, qmax: 7 },
};

/** Signed types drop their most negative value so that zero sits in the middle. int4 has no such row. */
const SYMMETRIC: Partial<Record<QuantType, QRange>> = {
  int8: { qmin: -127, qmax: 127 },
  int16: { qmin: -32767, qmax: 32767 },
};

/** reduce_range keeps one bit free so u8×s8 products cannot saturate AVX2's 16-bit accumulators. */
const REDUCED: Record<QuantType, QRange> = {
  uint8: { qmin: 0, qmax: 127 },
  int8: { qmin: -64, qmax: 64 },
  uint16: { qmin: 0, qmax: 32767 },
  int16: { qmin: -16384, qmax: 16384 },
  uint4: { qmin: 0, qmax: 7 },
  int4: { qmin: -4, qmax: 3 },
};

export function isSignedQuantType(type: QuantType): boolean {
  return type === 'int8' || type === 'int16' || type === 'int4';
}

/** Everything the type can hold: what quantized values are clipped to. */
export function fullRange(type: QuantType): QRange {
  return FULL[type];
}

/** The range the scale is computed for: REDUCED if reduceRange, else SYMMETRIC for signed symmetric, else FULL. */
export function quantRange(type: QuantType, options: { reduceRange?: boolean; symmetric?: boolean } = {}): QRange {
  if (options.reduceRange) return REDUCED[type];
  if (options.symmetric) return SYMMETRIC[type] ?? FULL[type];
  return FULL[type];
}

/** Smallest positive normal numbers; a scale below it is treated as "no range" (scale 1, zero point 0). */
export const FLOAT32_SMALLEST_NORMAL = 1.1754943508222875e-38;
export const FLOAT16_SMALLEST_NORMAL = 6.103515625e-5;

/** Ties go to the even neighbour (numpy.round and the QuantizeLinear spec); Math.round would send 2.5 to 3. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** C's roundf: ties away from zero. MLAS uses it for 4-bit blocks. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

export interface ScaleZeroPoint {
  /** Already rounded to float32 (what is stored). */
  scale: number;
  zeroPoint: number;
}

export interface ScaleOptions {
  symmetric?: boolean;
  /** The float type of the model the scale is for; a float16 scale has a much larger smallest normal. */
  scaleType?: 'float32' | 'float16';
}

/**
 * Scale and zero point for values in [rmin, rmax] mapped onto [qmin, qmax]. The range is
 * widened to include 0 (so zero is exact), the arithmetic is float32 for the range and float64
 * for the division, and the scale is stored as float32 — as numpy does in compute_scale_zp.
 */
export function computeScaleZeroPoint(rmin: number, rmax: number, range: QRange, options: ScaleOptions = {}): ScaleZeroPoint {
  const { qmin, qmax } = range;
  if (qmin > 0 || qmax < 0 || qmin > qmax) {
    throw new InferscopeError('INTERNAL', `Quantized range [${qmin}, ${qmax}] must contain 0.`);
  }
  let low = Math.min(Math.fround(rmin), 0);
  let high = Math.max(Math.fround(rmax), 0);
  if (options.symmetric) {
    const absMax = Math.max(Math.abs(low), Math.abs(high));
    low = -absMax;
    high = absMax;
  }
  const scale = Math.fround(high - low) / (qmax - qmin);
  const smallest = options.scaleType === 'float16' ? FLOAT16_SMALLEST_NORMAL : FLOAT32_SMALLEST_NORMAL;
  if (!(scale >= smallest)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = options.symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - low / scale);
  return { scale: Math.fround(scale), zeroPoint };
}

/** min and max of the values (0, 0 for none); NaN is ignored. */
export function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** One element: clip(roundHalfEven(float32(x / scale)) + zeroPoint) to everything the type holds. */
export function quantizeValue(x: number, scale: number, zeroPoint: number, clip: QRange): number {
  const q = roundHalfEven(Math.fround(Math.fround(x) / scale)) + zeroPoint;
  if (Number.isNaN(q)) return zeroPoint;
  return Math.min(clip.qmax, Math.max(clip.qmin, q));
}

export type QuantizedArray = Int8Array | Uint8Array | Int16Array | Uint16Array;

function allocate(type: QuantType, count: number): QuantizedArray | Int8Array {
  switch (type) {
    case 'int8':
    case 'int4':
      return new Int8Array(count);
    case 'uint8':
    case 'uint4':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'uint16':
      return new Uint16Array(count);
  }
}

export interface QuantizeArrayOptions extends ScaleOptions {
  type: QuantType;
  reduceRange?: boolean;
}

export interface QuantizedTensor {
  /** One value per element; 4-bit types come back unpacked, one value per array slot. */
  values: QuantizedArray;
  scale: number;
  zeroPoint: number;
}

/** Per-tensor quantization of an array (quantize_data in ORT's quant_utils). */
export function quantizeArray(values: ArrayLike<number>, options: QuantizeArrayOptions): QuantizedTensor {
  const { min, max } = minMax(values);
  const range = quantRange(options.type, options);
  const { scale, zeroPoint } = computeScaleZeroPoint(min, max, range, options);
  const clip = fullRange(options.type);
  const out = allocate(options.type, values.length);
  for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i] as number, scale, zeroPoint, clip);
  return { values: out, scale, zeroPoint };
}

export interface PerChannelQuantized {
  values: QuantizedArray;
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/**
 * Per-channel quantization along `axis` of a tensor with `dims`: each index of that axis gets
 * its own scale and zero point, computed from the elements that share it.
 */
export function quantizeArrayPerChannel(
  values: ArrayLike<number>,
  dims: readonly number[],
  axis: number,
  options: QuantizeArrayOptions,
): PerChannelQuantized {
  const rank = dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new InferscopeError('INTERNAL', `Axis ${axis} is outside a rank-${rank} tensor.`);
  const channels = dims[a] as number;
  const inner = dims.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = dims.slice(0, a).reduce((p, d) => p * d, 1);
  const lows = new Float64Array(channels).fill(Infinity);
  const highs = new Float64Array(channels).fill(-Infinity);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = values[base + i] as number;
        if (v < (lows[c] as number)) lows[c] = v;
        if (v > (highs[c] as number)) highs[c] = v;
      }
    }
  }
  const range = quantRange(options.type, options);
  const clip = fullRange(options.type);
  const scales = new Float32Array(channels);
  const zeroPoints = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const low = lows[c] as number;
    const high = highs[c] as number;
    const { scale, zeroPoint } = low <= high ? computeScaleZeroPoint(low, high, range, options) : { scale: 1, zeroPoint: 0 };
    scales[c] = scale;
    zeroPoints[c] = zeroPoint;
  }
  const out = allocate(options.type, values.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const scale = scales[c] as number;
      const zeroPoint = zeroPoints[c] as number;
      for (let i = 0; i < inner; i++) out[base + i] = quantizeValue(values[base + i] as number, scale, zeroPoint, clip);
    }
  }
  return { values: out, scales, zeroPoints };
}

// ---------------------------------------------------------------------------------------------
// float16

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bit pattern, round to nearest even; overflow gives ±Inf, NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Below 2^-25 everything rounds to zero (2^-25 itself is a tie that goes to the even 0).
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let result = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (result & 1) === 1)) result++;
    return sign | result;
  }
  let result = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

export const FLOAT16_MAX = 65504;
/** The smallest positive subnormal half, 2^-24. */
export const FLOAT16_MIN_POSITIVE = 5.96e-8;

/**
 * float16.py's conversion: tiny non-zero values become ±5.96e-8 instead of vanishing, finite
 * values beyond the half range become ±65504 instead of Inf; Inf and NaN pass through.
 */
export function float32ToFloat16Clamped(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude > 0 && magnitude < FLOAT16_MIN_POSITIVE) return float32ToFloat16Bits(Math.sign(value) * FLOAT16_MIN_POSITIVE);
  if (magnitude > FLOAT16_MAX && Number.isFinite(value)) return float32ToFloat16Bits(Math.sign(value) * FLOAT16_MAX);
  return float32ToFloat16Bits(value);
}

export interface Float16Conversion {
  bits: Uint16Array;
  /** Values moved up to the smallest half or down to the largest (float16 would lose them). */
  clampedTiny: number;
  clampedHuge: number;
}

export function convertToFloat16(values: ArrayLike<number>): Float16Conversion {
  const conversion: Float16Conversion = { bits: new Uint16Array(values.length), clampedTiny: 0, clampedHuge: 0 };
  convertToFloat16Into(values, conversion, 0);
  return conversion;
}

/** Converts `values` into `into.bits` from `offset` on, adding to its clamp counts (for chunked conversion). */
export function convertToFloat16Into(values: ArrayLike<number>, into: Float16Conversion, offset: number): void {
  const bits = into.bits;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const magnitude = Math.abs(v);
    if (magnitude > 0 && magnitude < FLOAT16_MIN_POSITIVE) into.clampedTiny++;
    else if (magnitude > FLOAT16_MAX && Number.isFinite(v)) into.clampedHuge++;
    bits[offset + i] = float32ToFloat16Clamped(v);
  }
}

// ---------------------------------------------------------------------------------------------
// 4-bit blocks (MatMulNBits)

export interface BlockQuantized {
  /** [N, kBlocks, blockSize/2]: column n's K values, two per byte, element 2j in the low nibble. */
  packed: Uint8Array;
  /** [N, kBlocks], may be negative in symmetric mode. */
  scales: Float32Array;
  /** [N, ceil(kBlocks/2)] packed nibbles; absent for symmetric (MatMulNBits then assumes 8). */
  zeroPoints: Uint8Array | undefined;
  kBlocks: number;
}

export interface BlockQuantizeOptions {
  blockSize: number;
  symmetric: boolean;
}

/**
 * Quantize a K×N weight to 4-bit blocks along K, per output column, exactly as MLAS does
 * (float32 arithmetic, roundf). `at(k, n)` reads the weight so callers can pass a [K, N]
 * MatMul weight or a [N, K] transposed Gemm weight without copying.
 */
export function quantizeBlockwise4(
  K: number,
  N: number,
  at: (k: number, n: number) => number,
  options: BlockQuantizeOptions,
): BlockQuantized {
  const { blockSize, symmetric } = options;
  if (blockSize < 16 || blockSize > 256 || (blockSize & (blockSize - 1)) !== 0) {
    throw new InferscopeError('INTERNAL', `Block size ${blockSize} must be a power of 2 between 16 and 256.`);
  }
  const kBlocks = Math.ceil(K / blockSize);
  const blobBytes = blockSize / 2;
  const packed = new Uint8Array(N * kBlocks * blobBytes);
  const scales = new Float32Array(N * kBlocks);
  const zeroPointBytes = Math.ceil(kBlocks / 2);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * zeroPointBytes);
  const block = new Float32Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      // K padded with zeros to whole blocks, as the scan in MLAS sees it.
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        block[i] = k < K ? at(k, n) : 0;
      }
      let scale: number;
      let zeroPoint: number;
      if (symmetric) {
        // The value of largest magnitude, sign kept (the minimum on a tie, as MLAS picks):
        // scale = -m/8 maps it onto q = 0, and the opposite end may clip at 15.
        let low = Infinity;
        let high = -Infinity;
        for (let i = 0; i < blockSize; i++) {
          const v = block[i] as number;
          if (v < low) low = v;
          if (v > high) high = v;
        }
        const extreme = Math.abs(high) > Math.abs(low) ? high : low;
        scale = Math.fround(extreme / -8);
        zeroPoint = 8;
      } else {
        let low = 0;
        let high = 0;
        for (let i = 0; i < blockSize; i++) {
          const v = block[i] as number;
          if (v < low) low = v;
          if (v > high) high = v;
        }
        scale = Math.fround(Math.fround(high - low) / 15);
        const zeroPointFloat = scale !== 0 ? Math.fround(-low / scale) : 0;
        zeroPoint = Math.min(15, Math.max(0, roundHalfAwayFromZero(zeroPointFloat)));
      }
      const reciprocal = scale !== 0 ? Math.fround(1 / scale) : 0;
      scales[n * kBlocks + b] = scale;
      const base = (n * kBlocks + b) * blobBytes;
      for (let j = 0; j < blobBytes; j++) {
        const low = quantize4(block[2 * j] as number, reciprocal, zeroPoint);
        const high = quantize4(block[2 * j + 1] as number, reciprocal, zeroPoint);
        packed[base + j] = low | (high << 4);
      }
      if (zeroPoints) {
        const at = n * zeroPointBytes + (b >> 1);
        // An odd block count leaves the last high nibble unused: pad it with the default 8.
        if ((b & 1) === 0) zeroPoints[at] = zeroPoint | (b + 1 < kBlocks ? 0 : 0x80);
        else zeroPoints[at] = ((zeroPoints[at] as number) & 0x0f) | (zeroPoint << 4);
      }
    }
  }
  return { packed, scales, zeroPoints, kBlocks };
}

function quantize4(v: number, reciprocal: number, zeroPoint: number): number {
  const q = roundHalfAwayFromZero(Math.fround(Math.fround(v * reciprocal) + zeroPoint));
  return Math.min(15, Math.max(0, q));
}

/** Unpack the 4-bit values of quantizeBlockwise4 back to floats, [K, N] row-major (for checking errors). */
export function dequantizeBlockwise4(K: number, N: number, q: BlockQuantized, blockSize: number): Float32Array {
  const out = new Float32Array(K * N);
  const blobBytes = blockSize / 2;
  const zeroPointBytes = Math.ceil(q.kBlocks / 2);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const i = k % blockSize;
      const byte = q.packed[(n * q.kBlocks + b) * blobBytes + (i >> 1)] as number;
      const value = i & 1 ? byte >> 4 : byte & 0x0f;
      let zeroPoint = 8;
      if (q.zeroPoints) {
        const zpByte = q.zeroPoints[n * zeroPointBytes + (b >> 1)] as number;
        zeroPoint = b & 1 ? zpByte >> 4 : zpByte & 0x0f;
      }
      out[k * N + n] = (q.scales[n * q.kBlocks + b] as number) * (value - zeroPoint);
    }
  }
  return out;
}
