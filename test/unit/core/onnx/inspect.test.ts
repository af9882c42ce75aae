import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelInfoSchema, type ModelInfo } from '../../../../src/shared/domain/model';
import { DataType, type ModelProto } from '../../../../src/core/onnx/codec';
import { inspectModel } from '../../../../src/core/onnx/inspect';
import { encodeModel, writeModel } from '../../../../src/core/onnx/write';
import { makeTensor } from '../../../../src/core/onnx/tensor';
import { floatTensor, int64Tensor, makeModel, node, smallCnn, subgraph, tempDir, tensorValue } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

let counter = 0;
async function inspect(model: ModelProto, dims?: Record<string, number>): Promise<ModelInfo> {
  const path = join(dir.path, `m${counter++}.onnx`);
  writeFileSync(path, encodeModel(model));
  const info = await inspectModel(path, dims ? { dims } : {});
  // What the contract sends must match the schema exactly.
  expect(ModelInfoSchema.parse(info)).toEqual(info);
  return info;
}

const F = DataType.FLOAT;

describe('MACs on small graphs with known counts', () => {
  it('Conv 1×1×28×28 with 8 3×3 filters, pad 1: 28·28·8·9', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 1, 28, 28])],
        outputs: [tensorValue('y', F, [1, 8, 28, 28])],
        initializers: [floatTensor('w', [8, 1, 3, 3]), floatTensor('b', [8])],
        nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
      }),
    );
    expect(info.macs).toBe(28 * 28 * 8 * 9);
    expect(info.flops).toBe(2 * 28 * 28 * 8 * 9);
    expect(info.macsByOp).toEqual({ Conv: 28 * 28 * 8 * 9 });
    expect(info.macsReason).toBeNull();
  });

  it('grouped, strided Conv', async () => {
    // 16→32 channels in 4 groups, 3×3, stride 2, 32×32 input, no padding → 15×15 output.
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [2, 16, 32, 32])],
        outputs: [tensorValue('y', F, null as never)],
        initializers: [floatTensor('w', [32, 4, 3, 3])],
        nodes: [node('Conv', ['x', 'w'], ['y'], { group: 4, strides: [2, 2] })],
      }),
    );
    expect(info.macs).toBe(2 * 32 * 15 * 15 * 4 * 9);
  });

  it('MatMul [2,3]×[3,4] = 24', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('a', F, [2, 3])],
        outputs: [tensorValue('y', F, [2, 4])],
        initializers: [floatTensor('b', [3, 4])],
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
      }),
    );
    expect(info.macs).toBe(24);
  });

  it('batched MatMul [2,5,3,4]×[4,6] = 2·5·3·4·6', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('a', F, [2, 5, 3, 4])],
        outputs: [tensorValue('y', F)],
        initializers: [floatTensor('b', [4, 6])],
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
      }),
    );
    expect(info.macs).toBe(2 * 5 * 3 * 4 * 6);
  });

  it('Gemm with transB: M·K·N', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('a', F, [4, 5])],
        outputs: [tensorValue('y', F, [4, 6])],
        initializers: [floatTensor('b', [6, 5]), floatTensor('c', [6])],
        nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], { transB: 1 })],
      }),
    );
    expect(info.macs).toBe(4 * 5 * 6);
  });

  it('ConvTranspose: every input value meets Cout/group × kernel weights', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 2, 4, 4])],
        outputs: [tensorValue('y', F)],
        initializers: [floatTensor('w', [2, 3, 3, 3])],
        nodes: [node('ConvTranspose', ['x', 'w'], ['y'], { strides: [2, 2] })],
      }),
    );
    expect(info.macs).toBe(1 * 2 * 4 * 4 * 3 * 3 * 3);
  });

  it('Einsum contraction: product of all index sizes', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('a', F, [2, 3, 4]), tensorValue('b', F, [2, 4, 5])],
        outputs: [tensorValue('y', F)],
        nodes: [node('Einsum', ['a', 'b'], ['y'], { equation: 'bij,bjk->bik' })],
        opset: 12,
      }),
    );
    expect(info.macs).toBe(2 * 3 * 4 * 5);
  });

  it('a small CNN with a symbolic batch counts at batch 1, and scales with --dim', async () => {
    const info = await inspect(smallCnn('batch'));
    const conv = 1 * 4 * 8 * 8 * 9;
    const pooledGemm = 1 * 10 * 64;
    expect(info.macs).toBe(conv + pooledGemm);
    expect(info.dims).toEqual([{ name: 'batch', value: 1, source: 'batch-default' }]);
    const four = await inspect(smallCnn('batch'), { batch: 4 });
    expect(four.macs).toBe(4 * (conv + pooledGemm));
    expect(four.dims).toEqual([{ name: 'batch', value: 4, source: 'user' }]);
  });

  it('a sequence dim is never invented: unset until given, and MACs wait for it', async () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'sequence', 16])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [16, 32])],
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
    });
    const info = await inspect(model);
    expect(info.dims).toEqual([
      { name: 'batch', value: 1, source: 'batch-default' },
      { name: 'sequence', value: null, source: 'unset' },
    ]);
    expect(info.macs).toBeNull();
    expect(info.macsUnknown?.dims).toContain('sequence');
    expect((await inspect(model, { sequence: 7 })).macs).toBe(7 * 16 * 32);
  });

  it('unknown shapes give null MACs with a reason naming the op and the missing dim', async () => {
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'rows', 16])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [16, 32])],
      nodes: [node('MatMul', ['x', 'w'], ['h']), node('Relu', ['h'], ['y'])],
    });
    const info = await inspect(model);
    expect(info.macs).toBeNull();
    expect(info.flops).toBeNull();
    expect(info.macsReason).toMatch(/1 MatMul/);
    expect(info.macsReason).toMatch(/"rows"/);
    expect(info.macsByOp).toEqual({});
    expect(info.dims).toEqual([
      { name: 'batch', value: 1, source: 'batch-default' },
      { name: 'rows', value: null, source: 'unset' },
    ]);
    const given = await inspect(model, { rows: 10 });
    expect(given.macs).toBe(10 * 16 * 32);
    expect(given.macsReason).toBeNull();
  });

  it('follows Shape → Gather → Concat → Reshape chains', async () => {
    // x [batch, seq, 16] → reshape to [batch, seq, 4, 4] via its own runtime shape → MatMul with [4, 8].
    const model = makeModel({
      inputs: [tensorValue('x', F, ['batch', 'seq', 16])],
      outputs: [tensorValue('y', F)],
      initializers: [int64Tensor('zero_one', [2], [0, 1]), int64Tensor('four_four', [2], [4, 4]), floatTensor('w', [4, 8])],
      nodes: [
        node('Shape', ['x'], ['shape']),
        node('Gather', ['shape', 'zero_one'], ['lead']),
        node('Concat', ['lead', 'four_four'], ['target'], { axis: 0 }),
        node('Reshape', ['x', 'target'], ['r']),
        node('MatMul', ['r', 'w'], ['y']),
      ],
    });
    const info = await inspect(model, { seq: 7 });
    expect(info.macs).toBe(1 * 7 * 4 * 4 * 8);
  });

  it('Loop with a constant trip count multiplies its body', async () => {
    const body = subgraph(
      'body',
      [node('MatMul', ['state', 'w'], ['next']), node('Identity', ['cond_in'], ['cond_out'])],
      [tensorValue('cond_out', DataType.BOOL, []), tensorValue('next', F, [1, 8])],
      [tensorValue('i', DataType.INT64, []), tensorValue('cond_in', DataType.BOOL, []), tensorValue('state', F, [1, 8])],
    );
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 8])],
        outputs: [tensorValue('y', F, [1, 8])],
        initializers: [int64Tensor('trips', [], [3]), floatTensor('w', [8, 8])],
        nodes: [node('Loop', ['trips', '', 'x'], ['y'], { body })],
      }),
    );
    expect(info.macs).toBe(3 * 8 * 8);
  });
});

describe('histogram and subgraphs', () => {
  const ifModel = (cond: 'input' | 'const') =>
    makeModel({
      inputs: [tensorValue('x', F, [1, 4]), ...(cond === 'input' ? [tensorValue('c', DataType.BOOL, [])] : [])],
      outputs: [tensorValue('y', F, [1, 4])],
      initializers: [floatTensor('w', [4, 4]), ...(cond === 'const' ? [makeTensor('c', DataType.BOOL, [], new Uint8Array([0]))] : [])],
      nodes: [
        node('Relu', ['x'], ['r']),
        node('If', ['c'], ['y'], {
          then_branch: subgraph('then', [node('MatMul', ['r', 'w'], ['t1']), node('Relu', ['t1'], ['t'])], [tensorValue('t', F, [1, 4])]),
          else_branch: subgraph('else', [node('Neg', ['r'], ['e'])], [tensorValue('e', F, [1, 4])]),
        }),
      ],
    });

  it('counts nodes inside If branches', async () => {
    const info = await inspect(ifModel('input'));
    expect(info.opHistogram).toEqual({ Relu: 2, If: 1, MatMul: 1, Neg: 1 });
    expect(info.nodeCount).toBe(5);
  });

  it('MACs that depend on the branch taken count the larger branch, with both branches named', async () => {
    const info = await inspect(ifModel('input'));
    expect(info.macs).toBe(16);
    expect(info.macsRange).toEqual({ min: 0, max: 16 });
    expect(info.macsReason).toBeNull();
    expect(info.macsControlFlow?.[0]?.note).toMatch(
      /counted the then_branch \(16 MACs, the larger\); the else_branch would count 16 fewer/,
    );
  });

  it('a constant If condition picks the branch', async () => {
    const info = await inspect(ifModel('const'));
    expect(info.macs).toBe(0);
  });

  it('qualifies operators from other domains', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 4])],
        outputs: [tensorValue('y', F, [1, 4])],
        nodes: [node('FastGelu', ['x'], ['y'], {}, { domain: 'com.microsoft' })],
        extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
      }),
    );
    expect(info.opHistogram).toEqual({ 'com.microsoft.FastGelu': 1 });
    expect(info.opsets).toEqual([
      { domain: 'ai.onnx', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
  });
});

describe('model facts', () => {
  it('describes inputs, outputs, producer, metadata and parameters', async () => {
    const model = smallCnn('N');
    model.graph!.node!.push(node('Constant', [], ['k'], { value: floatTensor('kv', [5]) }));
    model.metadata_props = [{ key: 'license', value: 'MIT' }];
    const info = await inspect(model);
    expect(info.inputs).toEqual([{ name: 'image', type: 'float32', shape: ['N', 1, 8, 8] }]);
    expect(info.outputs).toEqual([{ name: 'logits', type: 'float32', shape: ['N', 10] }]);
    expect(info.producer).toEqual({ name: 'inferscope-tests', version: '1' });
    expect(info.graphName).toBe('small_cnn');
    expect(info.irVersion).toBe(8);
    expect(info.metadata).toEqual({ license: 'MIT' });
    const params = 4 * 9 + 4 + 10 * 64 + 10 + 5;
    expect(info.parameters).toEqual({
      total: params,
      bytes: params * 4,
      byDtype: { float32: { count: params, bytes: params * 4 } },
      fromNodes: { Constant: { nodes: 1, count: 5, bytes: 20 } },
    });
    expect(info.precision).toBe('fp32');
    expect(info.quantized).toBe(false);
    expect(info.quantization).toEqual([]);
    expect(info.externalData).toEqual([]);
    expect(info.dims).toEqual([{ name: 'N', value: 1, source: 'batch-default' }]);
  });

  it('leaves initializers out of the inputs and warns that they are overridable', async () => {
    const model = smallCnn(null);
    model.graph!.input!.push(tensorValue('conv_w', F, [4, 1, 3, 3]));
    const info = await inspect(model);
    expect(info.inputs.map((i) => i.name)).toEqual(['image']);
    expect(info.inputs[0]?.shape).toEqual(['?', 1, 8, 8]);
    expect(info.dims).toEqual([{ name: 'image[0]', value: 1, source: 'batch-default' }]);
    expect(info.warnings.join('\n')).toMatch(/1 initializer is also listed as graph input/);
    expect(info.macs).toBe(4 * 8 * 8 * 9 + 640);
  });

  it('recognises QDQ int8 weights', async () => {
    const q = makeTensor('wq', DataType.INT8, [64, 64], new Int8Array(64 * 64).fill(3));
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 64])],
        outputs: [tensorValue('y', F, [1, 64])],
        initializers: [q, floatTensor('s', []), makeTensor('zp', DataType.INT8, [], new Int8Array([0]))],
        nodes: [node('DequantizeLinear', ['wq', 's', 'zp'], ['w']), node('MatMul', ['x', 'w'], ['y'])],
      }),
    );
    expect(info.quantization).toEqual(['qdq']);
    expect(info.quantized).toBe(true);
    expect(info.precision).toBe('int8');
    expect(info.macs).toBe(64 * 64);
    expect(info.parameters.byDtype.int8).toEqual({ count: 64 * 64 + 1, bytes: 64 * 64 + 1 });
  });

  it('counts MatMulNBits weights as int4 and their MACs', async () => {
    const k = 64;
    const n = 32;
    const blocks = k / 32;
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 3, k])],
        outputs: [tensorValue('y', F, [1, 3, n])],
        initializers: [
          makeTensor('b', DataType.UINT8, [n, blocks, 16], new Uint8Array(n * blocks * 16)),
          floatTensor('scales', [n * blocks]),
        ],
        nodes: [node('MatMulNBits', ['x', 'b', 'scales'], ['y'], { K: k, N: n, bits: 4, block_size: 32 }, { domain: 'com.microsoft' })],
        extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
      }),
    );
    expect(info.quantization).toEqual(['matmulnbits']);
    expect(info.precision).toBe('int4');
    expect(info.macs).toBe(3 * n * k);
    expect(info.macsByOp).toEqual({ 'com.microsoft.MatMulNBits': 3 * n * k });
  });

  it('calls fp32 weights with a large fp16 share "mixed"', async () => {
    const info = await inspect(
      makeModel({
        inputs: [tensorValue('x', F, [1, 4])],
        outputs: [tensorValue('y', F)],
        initializers: [floatTensor('a', [100]), makeTensor('h', DataType.FLOAT16, [200], new Uint16Array(200))],
        nodes: [node('Identity', ['x'], ['y'])],
      }),
    );
    expect(info.precision).toBe('mixed');
  });

  it('reports external data files', async () => {
    const path = join(dir.path, 'ext-model.onnx');
    await writeModel(path, smallCnn(1), { externalDataThresholdBytes: 1000 });
    const info = await inspectModel(path);
    expect(info.externalData).toEqual([{ location: 'ext-model.onnx.data', bytes: 640 * 4, tensors: 1 }]);
    expect(info.externalDataBytes).toBe(640 * 4);
    expect(info.parameters.total).toBe(36 + 4 + 640 + 10);
  });

  it('warns about dims the model does not have', async () => {
    const info = await inspect(smallCnn('batch'), { nonsense: 3 });
    expect(info.warnings.join('\n')).toMatch(/no dimension named "nonsense"/);
  });
});
