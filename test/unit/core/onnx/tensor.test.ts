import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataLocation,
  DataType,
  decodeModelProto,
  encodeModelProto,
  int64FromBigInt,
  type TensorProto,
} from '../../../../src/core/onnx/codec';
import { fileExternalDataReader } from '../../../../src/core/onnx/read';
import {
  bfloat16ToFloat32,
  decodeLittleEndian,
  float16ToFloat32,
  makeTensor,
  readFloatTensor,
  readTensorNumbers,
  readTensorValues,
  readStringTensor,
  externalDataRef,
} from '../../../../src/core/onnx/tensor';
import { makeModel, tempDir } from './helpers';

/** Pass a tensor through encode/decode so it looks exactly like one read from a file. */
function viaFile(tensor: TensorProto): TensorProto {
  const bytes = encodeModelProto(makeModel({ nodes: [], inputs: [], outputs: [], initializers: [tensor] }));
  return decodeModelProto(bytes).graph!.initializer![0]!;
}

describe('tensor values', () => {
  it('reads float_data', () => {
    const t = viaFile({ name: 'f', data_type: DataType.FLOAT, dims: [2, 2], float_data: [1, 2.5, -3, 4] });
    expect(Array.from(readTensorValues(t) as Float32Array)).toEqual([1, 2.5, -3, 4]);
  });

  it('reads raw_data at any byte offset (unaligned views)', () => {
    const values = new Float32Array([1.5, -2, 3.25, 1e-3]);
    // A 1-char name shifts raw_data to an odd offset inside the encoded model.
    const t = viaFile(makeTensor('a', DataType.FLOAT, [4], values));
    expect(t.raw_data!.byteOffset % 4).not.toBe(0);
    expect(readTensorValues(t)).toEqual(values);
    // Both decoding paths agree, including DataView on unaligned input.
    expect(decodeLittleEndian(t.raw_data!, DataType.FLOAT, 4, { useDataView: true })).toEqual(values);
    const i64 = viaFile(makeTensor('b', DataType.INT64, [3], [1, -2, 2 ** 40]));
    expect(decodeLittleEndian(i64.raw_data!, DataType.INT64, 3, { useDataView: true })).toEqual(new BigInt64Array([1n, -2n, 2n ** 40n]));
    expect(readTensorNumbers(i64)).toEqual([1, -2, 2 ** 40]);
  });

  it('returns copies, never views of the model buffer', () => {
    const t = viaFile(makeTensor('w', DataType.FLOAT, [2], new Float32Array([1, 2])));
    const values = readTensorValues(t) as Float32Array;
    values[0] = 42;
    expect((readTensorValues(t) as Float32Array)[0]).toBe(1);
  });

  it('reads fp16 and bf16 bit patterns from int32_data', () => {
    // 1.0, -2.0, 65504 (max half), smallest subnormal, +inf
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00];
    const t = viaFile({ name: 'h', data_type: DataType.FLOAT16, dims: [5], int32_data: bits });
    expect(Array.from(readTensorValues(t) as Uint16Array)).toEqual(bits);
    expect(Array.from(readFloatTensor(t))).toEqual([1, -2, 65504, 2 ** -24, Infinity].map((v) => Math.fround(v)));
    expect(Number.isNaN(float16ToFloat32(0x7e00))).toBe(true);
    const bf = viaFile({ name: 'b', data_type: DataType.BFLOAT16, dims: [2], int32_data: [0x3f80, 0xc0a0] });
    expect(Array.from(readFloatTensor(bf))).toEqual([1, -5]);
    expect(bfloat16ToFloat32(0x4049)).toBeCloseTo(3.140625, 6);
  });

  it('reads fp16 from raw_data', () => {
    const t = viaFile(makeTensor('h', DataType.FLOAT16, [2], new Uint16Array([0x3c00, 0x3800])));
    expect(Array.from(readFloatTensor(t))).toEqual([1, 0.5]);
  });

  it('reads int64_data with values beyond 2^53, double_data, uint64_data and small ints in int32_data', () => {
    const big = viaFile({
      name: 'i',
      data_type: DataType.INT64,
      dims: [3],
      int64_data: [int64FromBigInt(9223372036854775807n), -1, 5],
    });
    expect(readTensorValues(big)).toEqual(new BigInt64Array([9223372036854775807n, -1n, 5n]));
    const d = viaFile({ name: 'd', data_type: DataType.DOUBLE, dims: [2], double_data: [0.1, -1e300] });
    expect(Array.from(readTensorValues(d) as Float64Array)).toEqual([0.1, -1e300]);
    const u = viaFile({ name: 'u', data_type: DataType.UINT64, dims: [1], uint64_data: [int64FromBigInt(2n ** 60n)] });
    expect(readTensorValues(u)).toEqual(new BigUint64Array([2n ** 60n]));
    const i8 = viaFile({ name: 'q', data_type: DataType.INT8, dims: [3], int32_data: [-128, 0, 127] });
    expect(Array.from(readTensorValues(i8) as Int8Array)).toEqual([-128, 0, 127]);
    const b = viaFile({ name: 'b', data_type: DataType.BOOL, dims: [2], int32_data: [1, 0] });
    expect(Array.from(readTensorValues(b) as Uint8Array)).toEqual([1, 0]);
  });

  it('keeps 4-bit values packed, two per byte', () => {
    const t = viaFile(makeTensor('q4', DataType.UINT4, [3], new Uint8Array([0x21, 0x03])));
    expect(Array.from(readTensorValues(t) as Uint8Array)).toEqual([0x21, 0x03]);
  });

  it('reads string tensors', () => {
    const t = viaFile({
      name: 's',
      data_type: DataType.STRING,
      dims: [2],
      string_data: [new TextEncoder().encode('héllo'), new Uint8Array()],
    });
    expect(readStringTensor(t)).toEqual(['héllo', '']);
  });

  it('refuses a tensor whose storage holds fewer values than its dims say', () => {
    const t = viaFile({ name: 'short', data_type: DataType.FLOAT, dims: [4], float_data: [1, 2] });
    expect(() => readTensorValues(t)).toThrow(expect.objectContaining({ code: 'MODEL_TRUNCATED' }));
  });

  it('reads external data through a reader, at its offset', () => {
    const dir = tempDir();
    try {
      const payload = new Float32Array([7, 8, 9]);
      const file = new Uint8Array(100 + 12);
      file.set(new Uint8Array(payload.buffer), 100);
      writeFileSync(join(dir.path, 'w.bin'), file);
      const t = viaFile({
        name: 'e',
        data_type: DataType.FLOAT,
        dims: [3],
        data_location: DataLocation.EXTERNAL,
        external_data: [
          { key: 'location', value: 'w.bin' },
          { key: 'offset', value: '100' },
          { key: 'length', value: '12' },
        ],
      });
      expect(externalDataRef(t)).toEqual({ location: 'w.bin', offset: 100, length: 12, checksum: undefined });
      expect(readTensorValues(t, fileExternalDataReader(dir.path))).toEqual(payload);
      expect(() => readTensorValues(t)).toThrow(expect.objectContaining({ code: 'EXTERNAL_DATA_MISSING' }));
    } finally {
      dir.cleanup();
    }
  });

  it('rejects external locations outside the model folder', () => {
    const ext = (location: string): TensorProto => ({
      name: 't',
      data_type: DataType.FLOAT,
      dims: [1],
      data_location: DataLocation.EXTERNAL,
      external_data: [{ key: 'location', value: location }],
    });
    for (const bad of ['../w.bin', 'sub/../../w.bin', '/etc/passwd', 'C:\\w.bin', '..\\w.bin', '']) {
      expect(() => externalDataRef(ext(bad)), bad).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
    }
    expect(externalDataRef(ext('sub/w..bin'))?.location).toBe('sub/w..bin');
    const badOffset: TensorProto = {
      ...ext('w.bin'),
      external_data: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '-4' },
      ],
    };
    expect(() => externalDataRef(badOffset)).toThrow(expect.objectContaining({ code: 'EXTERNAL_DATA_INVALID' }));
  });
});
