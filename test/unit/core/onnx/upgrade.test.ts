import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  DataType,
  encodeModelProto,
  int64FromBigInt,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../../../../src/core/onnx/codec';
import { readTensorNumbers, readTensorValues } from '../../../../src/core/onnx/tensor';
import { needsUpgrade, upgradeModel, UPGRADE_TARGET_IR, UPGRADE_TARGET_OPSET } from '../../../../src/core/onnx/upgrade';
import { InferscopeError } from '../../../../src/shared/errors';
import { floatTensor, makeModel, node, subgraph, tensorValue, type ModelSpec } from './helpers';

const F = DataType.FLOAT;

/** One node on `x` (float [2, 3, 4, 5] unless said) at `opset`. */
function single(op: NodeProto, opset: number, extra: Partial<ModelSpec> = {}): ModelProto {
  return makeModel({
    opset,
    irVersion: 7,
    inputs: [tensorValue('x', F, [2, 3, 4, 5])],
    outputs: (op.output ?? []).filter(Boolean).map((o) => tensorValue(o, F)),
    nodes: [op],
    ...extra,
  });
}

function upgraded(model: ModelProto): ModelProto {
  return upgradeModel(model).model;
}

function nodes(model: ModelProto): NodeProto[] {
  return model.graph?.node ?? [];
}

function initializer(model: ModelProto, name: string | undefined): TensorProto {
  const found = (model.graph?.initializer ?? []).find((t) => t.name === name);
  if (!found) throw new Error(`no initializer ${name}`);
  return found;
}

function values(model: ModelProto, name: string | undefined): number[] {
  return readTensorNumbers(initializer(model, name));
}

function attributeNames(n: NodeProto | undefined): string[] {
  return (n?.attribute ?? []).map((a) => a.name ?? '');
}

function stringAttribute(n: NodeProto | undefined, name: string): string | undefined {
  const a = (n?.attribute ?? []).find((x) => x.name === name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

function refusal(model: ModelProto): InferscopeError {
  try {
    upgradeModel(model);
  } catch (error) {
    if (error instanceof InferscopeError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('versions', () => {
  it('says which models need the upgrade', () => {
    expect(needsUpgrade(single(node('Relu', ['x'], ['y']), 11))).toBe(true);
    expect(needsUpgrade(single(node('Relu', ['x'], ['y']), 13))).toBe(false);
    expect(needsUpgrade(single(node('Relu', ['x'], ['y']), 11), 11)).toBe(false);
    expect(needsUpgrade(makeModel({ ...specOf(single(node('Relu', ['x'], ['y']), 13)), irVersion: 3 }))).toBe(true);
  });

  it('sets IR 8 and opset 13, and never downgrades', () => {
    const { model, plan } = upgradeModel(single(node('Relu', ['x'], ['y']), 9));
    expect(model.ir_version).toBe(UPGRADE_TARGET_IR);
    expect(model.opset_import?.[0]?.version).toBe(UPGRADE_TARGET_OPSET);
    expect(plan).toMatchObject({ fromIr: 7, fromOpset: 9, toIr: 8, toOpset: 13, changes: [], removedInitializerInputs: 0 });
    const newer = makeModel({ ...specOf(single(node('Softmax', ['x'], ['y']), 17)), irVersion: 9 });
    const kept = upgradeModel(newer);
    expect(kept.model.opset_import?.[0]?.version).toBe(17);
    expect(kept.model.ir_version).toBe(9);
    expect(kept.plan.changes).toEqual([]);
    expect(attributeNames(nodes(kept.model)[0])).toEqual([]);
  });

  it('leaves other domains and their opsets alone', () => {
    const model = single(node('FusedGemm', ['x'], ['y'], { alpha: { float: 1 } }, { domain: 'com.microsoft' }), 11, {
      extraOpsets: [
        { domain: 'com.microsoft', version: 1 },
        { domain: 'ai.onnx.ml', version: 2 },
      ],
    });
    const out = upgraded(model);
    expect(out.opset_import).toEqual([
      { domain: '', version: 13 },
      { domain: 'com.microsoft', version: 1 },
      { domain: 'ai.onnx.ml', version: 2 },
    ]);
    expect(nodes(out)).toEqual(nodes(model));
  });

  it('drops graph inputs that name initializers (IR 3)', () => {
    const model = makeModel({
      opset: 7,
      irVersion: 3,
      inputs: [tensorValue('x', F, [2, 4]), tensorValue('w', F, [4, 3])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [4, 3])],
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
    });
    const { model: out, plan } = upgradeModel(model);
    expect(out.graph?.input?.map((i) => i.name)).toEqual(['x']);
    expect(plan.removedInitializerInputs).toBe(1);
    expect(out.graph?.initializer?.map((t) => t.name)).toEqual(['w']);
  });

  it('never modifies the model it is given', () => {
    const thenBranch = subgraph('then', [node('Clip', ['x'], ['t'], { max: { float: 1 } })], [tensorValue('t', F)]);
    const model = makeModel({
      opset: 9,
      irVersion: 3,
      inputs: [tensorValue('c', DataType.BOOL, []), tensorValue('x', F, [2, 3, 4, 5]), tensorValue('w', F, [1])],
      outputs: [tensorValue('y', F), tensorValue('s', F), tensorValue('i', F)],
      initializers: [floatTensor('w', [1])],
      nodes: [
        node('Softmax', ['x'], ['s']),
        node('Clip', ['x'], ['y'], { min: { float: 0 } }),
        node('If', ['c'], ['i'], { then_branch: thenBranch, else_branch: thenBranch }),
      ],
    });
    const before = encodeModelProto(model);
    const snapshot = JSON.stringify(model);
    upgradeModel(model);
    expect(encodeModelProto(model)).toEqual(before);
    expect(JSON.stringify(model)).toBe(snapshot);
  });
});

/** The spec a model was made from, to vary one field. */
function specOf(model: ModelProto): ModelSpec {
  const g = model.graph ?? {};
  return {
    nodes: g.node ?? [],
    inputs: g.input ?? [],
    outputs: g.output ?? [],
    initializers: g.initializer ?? [],
    opset: Number(model.opset_import?.[0]?.version),
  };
}

describe('attributes that became inputs', () => {
  it('Clip: bounds become scalar inputs of the input type; an absent min is an empty name', () => {
    const out = upgraded(single(node('Clip', ['x'], ['y'], { max: { float: 6 } }, { name: 'relu6' }), 9));
    const clip = nodes(out)[0];
    expect(clip?.name).toBe('relu6');
    expect(clip?.input?.[0]).toBe('x');
    expect(clip?.input?.[1]).toBe('');
    expect(attributeNames(clip)).toEqual([]);
    const max = initializer(out, clip?.input?.[2]);
    expect(max).toMatchObject({ data_type: F, dims: [] });
    expect(max.name?.startsWith('relu6_')).toBe(true);
    expect(values(out, clip?.input?.[2])).toEqual([6]);
    const both = upgraded(single(node('Clip', ['x'], ['y'], { min: { float: -1 }, max: { float: 1 } }), 6));
    expect(nodes(both)[0]?.input).toHaveLength(3);
    expect(values(both, nodes(both)[0]?.input?.[1])).toEqual([-1]);
    const minOnly = upgraded(single(node('Clip', ['x'], ['y'], { min: { float: 0 } }), 9));
    expect(nodes(minOnly)[0]?.input).toHaveLength(2);
  });

  it('Clip follows float16 and double inputs, and refuses an unknown type', () => {
    for (const type of [DataType.FLOAT16, DataType.DOUBLE]) {
      const model = single(node('Clip', ['x'], ['y'], { max: { float: 0.5 } }), 9, { inputs: [tensorValue('x', type, [3])] });
      const out = upgraded(model);
      const max = initializer(out, nodes(out)[0]?.input?.[2]);
      expect(max.data_type).toBe(type);
      expect(readTensorNumbers(max)).toEqual([0.5]);
    }
    const unknown = single(node('Clip', ['z'], ['y'], { max: { float: 1 } }), 9, {
      nodes: [node('Custom', ['x'], ['z'], {}, { domain: 'example.custom' }), node('Clip', ['z'], ['y'], { max: { float: 1 } })],
      extraOpsets: [{ domain: 'example.custom', version: 1 }],
    });
    expect(refusal(unknown)).toMatchObject({ code: 'UPGRADE_UNSUPPORTED' });
    expect(refusal(unknown).message).toContain('element type');
  });

  it('Slice: starts/ends/axes become int64 inputs', () => {
    const out = upgraded(single(node('Slice', ['x'], ['y'], { starts: [0, -2], ends: [1, 1000], axes: [1, 3] }), 9));
    const slice = nodes(out)[0];
    expect(slice?.input).toHaveLength(4);
    for (const [i, expected] of [
      [1, [0, -2]],
      [2, [1, 1000]],
      [3, [1, 3]],
    ] as const) {
      expect(initializer(out, slice?.input?.[i]).data_type).toBe(DataType.INT64);
      expect(values(out, slice?.input?.[i])).toEqual(expected);
    }
    const noAxes = upgraded(single(node('Slice', ['x'], ['y'], { starts: [0], ends: [1] }), 9));
    expect(nodes(noAxes)[0]?.input).toHaveLength(3);
    // Opset 10 already takes inputs: nothing to do.
    const ten = single(node('Slice', ['x', 's', 'e'], ['y']), 10, { initializers: [] });
    expect(upgradeModel(ten).plan.changes).toEqual([]);
  });

  it('Squeeze, Unsqueeze, Split and ReduceSum at opset 13 take their axes/sizes as inputs', () => {
    const model = single(node('Squeeze', ['x'], ['a'], { axes: [1] }), 11, {
      nodes: [
        node('Squeeze', ['x'], ['a'], { axes: [1] }),
        node('Squeeze', ['x'], ['b']),
        node('Unsqueeze', ['x'], ['c'], { axes: [0, -1] }),
        node('Split', ['x'], ['d1', 'd2'], { axis: 1, split: [1, 2] }),
        node('Split', ['x'], ['e1', 'e2', 'e3'], { axis: 1 }),
        node('ReduceSum', ['x'], ['f'], { axes: [2, 3], keepdims: 0 }),
        node('ReduceSum', ['x'], ['g']),
        node('ReduceMean', ['x'], ['h'], { axes: [1] }),
      ],
    });
    const out = upgraded(model);
    const byOutput = (o: string) => nodes(out).find((n) => n.output?.[0] === o);
    expect(values(out, byOutput('a')?.input?.[1])).toEqual([1]);
    expect(byOutput('b')?.input).toEqual(['x']);
    expect(values(out, byOutput('c')?.input?.[1])).toEqual([0, -1]);
    expect(values(out, byOutput('d1')?.input?.[1])).toEqual([1, 2]);
    expect(attributeNames(byOutput('d1'))).toEqual(['axis']);
    expect(byOutput('e1')?.input).toEqual(['x']);
    expect(values(out, byOutput('f')?.input?.[1])).toEqual([2, 3]);
    expect(attributeNames(byOutput('f'))).toEqual(['keepdims']);
    expect(byOutput('g')?.input).toEqual(['x']);
    // Other reductions keep axes as an attribute until opset 18.
    expect(byOutput('h')?.input).toEqual(['x']);
    expect(attributeNames(byOutput('h'))).toEqual(['axes']);
  });

  it('TopK: k becomes a one-element int64 input', () => {
    const out = upgraded(single(node('TopK', ['x'], ['v', 'i'], { k: 3, axis: -1 }), 9));
    expect(values(out, nodes(out)[0]?.input?.[1])).toEqual([3]);
    expect(initializer(out, nodes(out)[0]?.input?.[1]).dims).toEqual([1]);
    expect(attributeNames(nodes(out)[0])).toEqual(['axis']);
  });

  it('Pad: pads and value become inputs; mode stays; Pad-1 paddings too', () => {
    const out = upgraded(single(node('Pad', ['x'], ['y'], { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { float: 2.5 } }), 10));
    const pad = nodes(out)[0];
    expect(values(out, pad?.input?.[1])).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(initializer(out, pad?.input?.[2])).toMatchObject({ data_type: F, dims: [] });
    expect(values(out, pad?.input?.[2])).toEqual([2.5]);
    const reflect = upgraded(
      single(node('Pad', ['x'], ['y'], { mode: 'reflect', pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { float: 2 } }), 10),
    );
    expect(nodes(reflect)[0]?.input).toHaveLength(2);
    expect(stringAttribute(nodes(reflect)[0], 'mode')).toBe('reflect');
    const one = upgraded(single(node('Pad', ['x'], ['y'], { paddings: [1, 1, 1, 1, 1, 1, 1, 1] }), 1));
    expect(values(one, nodes(one)[0]?.input?.[1])).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(attributeNames(nodes(one)[0])).toEqual([]);
  });

  it('Reshape-1: the shape attribute becomes an input', () => {
    const out = upgraded(single(node('Reshape', ['x'], ['y'], { shape: [0, -1], consumed_inputs: [0] }), 4));
    expect(values(out, nodes(out)[0]?.input?.[1])).toEqual([0, -1]);
    expect(attributeNames(nodes(out)[0])).toEqual([]);
  });

  it('Dropout: ratio becomes an input, is_test and an unread mask go, a read mask is refused', () => {
    const out = upgraded(
      single(node('Dropout', ['x'], ['y', 'mask'], { ratio: { float: 0.25 }, is_test: 1 }), 6, { outputs: [tensorValue('y', F)] }),
    );
    const dropout = nodes(out)[0];
    expect(dropout?.output).toEqual(['y']);
    expect(attributeNames(dropout)).toEqual([]);
    expect(values(out, dropout?.input?.[1])).toEqual([0.25]);
    const read = single(node('Dropout', ['x'], ['y', 'mask'], {}, { name: 'drop' }), 10);
    const error = refusal(read);
    expect(error.code).toBe('UPGRADE_UNSUPPORTED');
    expect(error.message).toContain("Node 'drop' (Dropout, opset 10)");
  });
});

describe('Softmax, LogSoftmax and Hardmax', () => {
  it('only sets axis=-1 when the old axis is the last one', () => {
    const out = upgraded(single(node('Softmax', ['x'], ['y'], { axis: 3 }), 11));
    expect(nodes(out).map((n) => n.op_type)).toEqual(['Softmax']);
    expect(nodes(out)[0]?.attribute?.[0]).toMatchObject({ name: 'axis', type: AttributeType.INT, i: -1 });
    const negative = upgraded(single(node('LogSoftmax', ['x'], ['y'], { axis: -1 }), 12));
    expect(nodes(negative).map((n) => n.op_type)).toEqual(['LogSoftmax']);
  });

  it('rewrites an NCHW Softmax without axis as Flatten → Softmax → Reshape, keeping names and order', () => {
    const model = single(node('Relu', ['x'], ['r']), 9, {
      nodes: [node('Relu', ['x'], ['r']), node('Softmax', ['r'], ['y'], {}, { name: 'prob' }), node('Neg', ['y'], ['z'])],
      outputs: [tensorValue('z', F), tensorValue('y', F)],
    });
    const { model: out, plan } = upgradeModel(model);
    const list = nodes(out);
    expect(list.map((n) => n.op_type)).toEqual(['Relu', 'Shape', 'Flatten', 'Softmax', 'Reshape', 'Neg']);
    const [, shape, flatten, softmax, reshape] = list;
    expect(shape?.input).toEqual(['r']);
    expect(flatten?.input).toEqual(['r']);
    expect(flatten?.attribute?.[0]).toMatchObject({ name: 'axis', i: 1 });
    expect(softmax?.name).toBe('prob');
    expect(softmax?.input).toEqual(flatten?.output);
    expect(softmax?.attribute?.[0]).toMatchObject({ name: 'axis', i: -1 });
    expect(reshape?.input).toEqual([softmax?.output?.[0], shape?.output?.[0]]);
    expect(reshape?.output).toEqual(['y']);
    for (const n of [shape, flatten, reshape]) expect(n?.name?.startsWith('prob_')).toBe(true);
    expect(out.graph?.output?.map((o) => o.name)).toEqual(['z', 'y']);
    expect(plan.changes).toEqual([{ node: 'prob', op: 'Softmax', what: expect.stringContaining('Flatten') }]);
    const names = list.flatMap((n) => [n.name, ...(n.output ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('rewrites when the rank is unknown, and Hardmax too', () => {
    const model = single(node('Hardmax', ['x'], ['y'], { axis: 2 }), 11, { inputs: [tensorValue('x', F)] });
    expect(nodes(upgraded(model)).map((n) => n.op_type)).toEqual(['Shape', 'Flatten', 'Hardmax', 'Reshape']);
  });
});

describe('Upsample and Resize', () => {
  it('Upsample with a scales attribute becomes Resize(x, "", scales), nearest floor asymmetric', () => {
    const out = upgraded(single(node('Upsample', ['x'], ['y'], { scales: { floats: [1, 1, 2, 2] } }, { name: 'up' }), 7));
    const resize = nodes(out)[0];
    expect(resize).toMatchObject({ name: 'up', op_type: 'Resize', output: ['y'] });
    expect(resize?.input?.slice(0, 2)).toEqual(['x', '']);
    expect(values(out, resize?.input?.[2])).toEqual([1, 1, 2, 2]);
    expect(stringAttribute(resize, 'mode')).toBe('nearest');
    expect(stringAttribute(resize, 'coordinate_transformation_mode')).toBe('asymmetric');
    expect(stringAttribute(resize, 'nearest_mode')).toBe('floor');
  });

  it('Upsample linear with a scales input, and opset-1 width/height scales', () => {
    const nine = upgraded(single(node('Upsample', ['x', 's'], ['y'], { mode: 'bilinear' }), 9, { initializers: [floatTensor('s', [4])] }));
    expect(nodes(nine)[0]?.input).toEqual(['x', '', 's']);
    expect(stringAttribute(nodes(nine)[0], 'mode')).toBe('linear');
    expect(stringAttribute(nodes(nine)[0], 'nearest_mode')).toBeUndefined();
    const one = upgraded(single(node('Upsample', ['x'], ['y'], { width_scale: { float: 3 }, height_scale: { float: 2 } }), 1));
    expect(values(one, nodes(one)[0]?.input?.[2])).toEqual([1, 1, 2, 3]);
  });

  it('Resize-10 gains roi and the opset-10 coordinate mapping; shrinking picks ceil', () => {
    const resize = (scales: number[]) =>
      upgraded(single(node('Resize', ['x', 's'], ['y']), 10, { initializers: [floatTensor('s', [4], scales)] }));
    const up = nodes(resize([1, 1, 2, 2]))[0];
    expect(up?.input).toEqual(['x', '', 's']);
    expect(stringAttribute(up, 'coordinate_transformation_mode')).toBe('asymmetric');
    expect(stringAttribute(up, 'nearest_mode')).toBe('floor');
    expect(stringAttribute(nodes(resize([1, 1, 0.6, 0.6]))[0], 'nearest_mode')).toBe('ceil');
    expect(stringAttribute(nodes(resize([1, 1, 0.5, 0.25]))[0], 'nearest_mode')).toBe('floor');
    const mixed = single(node('Resize', ['x', 's'], ['y'], {}, { name: 'rs' }), 10, {
      initializers: [floatTensor('s', [4], [1, 1, 2, 0.6])],
    });
    expect(refusal(mixed).message).toContain("Node 'rs' (Resize, opset 10)");
  });

  it('Resize-11 tf_half_pixel_for_nn maps to half_pixel with the matching rounding, or is refused', () => {
    const model = (mode: string, nearest: string) =>
      single(
        node('Resize', ['x', 'r', 's'], ['y'], { mode, coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: nearest }),
        11,
        {
          initializers: [floatTensor('r', [0], []), floatTensor('s', [4], [1, 1, 2, 2])],
        },
      );
    const floor = nodes(upgraded(model('nearest', 'floor')))[0];
    expect(stringAttribute(floor, 'coordinate_transformation_mode')).toBe('half_pixel');
    expect(stringAttribute(floor, 'nearest_mode')).toBe('round_prefer_ceil');
    expect(stringAttribute(nodes(upgraded(model('nearest', 'round_prefer_floor')))[0], 'nearest_mode')).toBe('ceil');
    expect(refusal(model('nearest', 'ceil')).code).toBe('UPGRADE_UNSUPPORTED');
    expect(refusal(model('linear', 'floor')).code).toBe('UPGRADE_UNSUPPORTED');
  });
});

describe('early-opset changes', () => {
  const bnInputs = ['x', 'scale', 'bias', 'mean', 'var'];
  const bnInitializers = () => ['scale', 'bias', 'mean', 'var'].map((n) => floatTensor(n, [3]));

  it('BatchNormalization loses spatial/is_test/consumed_inputs and unread training outputs', () => {
    const model = single(node('BatchNormalization', bnInputs, ['y', 'm', 'v'], { spatial: 1, is_test: 1, consumed_inputs: [0, 0] }), 5, {
      initializers: bnInitializers(),
      outputs: [tensorValue('y', F)],
      valueInfo: [tensorValue('m', F, [3])],
    });
    const out = upgraded(model);
    expect(nodes(out)[0]?.output).toEqual(['y']);
    expect(attributeNames(nodes(out)[0])).toEqual([]);
    expect(out.graph?.value_info).toEqual([]);
  });

  it('refuses BatchNormalization with spatial=0, naming the node', () => {
    const model = single(node('BatchNormalization', bnInputs, ['y'], { spatial: 0 }, { name: 'bn1' }), 7, {
      initializers: bnInitializers(),
    });
    const error = refusal(model);
    expect(error.code).toBe('UPGRADE_UNSUPPORTED');
    expect(error.message).toBe("Node 'bn1' (BatchNormalization, opset 7) uses spatial=0, which has no opset-13 equivalent.");
    expect(error.detail).toBe('bn1');
    const read = single(node('BatchNormalization', bnInputs, ['y', 'm'], {}, { name: 'bn2' }), 7, {
      initializers: bnInitializers(),
      outputs: [tensorValue('y', F), tensorValue('m', F)],
    });
    expect(refusal(read).message).toContain("'bn2'");
  });

  it('consumed_inputs goes from opset-5 operators', () => {
    const out = upgraded(single(node('Relu', ['x'], ['y'], { consumed_inputs: [0] }), 5));
    expect(attributeNames(nodes(out)[0])).toEqual([]);
  });

  it('Caffe-style broadcast from an axis becomes an Unsqueeze of the second input', () => {
    const model = single(node('Add', ['x', 'b'], ['y'], { broadcast: 1, axis: 1 }, { name: 'add' }), 6, {
      initializers: [floatTensor('b', [3])],
    });
    const out = upgraded(model);
    const [unsqueeze, add] = nodes(out);
    expect(unsqueeze?.op_type).toBe('Unsqueeze');
    expect(unsqueeze?.input?.[0]).toBe('b');
    expect(values(out, unsqueeze?.input?.[1])).toEqual([1, 2]);
    expect(add?.input).toEqual(['x', unsqueeze?.output?.[0]]);
    expect(attributeNames(add)).toEqual([]);
    const trailing = upgraded(single(node('Mul', ['x', 'b'], ['y'], { broadcast: 1 }), 6, { initializers: [floatTensor('b', [5])] }));
    expect(nodes(trailing).map((n) => n.op_type)).toEqual(['Mul']);
    const unknown = single(node('Sub', ['x', 'b'], ['y'], { broadcast: 1, axis: 0 }), 6, {
      inputs: [tensorValue('x', F), tensorValue('b', F)],
    });
    expect(refusal(unknown).code).toBe('UPGRADE_UNSUPPORTED');
  });

  it('Concat gets its old default axis; Gemm, GRU and LpPool lose or retype attributes', () => {
    const concat = upgraded(single(node('Concat', ['x', 'x'], ['y']), 3));
    expect(nodes(concat)[0]?.attribute?.[0]).toMatchObject({ name: 'axis', i: 1 });
    const gemm = upgraded(single(node('Gemm', ['x', 'x', 'x'], ['y'], { broadcast: 1, transB: 1 }), 6));
    expect(attributeNames(nodes(gemm)[0])).toEqual(['transB']);
    const gru = upgraded(single(node('GRU', ['x', 'x', 'x'], ['y'], { hidden_size: 2, output_sequence: 1 }), 6));
    expect(attributeNames(nodes(gru)[0])).toEqual(['hidden_size']);
    const lp = upgraded(single(node('LpPool', ['x'], ['y'], { p: { float: 3 }, kernel_shape: [2, 2] }), 1));
    expect(nodes(lp)[0]?.attribute?.find((a) => a.name === 'p')).toMatchObject({ type: AttributeType.INT, i: 3 });
  });

  it('Scatter becomes ScatterElements', () => {
    const out = upgraded(single(node('Scatter', ['x', 'i', 'u'], ['y'], { axis: 1 }), 9));
    expect(nodes(out)[0]).toMatchObject({ op_type: 'ScatterElements', input: ['x', 'i', 'u'] });
  });

  it('refuses what it cannot keep exact, with the code and the node', () => {
    const cases: [NodeProto, number][] = [
      [node('Cast', ['x'], ['y'], { to: 'FLOAT' }, { name: 'cast' }), 5],
      [node('Scan', ['x'], ['y'], {}, { name: 'scan' }), 8],
      [node('Tile', ['x', 't', 'a'], ['y'], {}, { name: 'tile' }), 5],
      [node('Split', ['x', 's'], ['y'], {}, { name: 'split' }), 1],
      [node('Celu', ['x'], ['y'], {}, { name: 'celu' }), 11],
      [node('ImageScaler', ['x'], ['y'], {}, { name: 'scaler' }), 9],
    ];
    for (const [n, opset] of cases) {
      const error = refusal(single(n, opset));
      expect(error.code).toBe('UPGRADE_UNSUPPORTED');
      expect(error.message).toContain(`Node '${n.name}' (${n.op_type}, opset ${opset})`);
    }
  });

  it('refuses functions at an old opset and ONNX nodes without an ONNX opset', () => {
    const withFunction = single(node('Relu', ['x'], ['y']), 11);
    withFunction.functions = [{ name: 'f', domain: 'local', node: [node('Relu', ['a'], ['b'])] }];
    expect(refusal(withFunction).code).toBe('UPGRADE_UNSUPPORTED');
    const noImport = single(node('Relu', ['x'], ['y']), 11);
    noImport.opset_import = [{ domain: 'ai.onnx.ml', version: 2 }];
    expect(refusal(noImport).code).toBe('UPGRADE_UNSUPPORTED');
  });
});

describe('subgraphs', () => {
  it('converts If branches and Loop bodies, adding constants to the body that needs them', () => {
    const thenBranch = subgraph('then', [node('Clip', ['x'], ['t'], { min: { float: 0 }, max: { float: 1 } })], [tensorValue('t', F)]);
    const elseBranch = subgraph('else', [node('Unsqueeze', ['x'], ['e'], { axes: [0] })], [tensorValue('e', F)]);
    const body = subgraph(
      'body',
      [
        node('Squeeze', ['state'], ['next'], { axes: [0] }),
        node('Unsqueeze', ['next'], ['out'], { axes: [0] }),
        node('Identity', ['cond'], ['cond_out']),
      ],
      [tensorValue('cond_out', DataType.BOOL, []), tensorValue('out', F)],
      [tensorValue('i', DataType.INT64, []), tensorValue('cond', DataType.BOOL, []), tensorValue('state', F, [1, 4])],
    );
    const model = makeModel({
      opset: 10,
      irVersion: 5,
      inputs: [tensorValue('c', DataType.BOOL, []), tensorValue('x', F, [1, 4]), tensorValue('n', DataType.INT64, [])],
      outputs: [tensorValue('y', F), tensorValue('z', F)],
      nodes: [
        node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: elseBranch }),
        node('Loop', ['n', 'c', 'x'], ['z'], { body }),
      ],
    });
    const { model: out, plan } = upgradeModel(model);
    const [ifNode, loop] = nodes(out);
    const then = ifNode?.attribute?.find((a) => a.name === 'then_branch')?.g;
    const clip = then?.node?.[0];
    expect(clip?.input).toHaveLength(3);
    expect(then?.initializer?.map((t) => t.name)).toEqual([clip?.input?.[1], clip?.input?.[2]]);
    expect(out.graph?.initializer).toEqual([]);
    const loopBody = loop?.attribute?.[0]?.g;
    expect(loopBody?.node?.map((n) => n.input?.length)).toEqual([2, 2, 1]);
    expect(loopBody?.input?.map((i) => i.name)).toEqual(['i', 'cond', 'state']);
    expect(plan.changes.map((c) => c.op).sort()).toEqual(['Clip', 'Squeeze', 'Unsqueeze', 'Unsqueeze']);
  });

  it('converts bodies held in a GRAPHS attribute of any node', () => {
    const inner = subgraph('inner', [node('Squeeze', ['x'], ['s'], { axes: [0] })], [tensorValue('s', F)]);
    const holder: NodeProto = {
      name: 'holder',
      op_type: 'Bodies',
      domain: 'example.custom',
      input: ['x'],
      output: ['y'],
      attribute: [{ name: 'bodies', type: AttributeType.GRAPHS, graphs: [inner] }],
    };
    const out = upgraded(single(holder, 11, { extraOpsets: [{ domain: 'example.custom', version: 1 }] }));
    expect(nodes(out)[0]?.attribute?.[0]?.graphs?.[0]?.node?.[0]?.input).toHaveLength(2);
  });
});

describe('int64 values stay exact', () => {
  it('keeps INT64_MAX Slice ends', () => {
    const model = single(node('Slice', ['x'], ['y'], { starts: [1], ends: [0], axes: [0] }), 9);
    const slice = nodes(model)[0] as NodeProto;
    slice.attribute = (slice.attribute ?? []).map((a) => (a.name === 'ends' ? { ...a, ints: [int64FromBigInt(2n ** 63n - 1n)] } : a));
    const out = upgraded(model);
    const ends = initializer(out, nodes(out)[0]?.input?.[2]);
    expect(Array.from(readTensorValues(ends) as BigInt64Array)).toEqual([2n ** 63n - 1n]);
  });
});
