import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  DataLocation,
  DataType,
  decodeModelProto,
  encodeModelProto,
  int64FromBigInt,
  int64ToBigInt,
  int64ToNumber,
  onnx,
  type ModelProto,
} from '../../../../src/core/onnx/codec';
import { floatTensor, int64Tensor, makeModel, node, subgraph, tensorValue } from './helpers';

/** A model touching every message type and the fields older codecs drop. */
function richModel(): ModelProto {
  const model = makeModel({
    name: 'rich',
    inputs: [tensorValue('x', DataType.FLOAT, ['batch', 3, null])],
    outputs: [tensorValue('y', DataType.FLOAT, ['batch', 3, null])],
    initializers: [floatTensor('w', [3]), int64Tensor('ends', [1], [Number.MAX_SAFE_INTEGER])],
    nodes: [
      node('Mul', ['x', 'w'], ['m']),
      node('If', ['cond'], ['y'], {
        then_branch: subgraph('then', [node('Identity', ['m'], ['t'])], [tensorValue('t', DataType.FLOAT)]),
        else_branch: subgraph('else', [node('Neg', ['m'], ['e'])], [tensorValue('e', DataType.FLOAT)]),
      }),
    ],
    metadata: { author: 'tests', license: 'MIT' },
  });
  const graph = model.graph!;
  graph.initializer!.push({
    name: 'huge',
    data_type: DataType.INT64,
    dims: [2],
    int64_data: [int64FromBigInt(9223372036854775807n), int64FromBigInt(-9223372036854775808n)],
    metadata_props: [{ key: 'k', value: 'v' }],
  });
  graph.initializer!.push({
    name: 'ext',
    data_type: DataType.FLOAT,
    dims: [1024],
    data_location: DataLocation.EXTERNAL,
    external_data: [
      { key: 'location', value: 'weights.bin' },
      { key: 'offset', value: '4096' },
      { key: 'length', value: '4096' },
    ],
  });
  graph.sparse_initializer = [{ values: floatTensor('sp', [2], [1, 2]), indices: int64Tensor('sp_i', [2], [0, 5]), dims: [8] }];
  graph.metadata_props = [{ key: 'graph-level', value: 'yes' }];
  graph.quantization_annotation = [{ tensor_name: 'm', quant_parameter_tensor_names: [{ key: 'SCALE_TENSOR', value: 's' }] }];
  graph.value_info = [{ ...tensorValue('m', DataType.FLOAT, ['batch', 3, null]), metadata_props: [{ key: 'vi', value: '1' }] }];
  graph.node![0]!.metadata_props = [{ key: 'node', value: 'meta' }];
  graph.node![0]!.device_configurations = [
    {
      configuration_id: 'two-gpus',
      pipeline_stage: 1,
      sharding_spec: [
        {
          tensor_name: 'x',
          device: [0, 1],
          index_to_device_group_map: [{ key: 0, value: [0, 1] }],
          sharded_dim: [{ axis: 0, simple_sharding: [{ dim_param: 'batch', num_shards: 2 }] }],
        },
      ],
    },
  ];
  graph.input!.push({
    name: 'seq',
    type: {
      sequence_type: { elem_type: { map_type: { key_type: DataType.INT64, value_type: { tensor_type: { elem_type: DataType.FLOAT } } } } },
    },
  });
  graph.input!.push({ name: 'opt', type: { optional_type: { elem_type: { sparse_tensor_type: { elem_type: DataType.FLOAT } } } } });
  graph.input!.push({ name: 'cond', type: { tensor_type: { elem_type: DataType.BOOL, shape: { dim: [] } } } });
  graph.node!.push({
    op_type: 'Custom',
    domain: 'my.domain',
    overload: 'v2',
    input: ['x'],
    output: ['unused'],
    attribute: [
      { name: 'tp', type: AttributeType.TYPE_PROTO, tp: { tensor_type: { elem_type: DataType.FLOAT16 } } },
      { name: 'fs', type: AttributeType.FLOATS, floats: [0.5, 1.5] },
      { name: 'ss', type: AttributeType.STRINGS, strings: [new Uint8Array([104, 105])] },
      { name: 'ref', type: AttributeType.FLOAT, ref_attr_name: 'alpha' },
    ],
  });
  model.functions = [
    {
      name: 'Custom',
      domain: 'my.domain',
      overload: 'v2',
      input: ['a'],
      output: ['b'],
      attribute: ['alpha'],
      attribute_proto: [{ name: 'beta', type: AttributeType.INT, i: 3 }],
      node: [node('Relu', ['a'], ['b'])],
      opset_import: [{ domain: '', version: 17 }],
      value_info: [tensorValue('b', DataType.FLOAT)],
      metadata_props: [{ key: 'fn', value: 'meta' }],
    },
  ];
  model.training_info = [
    {
      initialization: subgraph('init', [], []),
      algorithm: subgraph('algo', [], []),
      initialization_binding: [{ key: 'w', value: 'w0' }],
      update_binding: [{ key: 'w', value: 'w1' }],
    },
  ];
  model.configuration = [{ name: 'two-gpus', num_devices: 2, device: ['cuda:0', 'cuda:1'] }];
  model.model_version = 7;
  model.domain = 'org.example';
  model.doc_string = 'docs';
  return model;
}

describe('ONNX codec', () => {
  it('round-trips a model byte for byte, including metadata and IR 11+ fields', () => {
    const bytes = encodeModelProto(richModel());
    const decoded = decodeModelProto(bytes);
    const again = encodeModelProto(decoded);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);

    expect(decoded.metadata_props?.map((m) => [m.key, m.value])).toEqual([
      ['author', 'tests'],
      ['license', 'MIT'],
    ]);
    expect(
      decoded.graph?.node?.[0]?.device_configurations?.[0]?.sharding_spec?.[0]?.sharded_dim?.[0]?.simple_sharding?.[0]?.dim_param,
    ).toBe('batch');
    expect(decoded.configuration?.[0]?.device).toEqual(['cuda:0', 'cuda:1']);
    expect(decoded.functions?.[0]?.overload).toBe('v2');
    expect(decoded.graph?.value_info?.[0]?.metadata_props?.[0]?.value).toBe('1');
  });

  it('keeps fields it does not know (a newer ONNX) when re-encoding', () => {
    const base = encodeModelProto(makeModel({ nodes: [], inputs: [], outputs: [] }));
    // Field 99 (varint 5) at the top level, and field 50 (a string) inside the graph.
    const graphExtra = new Uint8Array([0x92, 0x03, 0x02, 0x68, 0x69]);
    const model = decodeModelProto(base);
    const graphBytes = onnx.GraphProto.encode(model.graph!).finish();
    const graphWithExtra = new Uint8Array([...graphBytes, ...graphExtra]);
    const withUnknown = new Uint8Array([...base, 0x98, 0x06, 0x05, 0x3a, graphWithExtra.length, ...graphWithExtra]);
    const decoded = decodeModelProto(withUnknown);
    const reencoded = encodeModelProto(decoded);
    // protobuf merges the repeated graph field; the unknown bytes of both levels survive.
    const redecoded = decodeModelProto(reencoded);
    expect(redecoded.$unknowns?.map((u) => [...u])).toEqual([[0x98, 0x06, 0x05]]);
    expect(redecoded.graph?.$unknowns?.map((u) => [...u])).toEqual([[...graphExtra]]);
  });

  it('keeps int64 values beyond 2^53 exact', () => {
    const decoded = decodeModelProto(encodeModelProto(richModel()));
    const huge = decoded.graph?.initializer?.find((t) => t.name === 'huge');
    expect(huge?.int64_data?.map((v) => int64ToBigInt(v))).toEqual([9223372036854775807n, -9223372036854775808n]);
    expect(int64ToNumber(decoded.ir_version)).toBe(8);
    expect(int64ToNumber(decoded.model_version)).toBe(7);
    expect(int64ToBigInt('-5')).toBe(-5n);
    expect(int64ToNumber(undefined)).toBe(0);
  });

  it('decodes bytes fields as views into the input buffer (no copies of weights)', () => {
    const bytes = encodeModelProto(makeModel({ nodes: [], inputs: [], outputs: [], initializers: [floatTensor('w', [1000])] }));
    const decoded = decodeModelProto(bytes);
    const raw = decoded.graph!.initializer![0]!.raw_data!;
    expect(raw.buffer).toBe(bytes.buffer);
    expect(raw.length).toBe(4000);
  });
});

describe('generated codec', () => {
  it('matches what scripts/gen-onnx-codec.mjs makes from onnx.proto', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['scripts/gen-onnx-codec.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  }, 30_000);
});
