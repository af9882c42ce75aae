/**
 * Tensor helpers the quantizer needs beyond src/core/onnx/tensor.ts: weights as float32
 * whatever their storage, typed tensors for scales and zero points, transposes, and models
 * made loadable from memory (external data pulled inline) for the sessions we run ourselves.
 */
import { DataType } from '../onnx/codec';
import type { ModelProto, TensorProto } from '../onnx/codec';
import { encodeModel } from '../onnx/write';
import { dtypeStorageBytes } from '../onnx/dtypes';
import { isExternal, makeTensor, readFloatTensor, tensorDims, tensorElementCount, tensorRawBytes } from '../onnx/tensor';
import type { ExternalDataReader } from '../onnx/tensor';
import { cloneMessage } from '../onnx/walk';
import { allGraphs, cloneModel } from './graph';
import type { QuantizedArray, QuantType } from './math';

export { tensorDims };

/** A float weight's values as float32 (float16 widened). */
export function readWeight(tensor: TensorProto, external?: ExternalDataReader): Float32Array {
  return readFloatTensor(tensor, external);
}

const QUANT_DATA_TYPE: Record<QuantType, DataType> = {
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  int4: DataType.INT4,
  uint4: DataType.UINT4,
};

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A tensor whose raw_data is `values`' own memory, not a copy: for arrays just made for this
 * tensor. Weights are the bulk of a model, and a copy of each one is garbage the size of the model.
 */
export function ownedTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: Int8Array | Uint8Array | Int16Array | Uint16Array | Float32Array,
): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (!hostIsLittleEndian || dtypeStorageBytes(dataType, count) !== values.byteLength) return makeTensor(name, dataType, dims, values);
  return { name, data_type: dataType, dims: [...dims], raw_data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** 8- and 16-bit quantized values (4-bit weights go through MatMulNBits' own packing). */
export function quantizedTensor(name: string, type: QuantType, dims: readonly number[], values: QuantizedArray): TensorProto {
  return ownedTensor(name, QUANT_DATA_TYPE[type], dims, values);
}

/** Elements converted per chunk: keeps the aligned scratch copy of an unaligned weight small. */
const CHUNK_ELEMENTS = 1 << 20;

/**
 * Visits a float weight's values in chunks of float32 without copying the whole tensor: a
 * float32 weight stored inline as raw_data is read through a small aligned scratch buffer;
 * anything else (other types, typed fields, external data) is read whole, as before.
 */
export function forEachFloatChunk(
  tensor: TensorProto,
  external: ExternalDataReader | undefined,
  visit: (chunk: Float32Array, offset: number) => void,
): void {
  const raw = !isExternal(tensor) && tensor.data_type === DataType.FLOAT && hostIsLittleEndian ? tensor.raw_data : undefined;
  const count = tensorElementCount(tensor);
  if (!raw || raw.byteLength < count * 4) {
    visit(readFloatTensor(tensor, external), 0);
    return;
  }
  if (raw.byteOffset % 4 === 0) {
    visit(new Float32Array(raw.buffer, raw.byteOffset, count), 0);
    return;
  }
  const scratch = new Float32Array(Math.min(CHUNK_ELEMENTS, count));
  const scratchBytes = new Uint8Array(scratch.buffer);
  for (let offset = 0; offset < count; offset += scratch.length) {
    const n = Math.min(scratch.length, count - offset);
    scratchBytes.set(raw.subarray(offset * 4, (offset + n) * 4));
    visit(n === scratch.length ? scratch : scratch.subarray(0, n), offset);
  }
}

/** Zero point(s) in the quantized type: a scalar (`dims: []`) or one per channel. */
export function zeroPointTensor(name: string, type: QuantType, values: readonly number[], dims: readonly number[]): TensorProto {
  const typed =
    type === 'int8'
      ? Int8Array.from(values)
      : type === 'uint8'
        ? Uint8Array.from(values)
        : type === 'int16'
          ? Int16Array.from(values)
          : Uint16Array.from(values);
  return makeTensor(name, QUANT_DATA_TYPE[type], dims, typed);
}

/** Scales are stored in the model's float type: float32, or float16 bit patterns for fp16 models. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  return makeTensor(name, DataType.FLOAT, dims, Float32Array.from(values));
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return makeTensor(
    name,
    DataType.INT64,
    dims,
    BigInt64Array.from(values, (v) => BigInt(v)),
  );
}

export function int32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto {
  return makeTensor(name, DataType.INT32, dims, Int32Array.from(values));
}

/** [rows, cols] → [cols, rows]. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}

export function hasExternalData(model: ModelProto): boolean {
  return allGraphs(model).some(({ graph }) => (graph.initializer ?? []).some(isExternal));
}

/**
 * A copy with every external initializer stored inline, for a session created from bytes
 * (ORT cannot resolve external files relative to a buffer). Fails above protobuf's 2 GiB.
 */
export function inlineExternalData(model: ModelProto, external: ExternalDataReader | undefined): ModelProto {
  if (!hasExternalData(model)) return model;
  const copy = cloneModel(model);
  for (const { graph } of allGraphs(copy)) {
    graph.initializer = (graph.initializer ?? []).map((tensor) => {
      if (!isExternal(tensor)) return tensor;
      const raw = tensorRawBytes(tensor, external);
      const inline = cloneMessage(tensor);
      delete inline.external_data;
      delete inline.data_location;
      if (raw) inline.raw_data = raw;
      return inline;
    });
  }
  return copy;
}

/** Bytes an onnxruntime session can be created from. */
export function sessionBytes(model: ModelProto, external?: ExternalDataReader): Uint8Array {
  return encodeModel(inlineExternalData(model, external));
}
