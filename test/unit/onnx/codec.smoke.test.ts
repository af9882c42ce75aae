import { describe, expect, it } from 'vitest';
import { decodeModelProto, encodeModelProto, int64FromBigInt, int64ToBigInt, onnx } from '../../../src/core/onnx/codec';

describe('codec smoke', () => {
  it('imports and round-trips', () => {
    const m = onnx.ModelProto.create({ ir_version: 10, graph: { name: 'g', initializer: [{ name: 'x', int64_data: [int64FromBigInt(9223372036854775807n)] }] } });
    const bytes = encodeModelProto(m);
    const back = decodeModelProto(bytes);
    expect(int64ToBigInt(back.graph?.initializer?.[0]?.int64_data?.[0])).toBe(9223372036854775807n);
    expect(Buffer.from(encodeModelProto(back)).equals(Buffer.from(bytes))).toBe(true);
  });
});
