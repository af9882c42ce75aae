/**
 * Dynamic int8 on hand-built graphs (edge cases) and on the sample models: the result loads,
 * has the expected nodes, ORT fuses them, and outputs stay close to fp32.
 *
 * SQNR floors: one 8-bit quantization of a Gaussian-like tensor with min/max scaling gives
 * about 30–35 dB; a few stacked layers lose a few dB more. The small samples measure 30–33 dB,
 * so 25 dB leaves margin while still failing on any real bug (a wrong scale or zero point
 * drops SQNR below 10 dB). resnet-mini (per-tensor ConvInteger, unfolded BatchNorm) measures
 * about 13 dB, hence its own lower floor.
 */
import { describe, expect, it } from 'vitest';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import { readTensorValues } from '../../../../src/core/onnx/tensor';
import * as ort from 'onnxruntime-node';
import { int8Dynamic } from '../../../../src/core/quantize/dynamic';
import { float32ToFloat16Bits } from '../../../../src/core/quantize/math';
import { buildSampleModel } from '../../../../src/core/zoo';
import { bytesOf, initializerNames, load, nodes, opCounts, optimizedOps, quality, randomInputs, sampleInputs } from './helpers';

function weights(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.5 + Math.cos(i * 1.3 + seed) * 0.2);
}

describe('dynamic int8 on hand-built graphs', () => {
  it('quantizes a shared weight once and keeps output names', async () => {
    const g = new GraphBuilder('g');
    const a = g.input('a', 'float32', ['batch', 16]);
    const b = g.input('b', 'float32', ['batch', 16]);
    const w = g.initializer('W', weights(16 * 8, 1), [16, 8]);
    g.op('MatMul', [a, w], {}, { output: 'ya', name: 'mm_a' });
    g.op('MatMul', [b, w], {}, { output: 'yb', name: 'mm_b' });
    g.output('ya', 'float32', ['batch', 8]);
    g.output('yb', 'float32', ['batch', 8]);
    const model = buildModel(g, { opset: 17 });
    const before = bytesOf(model);

    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    expect(Buffer.from(bytesOf(model)).equals(Buffer.from(before))).toBe(true);
    expect(report.nodesQuantized).toBe(2);
    const inits = initializerNames(q);
    expect(inits.filter((n) => n.startsWith('W_quantized'))).toEqual(['W_quantized']);
    expect(inits).not.toContain('W');
    const integer = nodes(q).filter((n) => n.op_type === 'MatMulInteger');
    expect(integer.map((n) => n.input![1])).toEqual(['W_quantized', 'W_quantized']);
    expect(integer.map((n) => n.name)).toEqual(['mm_a_quant', 'mm_b_quant']);
    expect(q.graph!.output!.map((o) => o.name)).toEqual(['ya', 'yb']);
    // The exact pattern of docs/quantization.md#int8-dynamic.
    const byName = new Map(nodes(q).map((n) => [n.name, n]));
    expect(byName.get('ya_output_quantized_cast')?.output).toEqual(['ya_output_quantized_cast_output']);
    expect(byName.get('mm_a_quant_scales_mul')?.input).toEqual(['a_scale', 'W_scale']);
    expect(byName.get('mm_a_quant_output_scale_mul')?.output).toEqual(['ya']);
    const w8 = q.graph!.initializer!.find((t) => t.name === 'W_quantized')!;
    expect(w8.data_type).toBe(DataType.INT8);
    expect(readTensorValues(q.graph!.initializer!.find((t) => t.name === 'W_zero_point')!)[0]).toBe(0);

    const ops = await optimizedOps(q);
    expect(ops.filter((o) => o === 'DynamicQuantizeMatMul' || o === 'MatMulIntegerToFloat').length).toBe(2);
    const r = await quality(model, q, randomInputs(model, 2, { dims: { batch: 3 } }));
    expect(r.ya!.sqnrDb).toBeGreaterThan(25);
    expect(r.yb!.sqnrDb).toBeGreaterThan(25);
  });

  it('Gemm transB=1 whose B is shared with a MatMul gets its own transposed weight', async () => {
    const g = new GraphBuilder('g');
    const a = g.input('a', 'float32', [2, 16]);
    const z = g.input('z', 'float32', [2, 8]);
    const b = g.initializer('B', weights(8 * 16, 2), [8, 16]);
    const c = g.initializer('C', weights(8, 3), [8]);
    g.op('Gemm', [a, b, c], { alpha: attr.float(1), beta: attr.float(1), transB: 1 }, { output: 'gemm_y', name: 'gemm' });
    g.op('MatMul', [z, b], {}, { output: 'mm_y', name: 'mm' });
    g.output('gemm_y', 'float32', [2, 8]);
    g.output('mm_y', 'float32', [2, 16]);
    const model = buildModel(g, { opset: 17 });

    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', perChannel: true });
    expect(report.nodesQuantized).toBe(2);
    const integer = nodes(q).filter((n) => n.op_type === 'MatMulInteger');
    expect(integer.map((n) => n.input![1]).sort()).toEqual(['B_quantized', 'B_transposed_quantized']);
    const transposed = q.graph!.initializer!.find((t) => t.name === 'B_transposed_quantized')!;
    expect(transposed.dims!.map(Number)).toEqual([16, 8]);
    // Per-channel: one scale per output column.
    expect(q.graph!.initializer!.find((t) => t.name === 'B_transposed_scale')!.dims!.map(Number)).toEqual([8]);
    // The bias is added after the rescale and the Gemm's output keeps its name.
    const add = nodes(q).find((n) => n.op_type === 'Add')!;
    expect(add.input).toEqual(['gemm_y_matmul', 'C']);
    expect(add.output).toEqual(['gemm_y']);
    expect(opCounts(q).Gemm).toBeUndefined();
    const r = await quality(model, q, randomInputs(model, 2));
    expect(r.gemm_y!.sqnrDb).toBeGreaterThan(25);
    expect(r.mm_y!.sqnrDb).toBeGreaterThan(25);
  });

  it('quantizes weights held in Constant nodes and inside If branches', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 16]);
    const flag = g.input('flag', 'bool', []);
    const outer = g.initializer('W_outer', weights(16 * 4, 4), [16, 4]);
    const then = g.subgraph('then', (s) => {
      s.op('MatMul', [x, outer], {}, { output: 'then_y', name: 'then_mm' });
      s.output('then_y', 'float32', [1, 4]);
    });
    const otherwise = g.subgraph('else', (s) => {
      const w = s.constant(weights(16 * 4, 5), [16, 4], { output: 'W_inner' });
      s.op('MatMul', [x, w], {}, { output: 'else_y', name: 'else_mm' });
      s.output('else_y', 'float32', [1, 4]);
    });
    g.node('If', [flag], ['branch_y'], { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) });
    const c = g.constant(weights(4 * 3, 6), [4, 3], { output: 'W_const' });
    g.op('MatMul', ['branch_y', c], {}, { output: 'y', name: 'last_mm' });
    g.output('y', 'float32', [1, 3]);
    const model = buildModel(g, { opset: 17 });

    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    expect(report.nodesQuantized).toBe(3);
    expect(nodes(q).filter((n) => n.op_type === 'Constant')).toEqual([]);
    expect(nodes(q).filter((n) => n.op_type === 'MatMul')).toEqual([]);
    const ifNode = q.graph!.node!.find((n) => n.op_type === 'If')!;
    const [thenGraph, elseGraph] = ifNode.attribute!.map((a) => a.g!);
    expect(thenGraph!.node!.map((n) => n.op_type)).toContain('MatMulInteger');
    expect(elseGraph!.initializer!.map((t) => t.name)).toEqual(['W_inner_quantized', 'W_inner_scale', 'W_inner_zero_point']);
    // The outer weight's quantized form lives in the main graph, next to where W_outer was.
    expect(q.graph!.initializer!.map((t) => t.name)).toContain('W_outer_quantized');
    for (const value of [true, false]) {
      const inputs = randomInputs(model, 1, {}).map((r) => ({
        ...r,
        flag: { type: 'bool', data: new Uint8Array([value ? 1 : 0]), dims: [] },
      }));
      const r = await quality(model, q, inputs);
      expect(r.y!.sqnrDb).toBeGreaterThan(25);
    }
  });

  it('follows include and exclude lists', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 8]);
    const h = g.op('MatMul', [x, g.initializer('W1', weights(64, 7), [8, 8])], {}, { name: 'first' });
    g.op('MatMul', [h, g.initializer('W2', weights(64, 8), [8, 8])], {}, { name: 'second', output: 'y' });
    g.output('y', 'float32', [1, 8]);
    const model = buildModel(g, { opset: 17 });
    const excluded = await int8Dynamic.apply(model, { mode: 'int8-dynamic', exclude: ['second'] });
    expect(nodes(excluded.model).find((n) => n.name === 'second')?.op_type).toBe('MatMul');
    expect(excluded.report.skipped).toEqual([{ node: 'second', opType: 'MatMul', reason: 'excluded by the user' }]);
    const included = await int8Dynamic.apply(model, { mode: 'int8-dynamic', include: ['second', 'typo'] });
    expect(nodes(included.model).find((n) => n.name === 'first')?.op_type).toBe('MatMul');
    expect(nodes(included.model).find((n) => n.name === 'second_quant')?.op_type).toBe('MatMulInteger');
    expect(included.report.warnings.join(' ')).toMatch(/"typo"/);
    await (await load(included.model)).release();
  });

  it('refuses opset 10 and fp16 models with a reason, writing nothing', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 8]);
    g.op('MatMul', [x, g.initializer('W', weights(64, 9), [8, 8])], {}, { output: 'y' });
    g.output('y', 'float32', [1, 8]);
    await expect(int8Dynamic.apply(buildModel(g, { opset: 10 }), { mode: 'int8-dynamic' })).rejects.toMatchObject({
      code: 'QUANTIZE_UNSUPPORTED',
      message: expect.stringMatching(/opset 11/),
    });

    const h = new GraphBuilder('h');
    const x16 = h.input('x', 'float16', [1, 8]);
    const w16 = h.initializer('W', Uint16Array.from(weights(64, 9), float32ToFloat16Bits), [8, 8], 'float16');
    h.op('MatMul', [x16, w16], {}, { output: 'y' });
    h.output('y', 'float16', [1, 8]);
    await expect(int8Dynamic.apply(buildModel(h, { opset: 17 }), { mode: 'int8-dynamic' })).rejects.toMatchObject({
      code: 'QUANTIZE_UNSUPPORTED',
      message: expect.stringMatching(/already fp16/),
    });
  });
});

describe('dynamic int8 of LSTMs (DynamicQuantizeLSTM)', () => {
  /** A bidirectional LSTM with bias and a Gemm head, sequence-first as exporters write it. */
  function lstmModel(options: { layout?: number } = {}) {
    const [dirs, hidden, inputSize] = [2, 16, 12];
    const g = new GraphBuilder('lstm');
    const x = g.input('x', 'float32', options.layout ? ['batch', 'seq', inputSize] : ['seq', 'batch', inputSize]);
    const w = g.initializer('W', weights(dirs * 4 * hidden * inputSize, 1), [dirs, 4 * hidden, inputSize]);
    const r = g.initializer(
      'R',
      weights(dirs * 4 * hidden * hidden, 2).map((v) => v * 0.5),
      [dirs, 4 * hidden, hidden],
    );
    const b = g.initializer(
      'B',
      weights(dirs * 8 * hidden, 3).map((v) => v * 0.1),
      [dirs, 8 * hidden],
    );
    g.node(
      'LSTM',
      [x, w, r, b],
      ['y', 'y_h', ''],
      { hidden_size: hidden, direction: 'bidirectional', layout: options.layout },
      { name: 'encoder' },
    );
    g.output('y', 'float32');
    g.output('y_h', 'float32');
    return buildModel(g, { opset: 17 });
  }

  it('stays float32 unless asked for, and says how to turn it on', async () => {
    const model = lstmModel();
    const applicability = int8Dynamic.canApply(model);
    expect(applicability.ok).toBe(false);
    if (!applicability.ok) expect(applicability.reason).toContain('turn on LSTM quantization');
    expect(int8Dynamic.canApply(model, { quantizeLstm: true }).ok).toBe(true);
  });

  for (const perChannel of [false, true]) {
    it(
      `becomes DynamicQuantizeLSTM with int8 W and R stored transposed, ` +
        `${perChannel ? 'one scale per gate row' : 'one scale per direction'}`,
      async () => {
        const model = lstmModel();
        const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', quantizeLstm: true, perChannel });
        expect(report.nodesQuantized).toBe(1);
        const [node] = nodes(q).filter((n) => n.op_type === 'DynamicQuantizeLSTM');
        expect(node?.domain).toBe('com.microsoft');
        expect(node?.input).toEqual([
          'x',
          'W_quantized',
          'R_quantized',
          'B',
          '',
          '',
          '',
          '',
          'W_scale',
          'W_zero_point',
          'R_scale',
          'R_zero_point',
        ]);
        expect(node?.output).toEqual(['y', 'y_h', '']);
        expect(q.opset_import).toContainEqual(expect.objectContaining({ domain: 'com.microsoft' }));
        expect(initializerNames(q)).not.toContain('W');
        const init = (name: string) => q.graph!.initializer!.find((t) => t.name === name)!;
        expect(init('W_quantized').data_type).toBe(DataType.INT8);
        expect(init('W_quantized').dims!.map(Number)).toEqual([2, 12, 64]);
        expect(init('R_quantized').dims!.map(Number)).toEqual([2, 16, 64]);
        expect(init('W_scale').dims!.map(Number)).toEqual(perChannel ? [2, 64] : [2]);
        expect([...readTensorValues(init('R_zero_point'))].every((z) => z === 0)).toBe(true);
        // Element [d, k, g] of the stored weight is round(W[d, g, k] / scale): the transpose is exact.
        const scale = readTensorValues(init('W_scale'))[perChannel ? 64 + 5 : 1] as number;
        const original = weights(2 * 64 * 12, 1)[(64 + 5) * 12 + 7] as number;
        expect(readTensorValues(init('W_quantized'))[12 * 64 + 7 * 64 + 5]).toBe(Math.round(original / scale));

        // ORT loads and runs it, close to the float LSTM.
        await load(q);
        const r = await quality(model, q, randomInputs(model, 2, { dims: { seq: 5, batch: 3 } }));
        expect(r.y!.sqnrDb).toBeGreaterThan(25);
        expect(r.y_h!.sqnrDb).toBeGreaterThan(25);
      },
    );
  }

  it('leaves a batch-first LSTM float, with the reason', async () => {
    const model = lstmModel({ layout: 1 });
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', quantizeLstm: true });
    expect(report.nodesQuantized).toBe(0);
    expect(report.skipped).toEqual([
      expect.objectContaining({ node: 'encoder', opType: 'LSTM', reason: expect.stringContaining('layout = 1') }),
    ]);
    expect(nodes(q).map((n) => n.op_type)).toEqual(['LSTM']);
  });
});

describe('dynamic int8 on the samples', () => {
  it('mlp: every Gemm becomes a fused DynamicQuantizeMatMul', async () => {
    const model = buildSampleModel('mlp');
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    expect(report.nodesQuantized).toBe(3);
    expect(bytesOf(q).length).toBeLessThan(bytesOf(model).length * 0.3);
    const ops = await optimizedOps(q);
    expect(ops.filter((o) => o === 'DynamicQuantizeMatMul').length).toBe(3);
    const r = await quality(model, q, sampleInputs('mlp', model, 2, 5, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(25);
    expect(r.logits!.top1Agreement).toBeGreaterThanOrEqual(0.75);
  });

  it('mlp with uint8 weights and reduce_range: asymmetric 7-bit weights still fuse', async () => {
    const model = buildSampleModel('mlp');
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', weightType: 'uint8', reduceRange: true });
    expect(report.settings).toEqual({ weightType: 'uint8', symmetric: false, perChannel: false, reduceRange: true, quantizeLstm: false });
    const w = q.graph!.initializer!.find((t) => t.name === 'fc1.weight_transposed_quantized')!;
    expect(w.data_type).toBe(DataType.UINT8);
    expect((readTensorValues(w) as Uint8Array).reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(127);
    expect((await optimizedOps(q)).filter((o) => o === 'DynamicQuantizeMatMul' || o === 'MatMulIntegerToFloat').length).toBe(3);
    const r = await quality(model, q, sampleInputs('mlp', model, 2, 5, { batch: 4 }));
    // Seven bits instead of eight: about 6 dB less than the int8 run.
    expect(r.logits!.sqnrDb).toBeGreaterThan(20);
  });

  it('mnist-cnn: ConvInteger with bias, and the dense layer fused', async () => {
    const model = buildSampleModel('mnist-cnn');
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    expect(report.nodesQuantized).toBe(3);
    const counts = opCounts(q);
    expect(counts.ConvInteger).toBe(2);
    expect(counts.Reshape).toBe(2);
    const ops = await optimizedOps(q);
    expect(ops).toContain('ConvInteger');
    expect(ops).toContain('DynamicQuantizeMatMul');
    const r = await quality(model, q, sampleInputs('mnist-cnn', model, 2, 5, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(25);
  });

  it('transformer-encoder per-channel: projections fused, embeddings uint8, attention left float', async () => {
    const model = buildSampleModel('transformer-encoder');
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', perChannel: true });
    // 12 encoder MatMuls + pooler Gemm, and the word and position embedding tables.
    expect(report.nodesQuantized).toBe(15);
    expect(report.skipped.filter((s) => s.opType === 'MatMul').length).toBe(4);
    const table = q.graph!.initializer!.find((t) => t.name === 'embeddings.word_embeddings.weight_quantized')!;
    expect(table.data_type).toBe(DataType.UINT8);
    const dq = nodes(q).find((n) => n.op_type === 'DequantizeLinear' && n.input![0]!.startsWith('/embeddings/Gather'))!;
    expect(dq.attribute?.find((a) => a.name === 'axis')?.i).toBe(-1);
    const ops = await optimizedOps(q);
    expect(ops.filter((o) => o === 'DynamicQuantizeMatMul' || o === 'MatMulIntegerToFloat').length).toBe(13);
    const r = await quality(model, q, sampleInputs('transformer-encoder', model, 2, 5, { batch: 2, sequence: 16 }));
    expect(r.last_hidden_state!.sqnrDb).toBeGreaterThan(25);
    expect(r.pooler_output!.sqnrDb).toBeGreaterThan(25);
  });

  it('resnet-mini: every Conv becomes ConvInteger', async () => {
    const model = buildSampleModel('resnet-mini');
    const { model: q } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    expect(opCounts(q).ConvInteger).toBe(9);
    expect(opCounts(q).Conv).toBeUndefined();
    const r = await quality(model, q, sampleInputs('resnet-mini', model, 2, 5, { batch: 2 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(10);
  });
});

describe('dynamic int8 of Conv per channel', () => {
  /** A Conv whose output channels differ in scale by 4× each (BatchNorm folded into it does this). */
  function spreadConv() {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 3, 8, 8]);
    const w = Float32Array.from({ length: 6 * 27 }, (_, i) => weights(1, i)[0]! * 4 ** (Math.floor(i / 27) - 3));
    g.op(
      'Conv',
      [x, g.initializer('W', w, [6, 3, 3, 3]), g.initializer('B', weights(6, 2), [6])],
      { pads: [1, 1, 1, 1] },
      { name: 'conv', output: 'y' },
    );
    g.output('y', 'float32', [1, 6, 8, 8]);
    return buildModel(g, { opset: 17 });
  }

  it('gives int8 symmetric weights one scale per output channel: ConvInteger with one zero point, scales [M, 1, 1]', async () => {
    const model = spreadConv();
    const perTensor = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    const perChannel = await int8Dynamic.apply(model, { mode: 'int8-dynamic', perChannel: true });
    expect(perChannel.report.settings).toMatchObject({ perChannel: true, perChannelNodes: 1 });
    expect(perChannel.report.warnings).toEqual([]);
    const init = (m: typeof model, name: string) => m.graph!.initializer!.find((t) => t.name === name)!;
    const conv = nodes(perChannel.model).find((n) => n.op_type === 'ConvInteger')!;
    expect(init(perChannel.model, conv.input![3]!).dims!.map(Number)).toEqual([]);
    const mul = nodes(perChannel.model).find((n) => n.name === 'conv_quant_scales_mul')!;
    expect(init(perChannel.model, mul.input![1]!).dims!.map(Number)).toEqual([6, 1, 1]);
    // The weights themselves differ: the small channels keep their resolution.
    const q = (m: typeof model) => Array.from(readTensorValues(init(m, 'W_quantized')) as Int8Array);
    expect(q(perChannel.model)).not.toEqual(q(perTensor.model));
    expect(
      q(perChannel.model)
        .slice(0, 27)
        .some((v) => Math.abs(v) > 100),
    ).toBe(true);
    expect(
      q(perTensor.model)
        .slice(0, 27)
        .every((v) => Math.abs(v) < 4),
    ).toBe(true);
    expect((await optimizedOps(perChannel.model)).filter((o) => o === 'ConvInteger').length).toBe(1);
    // The smallest channel carries little of the output's energy: judged on its own, per-tensor
    // weights lose it and per-channel ones keep it.
    const [input] = randomInputs(model, 1, { seed: 3 });
    const smallest = async (m: typeof model) => {
      const session = await load(m);
      const x = input!.x!;
      const y = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [...x.dims]) })).y!.data as Float32Array;
      await session.release();
      return y.slice(0, 64);
    };
    const reference = await smallest(model);
    const sqnr = (y: Float32Array) => {
      let signal = 0;
      let noise = 0;
      reference.forEach((v, i) => {
        signal += v * v;
        noise += (v - (y[i] as number)) ** 2;
      });
      return 10 * Math.log10(signal / noise);
    };
    const channelPerChannel = sqnr(await smallest(perChannel.model));
    const channelPerTensor = sqnr(await smallest(perTensor.model));
    expect(channelPerChannel).toBeGreaterThan(25);
    expect(channelPerChannel).toBeGreaterThan(channelPerTensor + 10);
    const whole = await quality(model, perChannel.model, randomInputs(model, 2, { seed: 4 }));
    expect(whole.y!.sqnrDb).toBeGreaterThan(30);
  });

  it('says so when Conv weights stay per-tensor (asymmetric uint8 weights need a zero point per channel)', async () => {
    const model = spreadConv();
    const { model: q, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic', perChannel: true, weightType: 'uint8' });
    expect(report.settings).toMatchObject({ perChannel: false, perChannelNodes: 0 });
    expect(report.warnings).toEqual([
      "Conv weights stay per-tensor in int8-dynamic: onnxruntime's ConvInteger takes a single weight zero point, so one scale " +
        'per output channel needs symmetric int8 weights (these are uint8, asymmetric); 1 node keeps one scale per weight tensor.',
    ]);
    const plain = await int8Dynamic.apply(model, { mode: 'int8-dynamic', weightType: 'uint8' });
    expect(Buffer.from(bytesOf(q)).equals(Buffer.from(bytesOf(plain.model)))).toBe(true);
  });
});
