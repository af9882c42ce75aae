/**
 * Reading TensorProto values whatever storage the writer chose: raw_data (little-endian),
 * the typed fields (float_data, int32_data, int64_data, double_data, uint64_data) or
 * external data. Values always come back as fresh arrays: raw_data is a view into the
 * model file's buffer and may be unaligned, so it is never aliased.
 */
import { InferscopeError } from '../../shared/errors';
import { DataLocation, DataType, bytesToString, int64ToBigInt, int64ToNumber, type Int64, type TensorProto } from './codec';
import { assertFits, describeTensor, elementCount, tensorBytes, type TensorSpec } from '../budget';
import { dtypeBits, dtypeName, dtypeStorageBytes } from './dtypes';

/** Where an external tensor's bytes live, as written in the model. */
export interface ExternalDataRef {
  location: string;
  offset: number;
  /** Absent in the model means "up to the end of the file" (we then use the size the dtype needs). */
  length: number | undefined;
  checksum: string | undefined;
}

/** Supplies external tensor bytes; `location` is relative to the model's folder and already checked. */
export interface ExternalDataReader {
  read(location: string, offset: number, length: number): Uint8Array;
}

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export function tensorDims(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map((d) => int64ToNumber(d));
}

/** The tensor as the memory budget sees it (dims exact, as int64s). */
export function tensorSpec(tensor: TensorProto, role = 'tensor'): TensorSpec {
  const dims = (tensor.dims ?? []).map((d) => int64ToBigInt(d));
  return { name: tensor.name ?? '', type: tensor.data_type ?? DataType.UNDEFINED, dims, role };
}

/**
 * Number of elements the dims describe (1 for a scalar); MODEL_INVALID for a negative dim.
 * Past 2^53 the number is the nearest double: callers that allocate check the budget first.
 */
export function tensorElementCount(tensor: TensorProto): number {
  return Number(elementCount(tensorSpec(tensor)));
}

export function isExternal(tensor: TensorProto): boolean {
  return tensor.data_location === DataLocation.EXTERNAL;
}

/**
 * Rejects locations that could reach outside the model's folder (MODEL_INVALID): a location is
 * a file name written by whoever made the model, so it must be relative and never climb out.
 * Symbolic links are followed where the file is opened (read.ts).
 */
export function checkExternalLocation(location: string, tensorName: string): void {
  const invalid = (why: string): never => {
    const whose = tensorName ? `Tensor "${tensorName}" points to external data` : 'External data';
    throw new InferscopeError('MODEL_INVALID', `${whose} "${location}", which ${why}.`, { detail: location });
  };
  if (location.length === 0) invalid('is empty');
  if (location.includes('\0')) invalid('contains a NUL character');
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) {
    invalid('is an absolute path (it must be relative to the model file)');
  }
  if (location.split(/[\\/]/).some((segment) => segment === '..')) invalid('leaves the model\'s folder ("..")');
}

function parseNonNegativeInteger(text: string, key: string, tensorName: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new InferscopeError('EXTERNAL_DATA_INVALID', `Tensor "${tensorName}" has an invalid external data ${key} "${text}".`, {
      detail: text,
    });
  }
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value)) {
    throw new InferscopeError('EXTERNAL_DATA_INVALID', `Tensor "${tensorName}" has an external data ${key} too large to use.`);
  }
  return value;
}

/** The external data entry of a tensor, validated; undefined for tensors stored inline. */
export function externalDataRef(tensor: TensorProto): ExternalDataRef | undefined {
  if (!isExternal(tensor)) return undefined;
  const name = tensor.name ?? '';
  const entries = new Map<string, string>();
  for (const entry of tensor.external_data ?? []) entries.set(entry.key ?? '', entry.value ?? '');
  const location = entries.get('location');
  if (location === undefined) {
    throw new InferscopeError('EXTERNAL_DATA_INVALID', `Tensor "${name}" is marked external but names no location.`);
  }
  checkExternalLocation(location, name);
  const offsetText = entries.get('offset');
  const lengthText = entries.get('length');
  return {
    location,
    offset: offsetText === undefined ? 0 : parseNonNegativeInteger(offsetText, 'offset', name),
    length: lengthText === undefined ? undefined : parseNonNegativeInteger(lengthText, 'length', name),
    checksum: entries.get('checksum'),
  };
}

/** Bytes the tensor's values occupy when stored packed (raw_data layout); undefined for strings. */
export function tensorByteSize(tensor: TensorProto): number | undefined {
  return dtypeStorageBytes(tensor.data_type, tensorElementCount(tensor));
}

/**
 * The tensor's values as little-endian bytes when stored that way (raw_data or external),
 * or undefined when they live in a typed field. raw_data is returned as the view it is.
 */
export function tensorRawBytes(tensor: TensorProto, external?: ExternalDataReader): Uint8Array | undefined {
  const ref = externalDataRef(tensor);
  if (ref) {
    if (!external) {
      throw new InferscopeError(
        'EXTERNAL_DATA_MISSING',
        `Tensor "${tensor.name ?? ''}" keeps its data in "${ref.location}", but no external data source was given.`,
        { detail: ref.location },
      );
    }
    // Only the bytes the dims need are read, however long the stored length says the data is;
    // counted exactly, since dims from the file can multiply past what a double holds.
    const spec = tensorSpec(tensor);
    const needed = dtypeBits(tensor.data_type) === undefined ? undefined : tensorBytes(spec);
    const stored = ref.length === undefined ? undefined : BigInt(ref.length);
    const length = needed === undefined ? stored : stored === undefined || needed < stored ? needed : stored;
    if (length === undefined) {
      throw new InferscopeError('EXTERNAL_DATA_INVALID', `Tensor "${tensor.name ?? ''}" needs an external data length.`);
    }
    // The reader makes one Uint8Array of `length` bytes.
    const what = describeTensor(spec);
    assertFits([{ what, bytes: length, elements: length, arrayBytes: length }], `Reading the external data of ${what}`);
    return external.read(ref.location, ref.offset, Number(length));
  }
  if (tensor.raw_data && tensor.raw_data.length > 0) return tensor.raw_data;
  return undefined;
}

/** A copy with its own, zero-offset ArrayBuffer (Buffer#slice would return a view). */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode `count` little-endian elements of `dataType` from `bytes`, which may start at any
 * byte offset. On little-endian hosts (every platform onnxruntime ships for) a copy of the
 * bytes is viewed directly; otherwise DataView reads each element.
 */
export function decodeLittleEndian(
  bytes: Uint8Array,
  dataType: number,
  count: number,
  options: { useDataView?: boolean } = {},
): TensorValues {
  const spec = typedArrayFor(dataType, count);
  const needed = spec.elementBytes === 0 ? (dtypeStorageBytes(dataType, count) ?? 0) : count * spec.elementBytes;
  if (bytes.length < needed) {
    throw new InferscopeError(
      'MODEL_TRUNCATED',
      `A ${dtypeName(dataType)} tensor of ${count} values needs ${needed} bytes but only ${bytes.length} are stored.`,
    );
  }
  const useDataView = options.useDataView ?? !hostIsLittleEndian;
  if (!useDataView || spec.elementBytes <= 1) {
    const copy = copyBytes(bytes.subarray(0, needed));
    return spec.view(copy.buffer, spec.elementBytes === 0 ? needed : count);
  }
  const out = spec.make(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, needed);
  const size = spec.elementBytes;
  for (let i = 0; i < count; i++) spec.set(out, i, view, i * size);
  return out;
}

interface TypedSpec {
  /** 0 for packed sub-byte types (returned as the packed Uint8Array). */
  elementBytes: number;
  make(count: number): TensorValues;
  view(buffer: ArrayBufferLike, count: number): TensorValues;
  set(out: TensorValues, index: number, view: DataView, offset: number): void;
}

function typedArrayFor(dataType: number, count: number): TypedSpec {
  switch (dataType) {
    case DataType.FLOAT:
      return {
        elementBytes: 4,
        make: (n) => new Float32Array(n),
        view: (b, n) => new Float32Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Float32Array)[i] = v.getFloat32(at, true)),
      };
    case DataType.COMPLEX64:
      return typedArrayFor(DataType.FLOAT, count * 2);
    case DataType.DOUBLE:
      return {
        elementBytes: 8,
        make: (n) => new Float64Array(n),
        view: (b, n) => new Float64Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Float64Array)[i] = v.getFloat64(at, true)),
      };
    case DataType.COMPLEX128:
      return typedArrayFor(DataType.DOUBLE, count * 2);
    case DataType.INT8:
      return {
        elementBytes: 1,
        make: (n) => new Int8Array(n),
        view: (b, n) => new Int8Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Int8Array)[i] = v.getInt8(at)),
      };
    case DataType.UINT8:
    case DataType.BOOL:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0:
      return {
        elementBytes: 1,
        make: (n) => new Uint8Array(n),
        view: (b, n) => new Uint8Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Uint8Array)[i] = v.getUint8(at)),
      };
    case DataType.INT16:
      return {
        elementBytes: 2,
        make: (n) => new Int16Array(n),
        view: (b, n) => new Int16Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Int16Array)[i] = v.getInt16(at, true)),
      };
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return {
        elementBytes: 2,
        make: (n) => new Uint16Array(n),
        view: (b, n) => new Uint16Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Uint16Array)[i] = v.getUint16(at, true)),
      };
    case DataType.INT32:
      return {
        elementBytes: 4,
        make: (n) => new Int32Array(n),
        view: (b, n) => new Int32Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Int32Array)[i] = v.getInt32(at, true)),
      };
    case DataType.UINT32:
      return {
        elementBytes: 4,
        make: (n) => new Uint32Array(n),
        view: (b, n) => new Uint32Array(b, 0, n),
        set: (o, i, v, at) => void ((o as Uint32Array)[i] = v.getUint32(at, true)),
      };
    case DataType.INT64:
      return {
        elementBytes: 8,
        make: (n) => new BigInt64Array(n),
        view: (b, n) => new BigInt64Array(b, 0, n),
        set: (o, i, v, at) => void ((o as BigInt64Array)[i] = v.getBigInt64(at, true)),
      };
    case DataType.UINT64:
      return {
        elementBytes: 8,
        make: (n) => new BigUint64Array(n),
        view: (b, n) => new BigUint64Array(b, 0, n),
        set: (o, i, v, at) => void ((o as BigUint64Array)[i] = v.getBigUint64(at, true)),
      };
    case DataType.UINT4:
    case DataType.INT4:
    case DataType.FLOAT4E2M1:
    case DataType.UINT2:
    case DataType.INT2:
      return {
        elementBytes: 0,
        make: (n) => new Uint8Array(n),
        view: (b, n) => new Uint8Array(b, 0, n),
        set: () => undefined,
      };
    default:
      throw new InferscopeError('MODEL_UNSUPPORTED', `Cannot read tensor values of type ${dtypeName(dataType)}.`);
  }
}

/**
 * The tensor's values as a typed array:
 * float32/complex64 → Float32Array, float64/complex128 → Float64Array (complex interleaved re, im),
 * float16/bfloat16 → Uint16Array of bit patterns (see float16ToFloat32), int64 → BigInt64Array,
 * uint64 → BigUint64Array, bool and 8-bit floats → Uint8Array, 4- and 2-bit types → the packed
 * Uint8Array (first element in the lowest bits), other integers → their own typed array.
 */
export function readTensorValues(tensor: TensorProto, external?: ExternalDataReader): TensorValues {
  const dataType = tensor.data_type ?? DataType.UNDEFINED;
  if (dataType === DataType.STRING) {
    throw new InferscopeError('MODEL_UNSUPPORTED', 'String tensors have no numeric values; use readStringTensor.');
  }
  const count = tensorElementCount(tensor);
  const raw = tensorRawBytes(tensor, external);
  if (raw) return decodeLittleEndian(raw, dataType, count);
  return fromTypedFields(tensor, dataType, count);
}

function checkCount(tensor: TensorProto, field: string, have: number, need: number): void {
  if (have < need) {
    throw new InferscopeError('MODEL_TRUNCATED', `Tensor "${tensor.name ?? ''}" should hold ${need} values in ${field} but has ${have}.`);
  }
}

function fromTypedFields(tensor: TensorProto, dataType: number, count: number): TensorValues {
  const int32s = tensor.int32_data ?? [];
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64: {
      const n = dataType === DataType.COMPLEX64 ? count * 2 : count;
      const values = tensor.float_data ?? [];
      if (count === 0) return new Float32Array(0);
      checkCount(tensor, 'float_data', values.length, n);
      return Float32Array.from(values.slice(0, n));
    }
    case DataType.DOUBLE:
    case DataType.COMPLEX128: {
      const n = dataType === DataType.COMPLEX128 ? count * 2 : count;
      const values = tensor.double_data ?? [];
      if (count === 0) return new Float64Array(0);
      checkCount(tensor, 'double_data', values.length, n);
      return Float64Array.from(values.slice(0, n));
    }
    case DataType.INT64: {
      const values = tensor.int64_data ?? [];
      if (count > 0) checkCount(tensor, 'int64_data', values.length, count);
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = int64ToBigInt(values[i]);
      return out;
    }
    case DataType.UINT64:
    case DataType.UINT32: {
      const values = tensor.uint64_data ?? [];
      if (count > 0) checkCount(tensor, 'uint64_data', values.length, count);
      if (dataType === DataType.UINT32) {
        const out = new Uint32Array(count);
        for (let i = 0; i < count; i++) out[i] = Number(BigInt.asUintN(32, int64ToBigInt(values[i])));
        return out;
      }
      const out = new BigUint64Array(count);
      for (let i = 0; i < count; i++) out[i] = BigInt.asUintN(64, int64ToBigInt(values[i]));
      return out;
    }
    case DataType.INT32:
      if (count > 0) checkCount(tensor, 'int32_data', int32s.length, count);
      return Int32Array.from(int32s.slice(0, count));
    case DataType.INT16:
      if (count > 0) checkCount(tensor, 'int32_data', int32s.length, count);
      return Int16Array.from(int32s.slice(0, count));
    case DataType.INT8:
      if (count > 0) checkCount(tensor, 'int32_data', int32s.length, count);
      return Int8Array.from(int32s.slice(0, count));
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      // fp16/bf16 bit patterns are stored one per int32 (low 16 bits).
      if (count > 0) checkCount(tensor, 'int32_data', int32s.length, count);
      return Uint16Array.from(int32s.slice(0, count), (v) => v & 0xffff);
    case DataType.UINT8:
    case DataType.BOOL:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0:
      if (count > 0) checkCount(tensor, 'int32_data', int32s.length, count);
      return Uint8Array.from(int32s.slice(0, count), (v) => v & 0xff);
    case DataType.UINT4:
    case DataType.INT4:
    case DataType.FLOAT4E2M1:
    case DataType.UINT2:
    case DataType.INT2: {
      // Already packed (two or four values per byte), one byte per int32.
      const bytes = dtypeStorageBytes(dataType, count) ?? 0;
      if (bytes > 0) checkCount(tensor, 'int32_data', int32s.length, bytes);
      return Uint8Array.from(int32s.slice(0, bytes), (v) => v & 0xff);
    }
    default:
      throw new InferscopeError('MODEL_UNSUPPORTED', `Cannot read tensor values of type ${dtypeName(dataType)}.`);
  }
}

export function readStringTensor(tensor: TensorProto): string[] {
  return (tensor.string_data ?? []).map((bytes) => bytesToString(bytes));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function bfloat16ToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] ?? 0;
}

/** Values of a float32/float16/bfloat16/float64 tensor as Float32Array (float64 rounded). */
export function readFloatTensor(tensor: TensorProto, external?: ExternalDataReader): Float32Array {
  const values = readTensorValues(tensor, external);
  switch (tensor.data_type) {
    case DataType.FLOAT:
      return values as Float32Array;
    case DataType.DOUBLE:
      return Float32Array.from(values as Float64Array);
    case DataType.FLOAT16:
      return Float32Array.from(values as Uint16Array, float16ToFloat32);
    case DataType.BFLOAT16:
      return Float32Array.from(values as Uint16Array, bfloat16ToFloat32);
    default:
      throw new InferscopeError(
        'MODEL_UNSUPPORTED',
        `Tensor "${tensor.name ?? ''}" is ${dtypeName(tensor.data_type)}, not a floating-point type.`,
      );
  }
}

/**
 * Small integer or float tensors (shape constants, axes, scales) as plain numbers. int64 values
 * beyond 2^53 become the nearest double, which is what "INT64_MAX means to the end" needs.
 */
export function readTensorNumbers(tensor: TensorProto, external?: ExternalDataReader): number[] {
  switch (tensor.data_type) {
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.DOUBLE:
    case DataType.FLOAT:
      return Array.from(readFloatTensor(tensor, external));
    case DataType.INT64:
    case DataType.UINT64:
      return Array.from(readTensorValues(tensor, external) as BigInt64Array, (v) => Number(v));
    case DataType.INT32:
    case DataType.INT16:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.UINT16:
    case DataType.UINT32:
    case DataType.BOOL:
      return Array.from(readTensorValues(tensor, external) as Int32Array);
    default:
      throw new InferscopeError(
        'MODEL_UNSUPPORTED',
        `Cannot read ${dtypeName(tensor.data_type)} tensor "${tensor.name ?? ''}" as numbers.`,
      );
  }
}

/** Build a tensor stored as little-endian raw_data (how we write every generated tensor). */
export function makeTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: TensorValues | readonly number[],
): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  let raw: Uint8Array;
  if (ArrayBuffer.isView(values)) {
    raw = copyBytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } else {
    const spec = typedArrayFor(dataType, count);
    if (spec.elementBytes === 0) raw = Uint8Array.from(values);
    else {
      const typed = spec.make(values.length);
      if (typed instanceof BigInt64Array || typed instanceof BigUint64Array) {
        values.forEach((v, i) => (typed[i] = BigInt(v)));
      } else {
        (typed as Float32Array).set(values);
      }
      raw = new Uint8Array(typed.buffer);
    }
    if (!hostIsLittleEndian) {
      throw new InferscopeError('NOT_SUPPORTED', 'Writing tensors on a big-endian host is not supported.');
    }
  }
  const expected = dtypeStorageBytes(dataType, count);
  if (expected !== undefined && raw.length !== expected) {
    throw new InferscopeError(
      'INTERNAL',
      `Tensor "${name}": ${raw.length} bytes of ${dtypeName(dataType)} data do not match dims [${dims.join(', ')}].`,
    );
  }
  return { name, data_type: dataType, dims: [...dims], raw_data: raw };
}

export type { Int64 };
