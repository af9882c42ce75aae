/**
 * The ONNX protobuf codec: the generated static module plus the two things every caller
 * needs around it — decoding that keeps unknown fields, and int64 normalization.
 *
 * Field names follow the ONNX spec (keep-case): `raw_data`, `op_type`, `opset_import`.
 * Message values are the generated `$Properties` interfaces (every field optional), which
 * is also what `encode` accepts, so hand-built and decoded models share one type.
 */
import $protobuf from 'protobufjs/minimal.js';
// Types only: at run time we use the Long class protobufjs itself loaded (util.Long), so values
// we create are the same kind it decodes and encodes.
import type Long from 'long';
import { onnx } from './generated/onnx';

export { onnx };

export type ModelProto = onnx.ModelProto.$Properties;
export type GraphProto = onnx.GraphProto.$Properties;
export type NodeProto = onnx.NodeProto.$Properties;
export type AttributeProto = onnx.AttributeProto.$Properties;
export type TensorProto = onnx.TensorProto.$Properties;
export type SparseTensorProto = onnx.SparseTensorProto.$Properties;
export type ValueInfoProto = onnx.ValueInfoProto.$Properties;
export type TypeProto = onnx.TypeProto.$Properties;
export type TensorShapeProto = onnx.TensorShapeProto.$Properties;
export type DimensionProto = onnx.TensorShapeProto.Dimension.$Properties;
export type OperatorSetIdProto = onnx.OperatorSetIdProto.$Properties;
export type StringStringEntryProto = onnx.StringStringEntryProto.$Properties;
export type FunctionProto = onnx.FunctionProto.$Properties;

export const DataType = onnx.TensorProto.DataType;
export type DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;
export type AttributeType = onnx.AttributeProto.AttributeType;
export const DataLocation = onnx.TensorProto.DataLocation;

/** What protobufjs hands back for int64 fields: a number for small values we set ourselves, a Long when decoded. */
export type Int64 = number | Long | string;

/**
 * Decode a serialized ModelProto. Fields this schema does not know (a future ONNX release)
 * are kept in `$unknowns` and written back by `encodeModelProto`, so rewriting a model never
 * loses data. `bytes` fields (raw_data, ...) are views into `bytes`: keep it alive, and copy
 * before mutating. Throws protobufjs' own errors; read.ts turns them into coded errors.
 */
export function decodeModelProto(bytes: Uint8Array): onnx.ModelProto {
  const reader = $protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  return onnx.ModelProto.decode(reader);
}

export function encodeModelProto(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/**
 * int64 as a JS number. Values beyond 2^53 (e.g. Slice's INT64_MAX "to the end") lose
 * precision; callers that must keep them exactly use `int64ToBigInt`.
 */
export function int64ToNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function int64ToBigInt(value: Int64 | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'string') return BigInt(value);
  // Long keeps two signed 32-bit halves; rebuild exactly.
  const high = BigInt(value.high) << 32n;
  const low = BigInt(value.low >>> 0);
  const combined = high | low;
  return value.unsigned ? BigInt.asUintN(64, combined) : BigInt.asIntN(64, combined);
}

/** A value to store in an int64 field that round-trips exactly, including beyond 2^53. */
export function int64FromBigInt(value: bigint): number | Long {
  if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  const LongClass = $protobuf.util.Long as unknown as typeof Long | null;
  const exact = BigInt.asIntN(64, value);
  if (!LongClass) return Number(exact);
  return LongClass.fromString(exact.toString(), false);
}

/** True when the int64 is at or beyond what a JS number holds exactly (used to spot "INT64_MAX means unbounded"). */
export function int64IsHuge(value: Int64 | null | undefined): boolean {
  const n = int64ToBigInt(value);
  return n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER);
}

const utf8 = new TextDecoder('utf-8');

/** AttributeProto.s and string_data are bytes on the wire; most of the time they are UTF-8 text. */
export function bytesToString(bytes: Uint8Array | null | undefined): string {
  return bytes ? utf8.decode(bytes) : '';
}
