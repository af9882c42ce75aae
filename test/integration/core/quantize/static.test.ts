/**
 * Static int8 (QDQ) with calibration. SQNR floors: calibrated per-tensor int8 on the small
 * samples measures 23–32 dB on fresh inputs once calibration has seen ~32 items (with 8 the
 * ranges miss the evaluation inputs' extremes and it drops to ~16 dB); floor 20, while a wrong
 * scale, zero point or bias scale gives < 10 dB.
 * resnet-mini measures ~12 dB: random BatchNorm statistics make its activations heavy-tailed
 * and eight calibration images cannot pin their ranges, so its floor is 8 dB with the top-1
 * class still agreeing. The fusion checks are the point there.
 */
import { describe, expect, it } from 'vitest';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import { readTensorNumbers } from '../../../../src/core/onnx/tensor';
import { int8Dynamic } from '../../../../src/core/quantize/dynamic';
import { int4 } from '../../../../src/core/quantize/int4';
import { int8Static } from '../../../../src/core/quantize/static';
import { buildSampleModel } from '../../../../src/core/zoo';
import { bytesOf, nodes, opCounts, optimizedOps, quality, randomInputs, sampleInputs } from './helpers';

const NO_VNNI = { arch: 'x64', flags: ['avx2', 'fma', 'f16c'] };

function weights(n: number, seed: number, scale = 0.3): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed) * scale);
}

describe('static int8 on the samples', () => {
  it('mnist-cnn: QLinearConv and QGemm, output name kept, Relus folded', async () => {
    const model = buildSampleModel('mnist-cnn');
    const calibrationData = sampleInputs('mnist-cnn', model, 16, 1, { batch: 2 });
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', calibrationData });
    expect(report.settings).toMatchObject({
      activationType: 'int8',
      weightType: 'int8',
      reduceRange: false,
      calibrationBatches: 16,
      foldedActivations: 2,
    });
    expect(opCounts(q).Relu).toBeUndefined();
    // The graph output keeps its name: the Gemm writes logits_QuantizeLinear_Input, the DQ writes logits.
    const lastDq = nodes(q).find((n) => n.op_type === 'DequantizeLinear' && n.output![0] === 'logits')!;
    expect(lastDq).toBeDefined();
    expect(nodes(q).find((n) => n.op_type === 'Gemm')!.output).toEqual(['logits_QuantizeLinear_Input']);
    const ops = await optimizedOps(q);
    expect(ops.filter((o) => o === 'QLinearConv').length).toBe(2);
    expect(ops).toContain('QGemm');
    const r = await quality(model, q, sampleInputs('mnist-cnn', model, 2, 9, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(20);
  });

  it('resnet-mini for x86 without VNNI: BN folded, uint8 activations, every Conv fused', async () => {
    const model = buildSampleModel('resnet-mini');
    const calibrationData = sampleInputs('resnet-mini', model, 4, 1, { batch: 2 });
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', perChannel: true, cpu: NO_VNNI, calibrationData });
    expect(report.settings).toMatchObject({ activationType: 'uint8', weightType: 'int8', reduceRange: true, perChannel: true });
    expect(report.warnings).toEqual([]);
    const counts = opCounts(q);
    expect(counts.BatchNormalization).toBeUndefined();
    expect(counts.Conv).toBe(9);
    // Per-channel weight DQs carry axis 0; int32 biases their own per-channel scales.
    const inits = new Map(q.graph!.initializer!.map((t) => [t.name, t]));
    for (const conv of nodes(q).filter((n) => n.op_type === 'Conv')) {
      const [, w, b] = conv.input!;
      const wDq = nodes(q).find((n) => n.output![0] === w)!;
      expect(wDq.attribute!.find((a) => a.name === 'axis')?.i).toBe(0);
      expect(inits.get(wDq.input![0]!)!.data_type).toBe(DataType.INT8);
      const bDq = nodes(q).find((n) => n.output![0] === b)!;
      expect(inits.get(bDq.input![0]!)!.data_type).toBe(DataType.INT32);
      expect(bDq.attribute!.find((a) => a.name === 'axis')?.i).toBe(0);
    }
    const zeroPoint = inits.get('input_zero_point')!;
    expect(zeroPoint.data_type).toBe(DataType.UINT8);
    // 7-bit weights: every int8 weight value within −64..64.
    const w0 = inits.get(nodes(q).find((n) => n.op_type === 'DequantizeLinear' && n.input![0]!.includes('weight'))!.input![0]!)!;
    expect(readTensorNumbers(w0).reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(64);
    const ops = await optimizedOps(q);
    expect(ops.filter((o) => o === 'QLinearConv').length).toBe(9);
    expect(bytesOf(q).length).toBeLessThan(bytesOf(model).length * 0.4);
    const r = await quality(model, q, sampleInputs('resnet-mini', model, 2, 9, { batch: 2 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(8);
    expect(r.logits!.top1Agreement).toBeGreaterThanOrEqual(0.5);
  });

  it('mlp with int8 activations on x86 warns about unfused shared tensors only when there are some', async () => {
    const model = buildSampleModel('mlp');
    const calibrationData = sampleInputs('mlp', model, 8, 1, { batch: 4 });
    const { model: q, report } = await int8Static.apply(model, {
      mode: 'int8-static',
      cpu: { arch: 'x64', flags: ['avx512_vnni'] },
      calibrationData,
    });
    expect(report.settings.activationType).toBe('int8');
    expect(report.warnings).toEqual([]);
    expect((await optimizedOps(q)).filter((o) => o === 'QGemm').length).toBe(3);
    const r = await quality(model, q, sampleInputs('mlp', model, 2, 9, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(20);
  });

  it('resnet-mini with int8 activations for x86 says which tensors keep readers unfused', async () => {
    const model = buildSampleModel('resnet-mini');
    const calibrationData = sampleInputs('resnet-mini', model, 2, 1, { batch: 2 });
    const { model: q, report } = await int8Static.apply(model, {
      mode: 'int8-static',
      cpu: { arch: 'x64', flags: ['avx512_vnni'] },
      calibrationData,
    });
    expect(report.settings.activationType).toBe('int8');
    // The residual inputs (stem output, each block's output) are read by two nodes each.
    expect(report.warnings.join(' ')).toMatch(/\b[3-9] quantized tensors have several/);
    expect((await optimizedOps(q)).filter((o) => o === 'QLinearConv').length).toBeGreaterThanOrEqual(4);
  });

  it('transformer-encoder: attention MatMuls are quantized but flagged', async () => {
    const model = buildSampleModel('transformer-encoder');
    const dims = { batch: 2, sequence: 16 };
    const { model: q, report } = await int8Static.apply(model, {
      mode: 'int8-static',
      activationType: 'uint8',
      calibrationData: sampleInputs('transformer-encoder', model, 4, 1, dims),
    });
    expect(report.warnings.join(' ')).toMatch(/^4 MatMuls multiply two run-time tensors .*dynamic int8/);
    expect((await optimizedOps(q)).filter((o) => o === 'QLinearMatMul' || o === 'MatMulIntegerToFloat').length).toBeGreaterThan(0);
    const r = await quality(model, q, sampleInputs('transformer-encoder', model, 2, 9, dims));
    // Measured ~9 dB: the point of the warning. Still a working model, not noise.
    expect(r.last_hidden_state!.cosine).toBeGreaterThan(0.8);
  });

  it.each(['percentile', 'entropy'] as const)('%s calibration makes a working model', async (calibrationMethod) => {
    const model = buildSampleModel('mnist-cnn');
    const calibrationData = sampleInputs('mnist-cnn', model, 16, 1, { batch: 2 });
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', calibrationMethod, bins: 2048, calibrationData });
    expect(report.settings.calibrationMethod).toBe(calibrationMethod);
    expect(report.settings.bins).toBe(2048);
    // Percentile ranges are symmetric (±t): the Relu cannot be folded into the Q that follows Conv.
    expect(report.settings.foldedActivations).toBe(calibrationMethod === 'percentile' ? 0 : 2);
    const r = await quality(model, q, sampleInputs('mnist-cnn', model, 2, 9, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(15);
  });

  it('minmax with moving average: one outlier batch no longer sets the input scale', async () => {
    const model = buildSampleModel('mlp');
    const batches = sampleInputs('mlp', model, 8, 1, { batch: 2 });
    // The last batch is ten times louder than the rest.
    const loud = batches[7]!;
    for (const tensor of Object.values(loud)) (tensor.data as Float32Array).forEach((v, i, a) => (a[i] = v * 10));
    const inputScale = async (movingAverage: boolean) => {
      const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', movingAverage, calibrationData: batches });
      const input = model.graph!.input![0]!.name!;
      const quantize = nodes(q).find((n) => n.op_type === 'QuantizeLinear' && n.input![0] === input)!;
      const scale = q.graph!.initializer!.find((t) => t.name === quantize.input![1])!;
      return { scale: readTensorNumbers(scale)[0] as number, report };
    };
    const extremes = await inputScale(false);
    const averaged = await inputScale(true);
    expect(averaged.report.settings.movingAverage).toBe(true);
    expect(extremes.report.settings).not.toHaveProperty('movingAverage');
    // Mean of eight batch ranges, one of them 10× wider: about (7 + 10) / 8 ≈ 2.1 of a quiet batch's
    // range against 10 of it: well under half the scale.
    expect(averaged.scale).toBeLessThan(extremes.scale * 0.5);
    expect(averaged.scale).toBeGreaterThan(extremes.scale * 0.1);
  });
});

describe('static int8 on hand-built graphs', () => {
  it('duplicates a bias shared by two Convs, folds Gemm beta into its bias, fixes the Softmax range', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 2, 6, 6]);
    const bias = g.initializer('B', weights(4, 1), [4]);
    const a = g.op(
      'Conv',
      [x, g.initializer('W1', weights(4 * 2 * 9, 2), [4, 2, 3, 3]), bias],
      { kernel_shape: [3, 3] },
      { name: 'conv1' },
    );
    const b = g.op(
      'Conv',
      [x, g.initializer('W2', weights(4 * 2 * 9, 3), [4, 2, 3, 3]), bias],
      { kernel_shape: [3, 3] },
      { name: 'conv2' },
    );
    const sum = g.op('Add', [a, b]);
    const flat = g.op('Flatten', [sum], { axis: 1 });
    const dense = g.op(
      'Gemm',
      [flat, g.initializer('Wd', weights(64 * 5, 4), [64, 5]), g.initializer('Bd', weights(5, 5), [5])],
      { beta: attr.float(0.5) },
      { name: 'dense' },
    );
    g.op('Softmax', [dense], { axis: -1 }, { output: 'probs' });
    g.output('probs', 'float32', [1, 5]);
    const model = buildModel(g, { opset: 17 });
    const calibrationData = randomInputs(model, 3, { seed: 5 });

    const { model: q } = await int8Static.apply(model, { mode: 'int8-static', perChannel: true, activationType: 'uint8', calibrationData });
    const byName = new Map(nodes(q).map((n) => [n.name, n]));
    const biasOf = (conv: string) => byName.get(conv)!.input![2]!;
    expect(biasOf('conv1')).not.toBe(biasOf('conv2'));
    const int32Biases = q.graph!.initializer!.filter(
      (t) => t.data_type === DataType.INT32 && t.name!.startsWith('B_quantized') && !t.name!.includes('zero'),
    );
    expect(int32Biases.length).toBe(2);
    const gemm = byName.get('dense')!;
    expect(gemm.attribute!.find((a) => a.name === 'beta')!.f).toBe(1);
    const softmaxScale = q.graph!.initializer!.find((t) => t.name === 'probs_scale')!;
    expect(readTensorNumbers(softmaxScale)[0]).toBeCloseTo(1 / 255, 9);
    expect(readTensorNumbers(q.graph!.initializer!.find((t) => t.name === 'probs_zero_point')!)[0]).toBe(0);
    const r = await quality(model, q, randomInputs(model, 2, { seed: 6 }));
    expect(r.probs!.sqnrDb).toBeGreaterThan(20);
  });

  it('needs calibration data and refuses per-channel below opset 13', async () => {
    const model = buildSampleModel('mlp');
    await expect(int8Static.apply(model, { mode: 'int8-static' })).rejects.toMatchObject({
      code: 'QUANTIZE_UNSUPPORTED',
      message: expect.stringMatching(/calibration/),
    });
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 8]);
    g.op('MatMul', [x, g.initializer('W', weights(64, 1), [8, 8])], {}, { output: 'y' });
    g.output('y', 'float32', [1, 8]);
    const old = buildModel(g, { opset: 12 });
    await expect(
      int8Static.apply(old, { mode: 'int8-static', perChannel: true, calibrationData: randomInputs(old, 1) }),
    ).rejects.toMatchObject({ code: 'QUANTIZE_UNSUPPORTED', message: expect.stringMatching(/opset 13/) });
  });
});

describe('int8 of a model that is already quantized', () => {
  it('is refused up front by both int8 modes, naming what the model holds', async () => {
    const mlp = buildSampleModel('mlp');
    const dynamic = (await int8Dynamic.apply(mlp, { mode: 'int8-dynamic' })).model;
    const fourBit = (await int4.apply(mlp, { mode: 'int4' })).model;
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 64]);
    const stored = g.initializer(
      'W_int8',
      Int8Array.from({ length: 64 * 64 }, (_, i) => (i % 255) - 127),
      [64, 64],
      'int8',
    );
    const w = g.op('Mul', [g.op('Cast', [stored], { to: DataType.FLOAT }), g.initializer('W_scale', Float32Array.of(0.01), [])]);
    g.op('MatMul', [x, w], {}, { output: 'y' });
    g.output('y', 'float32', [1, 64]);
    const weightOnly = buildModel(g, { opset: 17 });
    const cases = [
      { model: dynamic, reason: /^The model is already quantized \(3 DynamicQuantizeLinear, 3 MatMulInteger\): quantizing it again/ },
      { model: fourBit, reason: /^The model is already quantized \(3 MatMulNBits\)/ },
      { model: weightOnly, reason: /^The model already holds 8- or 4-bit integer weights \(1, e\.g\. W_int8\)/ },
    ];
    for (const { model, reason } of cases) {
      for (const mode of [int8Dynamic, int8Static]) {
        expect(mode.canApply(model), mode.mode).toEqual({ ok: false, reason: expect.stringMatching(reason) });
        await expect(mode.apply(model, { mode: mode.mode, calibrationData: [] })).rejects.toMatchObject({ code: 'QUANTIZE_UNSUPPORTED' });
      }
    }
    expect(int8Static.canApply(mlp)).toEqual({ ok: true });
  });
});
