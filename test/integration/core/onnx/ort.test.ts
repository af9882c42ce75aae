/**
 * Our codec and shape rules against the real runtime: models we encode load and run in
 * onnxruntime-node, a model onnxruntime itself serialized round-trips byte for byte, and
 * every intermediate shape we infer matches the tensor onnxruntime actually produces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType, decodeModelProto, encodeModelProto, type ModelProto } from '../../../../src/core/onnx/codec';
import { encodeModel } from '../../../../src/core/onnx/write';
import { inferShapes, type Shape } from '../../../../src/core/onnx/shapes';
import { makeTensor } from '../../../../src/core/onnx/tensor';
import { floatTensor, int64Tensor, makeModel, node, seededValues, smallCnn, tempDir, tensorValue } from '../../../unit/core/onnx/helpers';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

const F = DataType.FLOAT;
const BIG = Number.MAX_SAFE_INTEGER;

/** Adds every node output as a graph output so a run returns all intermediate tensors. */
function exposeAll(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const declared = new Set((graph.output ?? []).map((o) => o.name));
  const extra = (graph.node ?? []).flatMap((n) => (n.output ?? []).filter((o) => o && !declared.has(o)).map((name) => ({ name })));
  return { ...model, graph: { ...graph, output: [...(graph.output ?? []), ...extra] } };
}

async function runAll(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, readonly number[]>> {
  const session = await ort.InferenceSession.create(encodeModel(exposeAll(model)), { graphOptimizationLevel: 'disabled' });
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, t]) => [name, t.dims]));
  } finally {
    await session.release();
  }
}

function inferredShapes(model: ModelProto): Record<string, Shape | undefined> {
  const shapes = inferShapes(model.graph!, { opset: Number(model.opset_import?.[0]?.version ?? 17) });
  const out: Record<string, Shape | undefined> = {};
  for (const record of shapes.nodes) {
    (record.node.output ?? []).forEach((name, i) => {
      if (name) out[name] = record.outputs[i]?.shape;
    });
  }
  return out;
}

async function expectShapesMatchRuntime(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<void> {
  const actual = await runAll(model, feeds);
  const ours = inferredShapes(model);
  const mismatches: string[] = [];
  for (const [name, dims] of Object.entries(actual)) {
    const mine = ours[name];
    if (JSON.stringify(mine) !== JSON.stringify([...dims]))
      mismatches.push(`${name}: ours ${JSON.stringify(mine)}, onnxruntime ${JSON.stringify(dims)}`);
  }
  expect(mismatches).toEqual([]);
  expect(Object.keys(actual).length).toBeGreaterThan(3);
}

const floatInput = (dims: number[], seed = 1) =>
  new ort.Tensor(
    'float32',
    seededValues(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ),
    dims,
  );

describe('onnxruntime accepts what we encode', () => {
  it('loads and runs a CNN we built, with the expected output shape', async () => {
    const session = await ort.InferenceSession.create(encodeModel(smallCnn('batch')));
    try {
      expect(session.inputNames).toEqual(['image']);
      const out = await session.run({ image: floatInput([3, 1, 8, 8]) });
      expect(out.logits?.dims).toEqual([3, 10]);
      expect(Array.from(out.logits?.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it('round-trips a model serialized by onnxruntime (C++ protobuf) byte for byte', async () => {
    const optimized = join(dir.path, 'ort-written.onnx');
    const model = smallCnn('batch');
    model.metadata_props = [{ key: 'origin', value: 'inferscope' }];
    const session = await ort.InferenceSession.create(encodeModel(model), {
      graphOptimizationLevel: 'basic',
      optimizedModelFilePath: optimized,
    });
    await session.release();
    const bytes = readFileSync(optimized);
    const decoded = decodeModelProto(bytes);
    expect(decoded.metadata_props?.[0]?.value).toBe('inferscope');
    expect(Buffer.from(encodeModelProto(decoded)).equals(bytes)).toBe(true);
  });
});

describe('shape rules agree with onnxruntime', () => {
  it('convolution, pooling, resize and padding', async () => {
    const model = makeModel({
      opset: 17,
      inputs: [tensorValue('x', F, [2, 3, 17, 17])],
      outputs: [tensorValue('logits', F)],
      initializers: [
        floatTensor('w1', [8, 3, 3, 3]),
        floatTensor('bn_scale', [8], new Float32Array(8).fill(1)),
        floatTensor('bn_bias', [8], new Float32Array(8)),
        floatTensor('bn_mean', [8], new Float32Array(8)),
        floatTensor('bn_var', [8], new Float32Array(8).fill(1)),
        floatTensor('wt', [8, 4, 3, 3]),
        floatTensor('scales', [4], [1, 1, 2, 2]),
        int64Tensor('pads', [8], [0, 0, 1, 2, 0, 0, 3, 0]),
        floatTensor('wd', [4, 1, 3, 3]),
        floatTensor('fc', [4, 5]),
      ],
      nodes: [
        node('Conv', ['x', 'w1'], ['c1'], { strides: [2, 2], pads: [1, 1, 1, 1] }),
        node('BatchNormalization', ['c1', 'bn_scale', 'bn_bias', 'bn_mean', 'bn_var'], ['bn']),
        node('Relu', ['bn'], ['r1']),
        node('MaxPool', ['r1'], ['p1'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
        node('AveragePool', ['p1'], ['p2'], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' }),
        node('ConvTranspose', ['p2', 'wt'], ['ct'], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }),
        node('Resize', ['ct', '', 'scales'], ['up'], { mode: 'nearest' }),
        node('Pad', ['up', 'pads'], ['padded']),
        node('Conv', ['padded', 'wd'], ['dw'], { group: 4, dilations: [2, 2], auto_pad: 'VALID' }),
        node('GlobalAveragePool', ['dw'], ['gap']),
        node('Flatten', ['gap'], ['flat']),
        node('MatMul', ['flat', 'fc'], ['logits']),
      ],
    });
    await expectShapesMatchRuntime(model, { x: floatInput([2, 3, 17, 17]) });
  });

  it('an attention block built from shape arithmetic', async () => {
    const model = makeModel({
      opset: 18,
      inputs: [tensorValue('x', F, ['batch', 'seq', 16])],
      outputs: [tensorValue('out', F)],
      initializers: [
        floatTensor('ln_scale', [16], new Float32Array(16).fill(1)),
        floatTensor('ln_bias', [16], new Float32Array(16)),
        floatTensor('w_qkv', [16, 48]),
        int64Tensor('split', [3], [16, 16, 16]),
        int64Tensor('zero_one', [2], [0, 1]),
        int64Tensor('heads', [2], [4, 4]),
        floatTensor('sqrt_d', [], [2]),
        int64Tensor('merge', [3], [0, 0, -1]),
        int64Tensor('starts', [1], [1]),
        int64Tensor('ends', [1], [BIG]),
        int64Tensor('axes1', [1], [1]),
        int64Tensor('axes0', [1], [0]),
        int64Tensor('k', [1], [3]),
        int64Tensor('reps', [3], [1, 2, 1]),
      ],
      nodes: [
        node('LayerNormalization', ['x', 'ln_scale', 'ln_bias'], ['ln'], { axis: -1 }),
        node('MatMul', ['ln', 'w_qkv'], ['qkv']),
        node('Split', ['qkv', 'split'], ['q', 'k_', 'v'], { axis: -1 }),
        node('Shape', ['x'], ['x_shape']),
        node('Gather', ['x_shape', 'zero_one'], ['bs']),
        node('Concat', ['bs', 'heads'], ['head_shape'], { axis: 0 }),
        node('Reshape', ['q', 'head_shape'], ['q4']),
        node('Reshape', ['k_', 'head_shape'], ['k4']),
        node('Reshape', ['v', 'head_shape'], ['v4']),
        node('Transpose', ['q4'], ['qt'], { perm: [0, 2, 1, 3] }),
        node('Transpose', ['k4'], ['kt'], { perm: [0, 2, 3, 1] }),
        node('Transpose', ['v4'], ['vt'], { perm: [0, 2, 1, 3] }),
        node('MatMul', ['qt', 'kt'], ['scores']),
        node('Div', ['scores', 'sqrt_d'], ['scaled']),
        node('Softmax', ['scaled'], ['probs'], { axis: -1 }),
        node('MatMul', ['probs', 'vt'], ['ctx']),
        node('Transpose', ['ctx'], ['ctx_t'], { perm: [0, 2, 1, 3] }),
        node('Reshape', ['ctx_t', 'merge'], ['merged']),
        node('Add', ['merged', 'x'], ['res']),
        node('Slice', ['res', 'starts', 'ends', 'axes1'], ['tail']),
        node('ReduceMean', ['tail', 'axes1'], ['pooled'], { keepdims: 0 }),
        node('Unsqueeze', ['pooled', 'axes0'], ['pooled3']),
        node('Squeeze', ['pooled3', 'axes0'], ['pooled2']),
        node('Tile', ['res', 'reps'], ['tiled']),
        node('TopK', ['pooled2', 'k'], ['top_v', 'top_i'], { axis: -1 }),
        node('ArgMax', ['res'], ['arg'], { axis: 2, keepdims: 1 }),
        node('Cast', ['arg'], ['arg_f'], { to: DataType.FLOAT }),
        node('Expand', ['arg_f', 'x_shape'], ['expanded']),
        node('Einsum', ['expanded', 'ln'], ['out'], { equation: 'bsd,btd->bst' }),
      ],
    });
    // Resolve the symbolic dims the way inspection does, then compare with a real run.
    const shapes = inferShapes(model.graph!, { resolveParam: (p) => (p === 'batch' ? 2 : p === 'seq' ? 5 : p) });
    const ours: Record<string, Shape | undefined> = {};
    for (const r of shapes.nodes) (r.node.output ?? []).forEach((n, i) => n && (ours[n] = r.outputs[i]?.shape));
    const actual = await runAll(model, { x: floatInput([2, 5, 16]) });
    const mismatches = Object.entries(actual)
      .filter(([name, dims]) => JSON.stringify(ours[name]) !== JSON.stringify([...dims]))
      .map(([name, dims]) => `${name}: ours ${JSON.stringify(ours[name])}, onnxruntime ${JSON.stringify(dims)}`);
    expect(mismatches).toEqual([]);
  });

  it('opset 11 attribute forms (Squeeze, Unsqueeze, Split, ReduceSum axes) and opset 9 Slice', async () => {
    const v11 = makeModel({
      opset: 11,
      inputs: [tensorValue('x', F, [1, 6, 1, 4])],
      outputs: [tensorValue('s', F)],
      initializers: [int64Tensor('starts', [2], [-3, 0]), int64Tensor('ends', [2], [BIG, -1]), int64Tensor('axes', [2], [1, 3])],
      nodes: [
        node('Squeeze', ['x'], ['sq'], { axes: [0, 2] }),
        node('Unsqueeze', ['sq'], ['us'], { axes: [0, 3] }),
        node('Split', ['us'], ['a', 'b'], { axis: 1, split: [2, 4] }),
        node('ReduceSum', ['b'], ['rs'], { axes: [3], keepdims: 1 }),
        node('Slice', ['us', 'starts', 'ends', 'axes'], ['s']),
      ],
    });
    await expectShapesMatchRuntime(v11, { x: floatInput([1, 6, 1, 4]) });
    const v9 = makeModel({
      opset: 9,
      inputs: [tensorValue('x', F, [3, 10])],
      outputs: [tensorValue('y', F)],
      nodes: [
        node('Slice', ['x'], ['s1'], { starts: [0, 2], ends: [2, 8], axes: [0, 1] }),
        node('Unsqueeze', ['s1'], ['u'], { axes: [1] }),
        node('Transpose', ['u'], ['t']),
        node('Flatten', ['t'], ['y'], { axis: 2 }),
      ],
    });
    await expectShapesMatchRuntime(v9, { x: floatInput([3, 10]) });
  });

  it('integer ops, quantized ops and recurrent cells', async () => {
    const model = makeModel({
      opset: 17,
      inputs: [tensorValue('x', F, [4, 2, 8])],
      outputs: [tensorValue('y', F)],
      initializers: [
        floatTensor('W', [1, 4 * 6, 8]),
        floatTensor('R', [1, 4 * 6, 6]),
        floatTensor('s', [], [0.05]),
        makeTensor('zp', DataType.UINT8, [], new Uint8Array([128])),
        makeTensor('wq', DataType.UINT8, [6, 3], new Uint8Array(18).fill(130)),
        makeTensor('wzp', DataType.UINT8, [], new Uint8Array([128])),
      ],
      nodes: [
        node('LSTM', ['x', 'W', 'R'], ['Y', 'Y_h', 'Y_c'], { hidden_size: 6 }),
        node('Squeeze', ['Y_h', 'ax0'], ['h']),
        node('Constant', [], ['ax0'], { value: int64Tensor('ax0v', [1], [0]) }),
        node('QuantizeLinear', ['h', 's', 'zp'], ['hq']),
        node('MatMulInteger', ['hq', 'wq', 'zp', 'wzp'], ['mm']),
        node('Cast', ['mm'], ['mmf'], { to: DataType.FLOAT }),
        node('DequantizeLinear', ['hq', 's', 'zp'], ['hd']),
        node('Concat', ['hd', 'mmf'], ['y'], { axis: 1 }),
      ],
    });
    // Constant after its consumer: the rules must not depend on node order.
    await expectShapesMatchRuntime(model, { x: floatInput([4, 2, 8]) });
  });
});
