import { describe, expect, it } from 'vitest';
import { attr, buildModel, buildModelBytes, GraphBuilder, irVersionForOpset, NameAllocator, tensor } from '../../../../src/core/onnx/build';
import { AttributeType, DataType, decodeModelProto, int64ToNumber } from '../../../../src/core/onnx/codec';
import type { AttributeProto, NodeProto } from '../../../../src/core/onnx/codec';
import { InferscopeError } from '../../../../src/shared/errors';

function attributeOf(node: NodeProto | undefined, name: string): AttributeProto {
  const found = node?.attribute?.find((a) => a.name === name);
  if (!found) throw new Error(`no attribute ${name}`);
  return found;
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof InferscopeError ? error.code : 'not an InferscopeError';
  }
  return undefined;
}

describe('tensor', () => {
  it('writes little-endian raw_data with the element type and dims', () => {
    const t = tensor('w', new Float32Array([1, -2.5]), [2]);
    expect(t.data_type).toBe(DataType.FLOAT);
    expect(t.dims).toEqual([2]);
    const view = new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, t.raw_data!.byteLength);
    expect(view.getFloat32(0, true)).toBe(1);
    expect(view.getFloat32(4, true)).toBe(-2.5);

    const ints = tensor('i', new BigInt64Array([-1n, 2n ** 40n]), [2]);
    expect(ints.data_type).toBe(DataType.INT64);
    const intView = new DataView(ints.raw_data!.buffer, ints.raw_data!.byteOffset, 16);
    expect(intView.getBigInt64(0, true)).toBe(-1n);
    expect(intView.getBigInt64(8, true)).toBe(2n ** 40n);
  });

  it('writes scalars with empty dims and copies the data', () => {
    const source = new Float32Array([0.5]);
    const t = tensor('s', source, []);
    source[0] = 7;
    expect(t.dims).toEqual([]);
    expect(new DataView(t.raw_data!.buffer, t.raw_data!.byteOffset, 4).getFloat32(0, true)).toBe(0.5);
  });

  it('stores narrower types in their storage arrays and refuses mismatches', () => {
    expect(tensor('h', new Uint16Array([0x3c00]), [1], 'float16').data_type).toBe(DataType.FLOAT16);
    expect(tensor('b', new Uint8Array([1, 0]), [2], 'bool').data_type).toBe(DataType.BOOL);
    expect(tensor('q', new Uint8Array([0x21, 0x03]), [3], 'int4').raw_data).toHaveLength(2);
    expect(tensor('s', ['a', 'bc'], [2]).string_data?.map((b) => Buffer.from(b).toString())).toEqual(['a', 'bc']);
    expect(codeOf(() => tensor('x', new Float32Array(3), [2]))).toBe('INTERNAL');
    expect(codeOf(() => tensor('x', new Float32Array(2), [2], 'int64'))).toBe('INTERNAL');
  });
});

describe('GraphBuilder', () => {
  it('types every attribute, inferring plain values and honouring explicit ones', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 4]);
    const y = g.op('Custom', [x], {
      count: 3,
      ratio: 0.25,
      whole: attr.float(1),
      mode: 'linear',
      axes: [0, 1],
      scales: [0.5, 2],
      names: ['a', 'b'],
      big: 5n,
      value: tensor('', new Float32Array([1]), []),
      skipped: undefined,
    });
    g.output(y, 'float32');
    const node = g.build().node?.[0];
    expect(attributeOf(node, 'count')).toMatchObject({ type: AttributeType.INT, i: 3 });
    expect(attributeOf(node, 'ratio')).toMatchObject({ type: AttributeType.FLOAT, f: 0.25 });
    expect(attributeOf(node, 'whole')).toMatchObject({ type: AttributeType.FLOAT, f: 1 });
    expect(attributeOf(node, 'mode').type).toBe(AttributeType.STRING);
    expect(Buffer.from(attributeOf(node, 'mode').s!).toString()).toBe('linear');
    expect(attributeOf(node, 'axes')).toMatchObject({ type: AttributeType.INTS, ints: [0, 1] });
    expect(attributeOf(node, 'scales')).toMatchObject({ type: AttributeType.FLOATS, floats: [0.5, 2] });
    expect(attributeOf(node, 'names').type).toBe(AttributeType.STRINGS);
    expect(attributeOf(node, 'big')).toMatchObject({ type: AttributeType.INT, i: 5 });
    expect(attributeOf(node, 'value').type).toBe(AttributeType.TENSOR);
    expect(node?.attribute?.some((a) => a.name === 'skipped')).toBe(false);
    expect(codeOf(() => g.op('Custom', [x], { empty: [] }))).toBe('INTERNAL');
    expect(codeOf(() => g.op('Custom', [x], { foreign: { dims: [1] } as never }))).toBe('INTERNAL');
  });

  it('names nodes and values from one allocator and refuses duplicates', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', ['batch', 4]);
    const a = g.op('Relu', [x]);
    const b = g.op('Relu', [a]);
    const c = g.scope('block', () => g.op('Relu', [b]));
    g.output(c, 'float32');
    const nodes = g.build().node ?? [];
    expect(nodes.map((n) => n.name)).toEqual(['Relu', 'Relu_1', '/block/Relu']);
    expect([a, b, c]).toEqual(['Relu_output_0', 'Relu_1_output_0', '/block/Relu_output_0']);
    expect(codeOf(() => g.input('x', 'float32'))).toBe('INTERNAL');
    expect(codeOf(() => g.op('Relu', [x], {}, { output: a }))).toBe('INTERNAL');
    expect(codeOf(() => g.initializer('Relu', new Float32Array(1), [1]))).toBe('INTERNAL');

    const names = new NameAllocator(['t', 't_1']);
    expect(names.fresh('t')).toBe('t_2');
    expect(names.fresh('u')).toBe('u');
  });

  it('only lets a node read values that already exist', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1]);
    expect(codeOf(() => g.op('Add', [x, 'later']))).toBe('INTERNAL');
    expect(g.op('Clip', [x, '', ''])).toBe('Clip_output_0');
    expect(codeOf(() => g.output('nowhere', 'float32'))).toBe('INTERNAL');
    expect(codeOf(() => new GraphBuilder('empty').build())).toBe('INTERNAL');
  });

  it('builds subgraphs that read the outer scope and share the namespace', () => {
    const g = new GraphBuilder('main');
    const cond = g.input('cond', 'bool', []);
    const x = g.input('x', 'float32', [2]);
    const thenBranch = g.subgraph('then', (s) => {
      const doubled = s.op('Add', [x, x]);
      s.output(doubled, 'float32', [2]);
    });
    const elseBranch = g.subgraph('else', (s) => {
      const negated = s.op('Neg', [x]);
      s.output(negated, 'float32', [2]);
    });
    const y = g.op('If', [cond], { then_branch: thenBranch, else_branch: elseBranch }, { output: 'y' });
    g.output(y, 'float32', [2]);
    const graph = g.build();
    const ifNode = graph.node?.[0];
    expect(attributeOf(ifNode, 'then_branch').type).toBe(AttributeType.GRAPH);
    expect(attributeOf(ifNode, 'else_branch').g?.node?.[0]?.op_type).toBe('Neg');
    // Subgraph node names come from the same allocator: no clash with anything outside.
    expect(ifNode?.name).toBe('If');
    expect(thenBranch.node?.[0]?.name).toBe('Add');
    expect(codeOf(() => g.subgraph('bad', (s) => s.op('Relu', ['missing'])))).toBe('INTERNAL');
  });

  it('emits Constant nodes with a tensor value', () => {
    const g = new GraphBuilder('g');
    const c = g.constant(new BigInt64Array([4n]), [], { name: 'four' });
    g.output(c, 'int64', []);
    const node = g.build().node?.[0];
    expect(node).toMatchObject({ op_type: 'Constant', name: 'four' });
    const value = attributeOf(node, 'value');
    expect(value.type).toBe(AttributeType.TENSOR);
    expect(value.t).toMatchObject({ data_type: DataType.INT64, dims: [] });
    expect(value.t?.name).toBeUndefined();
  });
});

describe('buildModel', () => {
  function tiny(domain?: string): GraphBuilder {
    const g = new GraphBuilder('tiny');
    const x = g.input('x', 'float32', ['n']);
    g.output(g.op(domain ? 'FastGelu' : 'Relu', [x], {}, domain ? { domain } : {}), 'float32', ['n']);
    return g;
  }

  it('picks the IR version of the opset and sets producer and metadata', () => {
    const model = decodeModelProto(buildModelBytes(tiny(), { metadata: { k: 'v' }, docString: 'doc' }));
    expect(int64ToNumber(model.ir_version)).toBe(8);
    expect(model.opset_import?.map((o) => [o.domain, int64ToNumber(o.version)])).toEqual([['', 17]]);
    expect(model.producer_name).toBe('inferscope');
    expect(model.metadata_props).toEqual([expect.objectContaining({ key: 'k', value: 'v' })]);
    expect(model.doc_string).toBe('doc');
    expect(model.graph?.input?.[0]?.type?.tensor_type?.shape?.dim?.[0]?.dim_param).toBe('n');
    expect([13, 15, 17, 18, 19, 21, 23, 24, 27].map(irVersionForOpset)).toEqual([7, 8, 8, 8, 9, 10, 11, 12, 13]);
    expect(int64ToNumber(buildModel(tiny(), { opset: 21 }).ir_version)).toBe(10);
  });

  it('imports the opsets of other domains the graph uses', () => {
    const model = buildModel(tiny('com.microsoft'));
    expect(model.opset_import).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(codeOf(() => buildModel(tiny('example.custom')))).toBe('INTERNAL');
    expect(buildModel(tiny('example.custom'), { extraOpsets: [{ domain: 'example.custom', version: 2 }] }).opset_import).toHaveLength(2);
  });
});
