import { describe, expect, it } from 'vitest';
import { buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { float32ToFloat16Bits } from '../../../../src/core/quantize/math';
import { applicableTransformations, chooseInt8Types, TRANSFORMATIONS, transformationFor } from '../../../../src/core/quantize';
import { QuantizeOptionsSchema, QuantizeReportSchema } from '../../../../src/shared/domain/quantize';

function matmulModel(opset: number, fp16 = false) {
  const g = new GraphBuilder('g');
  const type = fp16 ? 'float16' : 'float32';
  const x = g.input('x', type, [1, 8]);
  const w = fp16
    ? g.initializer(
        'W',
        Uint16Array.from({ length: 32 }, () => float32ToFloat16Bits(0.25)),
        [8, 4],
        'float16',
      )
    : g.initializer('W', new Float32Array(32).fill(0.25), [8, 4]);
  g.op('MatMul', [x, w], {}, { output: 'y' });
  g.output('y', type, [1, 4]);
  return buildModel(g, { opset });
}

describe('QuantizeOptions', () => {
  it('accepts every mode with its settings', () => {
    const options = {
      mode: 'int8-static',
      perChannel: true,
      weightType: 'int8',
      activationType: 'uint8',
      reduceRange: true,
      calibrationMethod: 'entropy',
      bins: 2048,
      include: ['conv1'],
      exclude: ['fc'],
      cpu: { arch: 'x64', flags: ['avx2'] },
    };
    expect(QuantizeOptionsSchema.parse(options)).toEqual(options);
    expect(QuantizeOptionsSchema.parse({ mode: 'q4f16', blockSize: 32, accuracyLevel: 4 }).blockSize).toBe(32);
  });
  it('rejects what the transformations cannot do', () => {
    expect(QuantizeOptionsSchema.safeParse({ mode: 'int3' }).success).toBe(false);
    expect(QuantizeOptionsSchema.safeParse({ mode: 'int4', blockSize: 48 }).success).toBe(false);
    expect(QuantizeOptionsSchema.safeParse({ mode: 'int8-static', calibrationMethod: 'mse' }).success).toBe(false);
    expect(QuantizeOptionsSchema.safeParse({ mode: 'int4', accuracyLevel: 5 }).success).toBe(false);
    expect(QuantizeOptionsSchema.safeParse({ mode: 'int8-static', percentile: 0 }).success).toBe(false);
  });
  it('the report schema takes a full report', () => {
    const report = {
      mode: 'fp16',
      sizeBytes: { before: 100, after: 50 },
      nodesQuantized: 3,
      settings: { keepIoTypes: true },
      skipped: [{ node: 'topk', opType: 'TopK', reason: 'on the fp16 block list' }],
      quality: [{ name: 'y', elements: 4, maxAbsDiff: 0.1, meanAbsDiff: 0.01, sqnrDb: null, cosine: 1, nanCount: 0, infCount: 0 }],
      warnings: [],
    };
    expect(QuantizeReportSchema.parse(report)).toEqual(report);
  });
});

describe('int8 types from the CPU', () => {
  it('x86 without VNNI: uint8 activations, int8 weights, reduce_range', () => {
    expect(chooseInt8Types({ arch: 'x64', flags: ['avx2', 'fma'] })).toMatchObject({
      activationType: 'uint8',
      weightType: 'int8',
      reduceRange: true,
    });
  });
  it('x86 with VNNI (either spelling) and ARM: int8 both, full range', () => {
    for (const flags of [['avx512_vnni'], ['avxvnni'], ['AVX512VNNI']]) {
      expect(chooseInt8Types({ arch: 'x64', flags })).toMatchObject({ activationType: 'int8', weightType: 'int8', reduceRange: false });
    }
    expect(chooseInt8Types({ arch: 'arm64', flags: ['asimd'] })).toMatchObject({ activationType: 'int8', reduceRange: false });
    expect(chooseInt8Types(undefined)).toMatchObject({ activationType: 'int8', weightType: 'int8', reduceRange: false });
  });
});

describe('registry and refusals', () => {
  it('lists every mode once, in the order offered', () => {
    expect(TRANSFORMATIONS.map((t) => t.mode)).toEqual(['int8-dynamic', 'int8-static', 'fp16', 'int4', 'q4f16']);
    expect(transformationFor('fp16').title).toBe('fp16');
  });

  it('an fp32 opset-17 MatMul model can take every transformation', () => {
    for (const entry of applicableTransformations(matmulModel(17))) expect(entry.applicability).toEqual({ ok: true });
  });

  it('opset below 11 is refused by dynamic int8 with the reason', () => {
    const result = transformationFor('int8-dynamic').canApply(matmulModel(10));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/opset 11 or newer; this model uses opset 10/);
    // Static QDQ only needs opset 10, per-channel 13.
    expect(transformationFor('int8-static').canApply(matmulModel(10)).ok).toBe(true);
    const perChannel = transformationFor('int8-static').canApply(matmulModel(12), { perChannel: true });
    expect(!perChannel.ok && perChannel.reason).toMatch(/opset 13/);
  });

  it('an fp16 model is refused by int8 and fp16 modes, accepted by int4', () => {
    const model = matmulModel(17, true);
    const byMode = Object.fromEntries(applicableTransformations(model).map((e) => [e.mode, e.applicability]));
    expect(byMode['int8-dynamic']).toMatchObject({ ok: false, reason: expect.stringMatching(/already fp16/) });
    expect(byMode['int8-static']).toMatchObject({ ok: false });
    expect(byMode.fp16).toMatchObject({ ok: false, reason: expect.stringMatching(/float16/) });
    expect(byMode.q4f16).toMatchObject({ ok: false });
    expect(byMode.int4).toEqual({ ok: true });
  });

  it('a model without weights to quantize says so', () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [4]);
    g.op('Relu', [x], {}, { output: 'y' });
    g.output('y', 'float32', [4]);
    const result = transformationFor('int8-dynamic').canApply(buildModel(g, { opset: 17 }));
    expect(!result.ok && result.reason).toMatch(/no MatMul, Gemm, Conv or Gather/);
  });
});
