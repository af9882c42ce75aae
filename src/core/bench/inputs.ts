/**
 * Benchmark inputs: concrete shapes for symbolic dimensions and deterministic seeded
 * tensor data, so every configuration (EP, precision, threads) sees the same inputs and
 * variants can be compared output to output. Pure: typed arrays in, typed arrays out;
 * the worker wraps them into onnxruntime tensors.
 */
import { InferscopeError } from '../../shared/errors';
import { dimSetting, listWords } from '../../shared/settings';
import { createRng, type Rng } from '../../shared/stats/random';
import type { InputValue } from '../../shared/domain/input-values';
import { assertFits, tensorNeed } from '../budget';

/**
 * Default inclusive range of random integer inputs: most integer inputs are token ids,
 * class ids or indices, and small non-negative values stay inside any vocabulary or axis
 * a real model has.
 */
export const DEFAULT_INT_RANGE = { min: 0, max: 99 } as const;

export interface IntRange {
  min: number;
  max: number;
}

export type InputData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

export interface ShapeRules {
  /** Leading symbolic dimension of every input. */
  batch: number;
  /** Symbolic dimensions by name. */
  dims: Readonly<Record<string, number>>;
  /** Any other symbolic or unknown dimension. */
  defaultDim: number;
}

/**
 * A model's declared input shape made concrete. A leading dimension that is not a fixed
 * number is the batch; other symbolic dimensions come from `dims` by name, else `defaultDim`.
 * A leading dimension the user named in `dims` keeps the user's value; an unnamed one is set as "input[axis]".
 */
export function resolveInputShape(shape: ReadonlyArray<number | string>, rules: ShapeRules, inputName = ''): number[] {
  return shape.map((d, axis) => {
    if (typeof d === 'number' && Number.isInteger(d) && d >= 0) return d;
    if (typeof d === 'string' && d !== '' && rules.dims[d] !== undefined) return rules.dims[d];
    // An unnamed dimension is set by its display name, "x[1]" (src/core/onnx/inspect.ts unnamedDimName).
    const unnamed = rules.dims[`${inputName}[${axis}]`];
    if (inputName !== '' && unnamed !== undefined) return unnamed;
    return axis === 0 ? rules.batch : rules.defaultDim;
  });
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE 754 binary16 bits of a float (round to nearest even), as onnxruntime-node takes float16 data. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/**
 * Refuses (MODEL_TOO_LARGE) an input this process cannot hold, before its array is made: a shape
 * like [1e12] would otherwise end in "Invalid typed array length", and a merely huge one would
 * fill memory while it is being generated.
 */
export function assertInputFits(type: string, shape: readonly number[], name = ''): void {
  assertFits([tensorNeed({ name, type, dims: shape })], "Generating the model's inputs");
}

/**
 * Seeded random data for one input: normal(0, 1) floats, integers in `intRange` (inclusive;
 * unsigned types from 0), fair booleans. `name` names the input when it is too large to make.
 */
export function randomInputData(
  type: string,
  shape: readonly number[],
  rng: Rng,
  intRange: IntRange = DEFAULT_INT_RANGE,
  name = '',
): InputData {
  assertInputFits(type, shape, name);
  const n = elementCount(shape);
  const fill = <A extends { length: number; [i: number]: number }>(array: A, draw: () => number): A => {
    for (let i = 0; i < n; i++) array[i] = draw();
    return array;
  };
  const unsigned = type.startsWith('uint');
  const low = unsigned ? Math.max(0, intRange.min) : intRange.min;
  const high = Math.max(low, intRange.max);
  const int = (): number => rng.nextInt(low, high + 1);
  switch (type) {
    case 'float32':
      return fill(new Float32Array(n), () => rng.normal());
    case 'float64':
      return fill(new Float64Array(n), () => rng.normal());
    case 'float16':
      return fill(new Uint16Array(n), () => toFloat16Bits(rng.normal()));
    case 'int8':
      return fill(new Int8Array(n), int);
    case 'uint8':
      return fill(new Uint8Array(n), int);
    case 'int16':
      return fill(new Int16Array(n), int);
    case 'uint16':
      return fill(new Uint16Array(n), int);
    case 'int32':
      return fill(new Int32Array(n), int);
    case 'uint32':
      return fill(new Uint32Array(n), int);
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(int());
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(int());
      return out;
    }
    case 'bool':
      return fill(new Uint8Array(n), () => rng.nextInt(0, 2));
    case 'string':
      return Array.from({ length: n }, () => `token${int()}`);
    default:
      throw new InferscopeError('INPUT_INVALID', `Cannot generate inputs of type ${type}.`);
  }
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** A user's tensor (raw little-endian elements) as the typed array onnxruntime wants, checked against its dims. */
export function userInputData(type: string, dims: readonly number[], data: Uint8Array, name: string): InputData {
  const size = BYTES_PER_ELEMENT[type];
  if (size === undefined)
    throw new InferscopeError('INPUT_INVALID', `Input ${name}: tensors of type ${type} cannot be supplied as raw data.`);
  const expected = elementCount(dims) * size;
  if (data.byteLength !== expected) {
    throw new InferscopeError(
      'INPUT_INVALID',
      `Input ${name}: ${data.byteLength} bytes given, ${expected} expected for ${type}[${dims.join(', ')}].`,
    );
  }
  // Copy into an aligned buffer of its own: the bytes may be a view at any offset.
  const buffer = data.slice().buffer;
  switch (type) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'float16':
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    default:
      return new BigUint64Array(buffer);
  }
}

/** All-zero data (every type's zero is the all-zero bit pattern; strings are empty). */
export function zeroInputData(type: string, shape: readonly number[], name: string): InputData {
  assertInputFits(type, shape, name);
  const n = elementCount(shape);
  if (type === 'string') return new Array<string>(n).fill('');
  const size = BYTES_PER_ELEMENT[type];
  if (size === undefined) throw new InferscopeError('INPUT_INVALID', `Input ${name}: cannot build zeros of type ${type}.`);
  return userInputData(type, shape, new Uint8Array(n * size), name);
}

/** One seeded stream per input name, so adding or reordering inputs does not change the others' data. */
export function inputRng(seed: number, inputName: string): Rng {
  let h = seed | 0;
  for (let i = 0; i < inputName.length; i++) h = Math.imul(h ^ inputName.charCodeAt(i), 0x01000193);
  return createRng(h);
}

/**
 * Data for an input given a value (--input NAME=VALUE) or a stated default: a number everywhere,
 * zeros, ones, 0..n−1 along the last axis, or seeded uniform in [low, high] (integers inclusive).
 * `file` values are read by the host and arrive as tensors, never here.
 */
export function valueInputData(type: string, shape: readonly number[], value: InputValue, rng: Rng, name: string): InputData {
  if (value.kind === 'file') throw new InferscopeError('INTERNAL', `Input ${name}: a file value must be read before it is fed.`);
  if (value.kind === 'zeros') return zeroInputData(type, shape, name);
  if (type === 'string' || BYTES_PER_ELEMENT[type] === undefined) {
    throw new InferscopeError('INPUT_INVALID', `Input ${name}: a ${value.kind} value cannot fill a ${type} tensor.`);
  }
  const data = zeroInputData(type, shape, name) as Exclude<InputData, string[]>;
  const last = shape.length > 0 ? (shape[shape.length - 1] as number) : 1;
  const float = type.startsWith('float');
  const draw = (i: number): number => {
    switch (value.kind) {
      case 'number':
        return value.value;
      case 'ones':
        return 1;
      case 'range':
        return last > 0 ? i % last : 0;
      default:
        if (float) return value.low + (value.high - value.low) * rng.next();
        return rng.nextInt(Math.ceil(value.low), Math.max(Math.ceil(value.low), Math.floor(value.high)) + 1);
    }
  };
  for (let i = 0; i < data.length; i++) {
    const v = draw(i);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[i] = BigInt(Math.trunc(v));
    else if (type === 'float16') data[i] = toFloat16Bits(v);
    else data[i] = v;
  }
  return data;
}

/** A symbolic dimension an input needs and nothing sets: the input, the axis and the name to set it by. */
export interface MissingDim {
  name: string;
  input: string;
  axis: number;
}

/**
 * DIMS_REQUIRED, naming each dimension and how to set it: only a leading batch may default to 1,
 * any other unset size would run the model on a shape nobody asked for ([1,3,1,1] for an image).
 */
export function dimsRequired(missing: readonly MissingDim[]): InferscopeError {
  const names = [...new Set(missing.map((m) => m.name))];
  const where = names.map((n) => {
    const uses = missing.filter((m) => m.name === n).map((m) => `${m.input} axis ${m.axis}`);
    return `"${n}" (${uses.join(', ')})`;
  });
  const set = listWords(names.map((n) => dimSetting(n)));
  return new InferscopeError(
    'DIMS_REQUIRED',
    `Dimension${names.length === 1 ? '' : 's'} ${where.join(', ')} ha${names.length === 1 ? 's' : 've'} no value, and only a ` +
      `leading batch dimension defaults to 1: set ${set}.`,
    { detail: names.join(',') },
  );
}
