/**
 * ONNX element types: names as onnxruntime prints them, and storage widths.
 */
import { DataType } from './codec';

interface DtypeSpec {
  name: string;
  /** Bits per element in raw_data / external data; 0 for strings (variable). */
  bits: number;
}

const SPECS: Record<number, DtypeSpec> = {
  [DataType.FLOAT]: { name: 'float32', bits: 32 },
  [DataType.UINT8]: { name: 'uint8', bits: 8 },
  [DataType.INT8]: { name: 'int8', bits: 8 },
  [DataType.UINT16]: { name: 'uint16', bits: 16 },
  [DataType.INT16]: { name: 'int16', bits: 16 },
  [DataType.INT32]: { name: 'int32', bits: 32 },
  [DataType.INT64]: { name: 'int64', bits: 64 },
  [DataType.STRING]: { name: 'string', bits: 0 },
  [DataType.BOOL]: { name: 'bool', bits: 8 },
  [DataType.FLOAT16]: { name: 'float16', bits: 16 },
  [DataType.DOUBLE]: { name: 'float64', bits: 64 },
  [DataType.UINT32]: { name: 'uint32', bits: 32 },
  [DataType.UINT64]: { name: 'uint64', bits: 64 },
  [DataType.COMPLEX64]: { name: 'complex64', bits: 64 },
  [DataType.COMPLEX128]: { name: 'complex128', bits: 128 },
  [DataType.BFLOAT16]: { name: 'bfloat16', bits: 16 },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bits: 8 },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bits: 8 },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bits: 8 },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bits: 8 },
  [DataType.UINT4]: { name: 'uint4', bits: 4 },
  [DataType.INT4]: { name: 'int4', bits: 4 },
  [DataType.FLOAT4E2M1]: { name: 'float4e2m1', bits: 4 },
  [DataType.FLOAT8E8M0]: { name: 'float8e8m0', bits: 8 },
  [DataType.UINT2]: { name: 'uint2', bits: 2 },
  [DataType.INT2]: { name: 'int2', bits: 2 },
};

export function dtypeName(dataType: number | null | undefined): string {
  if (dataType === null || dataType === undefined || dataType === DataType.UNDEFINED) return 'undefined';
  return SPECS[dataType]?.name ?? `unknown(${dataType})`;
}

export function dtypeFromName(name: string): DataType | undefined {
  for (const [key, spec] of Object.entries(SPECS)) if (spec.name === name) return Number(key) as DataType;
  return undefined;
}

/** Bits per element, or undefined for strings and unknown types. */
export function dtypeBits(dataType: number | null | undefined): number | undefined {
  if (dataType === null || dataType === undefined) return undefined;
  const bits = SPECS[dataType]?.bits;
  return bits ? bits : undefined;
}

/** Bytes needed to store `count` elements, sub-byte types packed (first element in the lowest bits). */
export function dtypeStorageBytes(dataType: number | null | undefined, count: number): number | undefined {
  const bits = dtypeBits(dataType);
  return bits === undefined ? undefined : Math.ceil((count * bits) / 8);
}

export function isFloatType(dataType: number | null | undefined): boolean {
  return dataType === DataType.FLOAT || dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16 || dataType === DataType.DOUBLE;
}
