/**
 * fp16 conversion. SQNR floors: float16 keeps 11 significant bits, so one rounding is ~66 dB;
 * stacked layers measure 60–67 dB on the dense samples (floor 50) and ~39 dB on resnet-mini,
 * whose folded-in BatchNormalization statistics amplify rounding (floor 32). A wrong cast or a
 * tensor left as raw fp32 bits in an fp16 slot falls far below either.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import type { GraphProto, ModelProto } from '../../../../src/core/onnx/codec';
import { readTensorValues } from '../../../../src/core/onnx/tensor';
import { fp16, removeRedundantCasts } from '../../../../src/core/quantize/fp16';
import { buildSampleModel } from '../../../../src/core/zoo';
import { bytesOf, load, nodes, quality, randomInputs, sampleInputs } from './helpers';

function weights(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.5);
}

async function ioTypes(model: ModelProto): Promise<string[]> {
  const session = await load(model);
  try {
    return [...session.inputMetadata, ...session.outputMetadata].map((m) => (m.isTensor ? `${m.name}:${m.type}` : m.name));
  } finally {
    await session.release();
  }
}

function castTargets(graph: GraphProto): number[] {
  return (graph.node ?? []).filter((n) => n.op_type === 'Cast').map((n) => Number(n.attribute!.find((a) => a.name === 'to')!.i));
}

describe('fp16 on the samples', () => {
  it.each([
    ['mlp', 50],
    ['mnist-cnn', 50],
    ['transformer-encoder', 50],
    ['resnet-mini', 32],
  ] as const)('%s keeps its fp32 interface, halves its size and stays above %i dB', async (name, floor) => {
    const model = buildSampleModel(name);
    const { model: half, report } = await fp16.apply(model, { mode: 'fp16' });
    expect(await ioTypes(half)).toEqual(await ioTypes(model));
    expect(bytesOf(half).length).toBeLessThan(bytesOf(model).length * 0.55);
    const floatInitializers = half.graph!.initializer!.filter((t) => t.data_type === DataType.FLOAT);
    expect(floatInitializers.map((t) => t.name)).toEqual([]);
    expect(report.warnings.join(' ')).toMatch(/slower than fp32/);
    const r = await quality(model, half, sampleInputs(name, model, 2, 9, { batch: 2, sequence: 16 }));
    for (const output of Object.values(r)) {
      expect(output.sqnrDb).toBeGreaterThan(floor);
      expect(output.nanCount + output.infCount).toBe(0);
    }
  });

  it('keepIoTypes false gives a float16 interface', async () => {
    const model = buildSampleModel('mlp');
    const { model: half } = await fp16.apply(model, { mode: 'fp16', keepIoTypes: false });
    expect(await ioTypes(half)).toEqual(['features:float16', 'logits:float16']);
    expect(nodes(half).filter((n) => n.op_type === 'Cast')).toEqual([]);
    const session = await load(half);
    const out = await session.run({ features: new ort.Tensor('float16', new Uint16Array(256).fill(0x3c00), [1, 256]) });
    expect(out.logits!.type).toBe('float16');
    await session.release();
  });

  it('a weight also listed as a graph input is converted and leaves the input list', async () => {
    const model = buildSampleModel('mlp');
    const fc1 = model.graph!.initializer!.find((t) => t.name === 'fc1.weight')!;
    model.graph!.input = [
      ...model.graph!.input!,
      {
        name: 'fc1.weight',
        type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: fc1.dims!.map((d) => ({ dim_value: d })) } } },
      },
    ];
    const { model: half } = await fp16.apply(model, { mode: 'fp16' });
    expect(half.graph!.input!.map((i) => i.name)).toEqual(['features']);
    const r = await quality(model, half, sampleInputs('mlp', model, 1, 2, { batch: 2 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(50);
  });

  it('refuses a model that is already fp16', async () => {
    const { model: half } = await fp16.apply(buildSampleModel('mlp'), { mode: 'fp16' });
    await expect(fp16.apply(half, { mode: 'fp16' })).rejects.toMatchObject({ code: 'QUANTIZE_UNSUPPORTED' });
  });
});

describe('fp16 on hand-built graphs', () => {
  it('keeps blocked operators in fp32 with Casts around them, one Cast per value and type', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2, 16]);
    const h = g.op('MatMul', [x, g.initializer('W', weights(16 * 16, 1), [16, 16])], {}, { name: 'mm' });
    const [values] = g.node(
      'TopK',
      [h, g.initializer('k', new BigInt64Array([4n]), [1])],
      ['top_values', 'top_indices'],
      { axis: -1 },
      { name: 'topk' },
    );
    const soft = g.op('Softmax', [h], { axis: -1 }, { name: 'softmax' });
    g.op('Relu', [values!], {}, { name: 'relu', output: 'top' });
    g.op('Sigmoid', [soft], {}, { name: 'sigmoid', output: 'probs' });
    g.output('top', 'float32', [2, 4]);
    g.output('probs', 'float32', [2, 16]);
    const model = buildModel(g, { opset: 17 });

    const { model: half, report } = await fp16.apply(model, { mode: 'fp16', blockList: ['Softmax'] });
    expect(report.skipped.map((s) => `${s.node}: ${s.reason}`).sort()).toEqual([
      'softmax: on the fp16 block list',
      'topk: on the fp16 block list',
    ]);
    const byName = new Map(nodes(half).map((n) => [n.name, n]));
    // TopK and Softmax read the same fp32 copy of the MatMul output: one Cast serves both.
    const topkInput = byName.get('topk')!.input![0];
    expect(byName.get('softmax')!.input![0]).toBe(topkInput);
    const castToFp32 = nodes(half).filter((n) => n.op_type === 'Cast' && n.output![0] === topkInput);
    expect(castToFp32.length).toBe(1);
    expect(Number(castToFp32[0]!.attribute![0]!.i)).toBe(DataType.FLOAT);
    // Relu and Sigmoid run in fp16 again, behind Casts to float16; outputs come back as float32.
    const targets = castTargets(half.graph!);
    expect(targets.filter((t) => t === DataType.FLOAT16).length).toBe(3);
    expect(half.graph!.output!.map((o) => o.name)).toEqual(['top', 'probs']);
    expect(await ioTypes(half)).toEqual(await ioTypes(model));
    const r = await quality(model, half, randomInputs(model, 2));
    expect(r.top!.sqnrDb).toBeGreaterThan(50);
    expect(r.probs!.sqnrDb).toBeGreaterThan(50);
  });

  it('puts the Cast of an outer value in the If branch that reads it', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 8]);
    const flag = g.input('flag', 'bool', []);
    const w = g.initializer('W', weights(64, 2), [8, 8]);
    const then = g.subgraph('then', (s) => {
      s.op('MatMul', [x, w], {}, { output: 'then_y' });
      s.output('then_y', 'float32', [1, 8]);
    });
    const otherwise = g.subgraph('else', (s) => {
      s.op('Neg', [x], {}, { output: 'else_y' });
      s.output('else_y', 'float32', [1, 8]);
    });
    g.node('If', [flag], ['y'], { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) });
    g.output('y', 'float32', [1, 8]);
    const model = buildModel(g, { opset: 17 });

    const { model: half } = await fp16.apply(model, { mode: 'fp16' });
    const ifNode = half.graph!.node!.find((n) => n.op_type === 'If')!;
    const [thenGraph, elseGraph] = ifNode.attribute!.map((a) => a.g!);
    expect(castTargets(thenGraph!)).toEqual([DataType.FLOAT16]);
    expect(castTargets(elseGraph!)).toEqual([DataType.FLOAT16]);
    expect(thenGraph!.output![0]!.type!.tensor_type!.elem_type).toBe(DataType.FLOAT16);
    // The main graph casts the If's fp16 result back to float32 under the output's name.
    expect(castTargets(half.graph!)).toEqual([DataType.FLOAT]);
    expect(half.graph!.initializer!.find((t) => t.name === 'W')!.data_type).toBe(DataType.FLOAT16);
    for (const value of [0, 1]) {
      const inputs = randomInputs(model, 1).map((r) => ({ ...r, flag: { type: 'bool', data: new Uint8Array([value]), dims: [] } }));
      const r = await quality(model, half, inputs);
      expect(r.y!.sqnrDb).toBeGreaterThan(50);
    }
  });

  it("keeps Resize's scales in float32, drops no-op Casts, and lifts tiny weights to the smallest float16", async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 2, 4, 4]);
    const gain = weights(32, 3);
    gain[0] = 1e-9;
    const scaled = g.op('Mul', [x, g.initializer('gain', gain, [1, 2, 4, 4])]);
    const roi = g.initializer('roi', new Float32Array(0), [0]);
    const scales = g.initializer('scales', new Float32Array([1, 1, 2, 2]), [4]);
    const up = g.op('Resize', [scaled, roi, scales], { mode: 'nearest' }, { name: 'resize' });
    const again = g.op('Cast', [up], { to: DataType.FLOAT }, { name: 'noop_cast' });
    g.op('Relu', [again], {}, { output: 'y' });
    g.output('y', 'float32', [1, 2, 8, 8]);
    const model = buildModel(g, { opset: 17 });

    const { model: half, report } = await fp16.apply(model, { mode: 'fp16' });
    const inits = new Map(half.graph!.initializer!.map((t) => [t.name, t]));
    expect(inits.get('scales')!.data_type).toBe(DataType.FLOAT);
    expect(inits.get('gain')!.data_type).toBe(DataType.FLOAT16);
    expect((readTensorValues(inits.get('gain')!) as Uint16Array)[0]).toBe(0x0001);
    expect(report.warnings.join(' ')).toMatch(/1 weight values were too small for float16 and became ±5.96e-8/);
    expect(report.skipped).toEqual([]);
    expect(nodes(half).find((n) => n.name === 'noop_cast')).toBeUndefined();
    const session = await load(half);
    await session.release();
  });

  it('removes Cast pairs that come back to where they started, but not float↔int round trips', () => {
    const graph: GraphProto = {
      name: 'g',
      input: [{ name: 'a' }, { name: 'i' }],
      output: [{ name: 'out1' }, { name: 'out2' }],
      node: [
        { name: 'c1', op_type: 'Cast', input: ['a'], output: ['a32'], attribute: [{ name: 'to', type: 2, i: DataType.FLOAT }] },
        { name: 'c2', op_type: 'Cast', input: ['a32'], output: ['a16'], attribute: [{ name: 'to', type: 2, i: DataType.FLOAT16 }] },
        { name: 'r', op_type: 'Relu', input: ['a16'], output: ['out1'] },
        { name: 'c3', op_type: 'Cast', input: ['i'], output: ['i16'], attribute: [{ name: 'to', type: 2, i: DataType.FLOAT16 }] },
        { name: 'c4', op_type: 'Cast', input: ['i16'], output: ['i64'], attribute: [{ name: 'to', type: 2, i: DataType.INT64 }] },
        { name: 'n', op_type: 'Neg', input: ['i64'], output: ['out2'] },
      ],
    };
    const types = new Map<string, number>([
      ['a', DataType.FLOAT16],
      ['a32', DataType.FLOAT],
      ['a16', DataType.FLOAT16],
      ['i', DataType.INT64],
      ['i16', DataType.FLOAT16],
      ['i64', DataType.INT64],
    ]);
    const model: ModelProto = { graph };
    expect(removeRedundantCasts(model, types)).toBe(2);
    expect(graph.node!.map((n) => n.name)).toEqual(['r', 'c3', 'c4', 'n']);
    expect(graph.node![0]!.input).toEqual(['a']);
  });
});
