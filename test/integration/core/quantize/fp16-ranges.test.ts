/**
 * fp16 on values float16 cannot hold: a BatchNormalization running variance of 1e7 (folded into
 * its Conv), a power spectrum of int16-scale audio (its nodes kept fp32 from the measured
 * activations), a cancellation that only the check of the variant finds (retried), and models
 * that already hold int8 weights (refused).
 */
import { describe, expect, it } from 'vitest';
import { buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import type { ModelProto } from '../../../../src/core/onnx/codec';
import { int8Dynamic } from '../../../../src/core/quantize/dynamic';
import { discoverElementTypes } from '../../../../src/core/quantize/element-types';
import { fp16 } from '../../../../src/core/quantize/fp16';
import { emulateFp16Storage } from '../../../../src/core/quantize/fp16-emulate';
import { q4f16 } from '../../../../src/core/quantize/int4';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { createRng } from '../../../../src/shared/stats/random';
import { load, nodes, quality, randomInputs } from './helpers';

function seeded(n: number, seed: number, scale: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Conv (8 channels, the first four with weights ~600 so their outputs reach ~3000) → BatchNormalization → Relu → 1×1 Conv. */
function convBatchNorm(options: { withConv?: boolean } = {}): ModelProto {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [1, options.withConv === false ? 8 : 3, 8, 8]);
  let h = x;
  if (options.withConv !== false) {
    const w = seeded(8 * 27, 1, 1);
    for (let i = 0; i < 4 * 27; i++) w[i] = (w[i] as number) * 600;
    for (let i = 4 * 27; i < w.length; i++) w[i] = (w[i] as number) * 0.3;
    h = g.op(
      'Conv',
      [x, g.initializer('conv.W', w, [8, 3, 3, 3]), g.initializer('conv.B', seeded(8, 2, 0.1), [8])],
      { pads: [1, 1, 1, 1] },
      { name: 'conv' },
    );
  }
  const bn = g.op(
    'BatchNormalization',
    [
      h,
      g.initializer('bn.scale', new Float32Array([1, 0.5, 2, 1, 1, 1.5, 0.7, 1]), [8]),
      g.initializer('bn.bias', new Float32Array([0.2, -0.3, 0.1, 0.5, -0.1, 0.3, 0, 0.2]), [8]),
      g.initializer('bn.mean', new Float32Array([3, -2, 1, 0, 0.1, 0, -0.1, 0]), [8]),
      g.initializer('bn.var', new Float32Array([1.02e7, 1.2e7, 0.9e7, 1e7, 2.4, 2, 3, 2.5]), [8]),
    ],
    { epsilon: 1e-5 },
    { name: 'bn' },
  );
  const r = g.op('Relu', [bn], {}, { name: 'relu' });
  g.op('Conv', [r, g.initializer('mix.W', seeded(4 * 8, 3, 0.5), [4, 8, 1, 1])], {}, { name: 'mix', output: 'y' });
  g.output('y', 'float32', [1, 4, 8, 8]);
  return buildModel(g, { opset: 17 });
}

const N = 400;
const BINS = 64;

/** y = W2 · log(melW · (x·W1)² + 1): a power spectrum in the style of an audio front-end, ~1e13 before the log. */
function powerSpectrum(): ModelProto {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [1, N]);
  const basis = new Float32Array(N * BINS);
  for (let i = 0; i < N; i++) for (let k = 0; k < BINS; k++) basis[i * BINS + k] = Math.cos((2 * Math.PI * (k + 1) * i) / N);
  const h = g.op('MatMul', [x, g.initializer('dft.W', basis, [N, BINS])], {}, { name: 'dft' });
  const power = g.op('Mul', [h, h], {}, { name: 'power' });
  const mel = Float32Array.from({ length: BINS * 16 }, (_, i) => ((i * 7) % 11) / 11);
  const bands = g.op('MatMul', [power, g.initializer('mel.W', mel, [BINS, 16])], {}, { name: 'mel' });
  const shifted = g.op('Add', [bands, g.initializer('one', new Float32Array([1]), [1])], {}, { name: 'plus_one' });
  const logs = g.op('Log', [shifted], {}, { name: 'log' });
  g.op('MatMul', [logs, g.initializer('head.W', seeded(16 * 8, 4, 0.3), [16, 8])], {}, { name: 'head', output: 'y' });
  g.output('y', 'float32', [1, 8]);
  return buildModel(g, { opset: 17 });
}

/** int16-scale tones: 20000 · sin at a few frequencies. */
function tones(count: number): InputRecord[] {
  return Array.from({ length: count }, (_, r) => ({
    x: {
      type: 'float32',
      dims: [1, N],
      data: Float32Array.from({ length: N }, (_, i) => 20000 * Math.sin((2 * Math.PI * (440 + 330 * r) * i) / 16000 + r)),
    },
  }));
}

/** y = ((x + 1000) − 1000) · 100 with x ~ 0.01: in range everywhere, but fp16 rounds x + 1000 to steps of 0.5. */
function cancellation(): ModelProto {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [1, 64]);
  const big = g.initializer('big', new Float32Array([1000]), [1]);
  const shifted = g.op('Add', [x, big], {}, { name: 'shift' });
  const back = g.op('Sub', [shifted, g.initializer('big2', new Float32Array([1000]), [1])], {}, { name: 'unshift' });
  g.op('Mul', [back, g.initializer('gain.k', new Float32Array([100]), [1])], {}, { name: 'gain', output: 'y' });
  g.output('y', 'float32', [1, 64]);
  return buildModel(g, { opset: 17 });
}

/** The variant as a GPU runs it: every fp16 value stored in float16 (onnxruntime's CPU keeps some in float32). */
async function asOnGpu(variant: ModelProto): Promise<ModelProto> {
  const emulated = emulateFp16Storage(variant, await discoverElementTypes(variant));
  if (!emulated) throw new Error('no emulation for this variant');
  return emulated;
}

function small(records: InputRecord[], scale: number): InputRecord[] {
  return records.map((r) => ({ x: { ...r.x!, data: Float32Array.from(r.x!.data as Float32Array, (v) => v * scale) } }));
}

describe('fp16 and stored values float16 cannot hold', () => {
  it('folds a BatchNormalization with a running variance of 1e7 into its Conv and keeps the outputs', async () => {
    const model = convBatchNorm();
    const { model: half, report } = await fp16.apply(model, { mode: 'fp16' });
    expect(report.warnings.join('\n')).toMatch(
      /BatchNormalization bn: running variance 1\.2e7 exceeds fp16's 65504 \(4 values are beyond it\) — folded into Conv conv in fp32/,
    );
    expect(report.settings.foldedBatchNormalizations).toBe(1);
    expect(nodes(half).map((n) => n.op_type)).not.toContain('BatchNormalization');
    expect(half.graph!.initializer!.filter((t) => t.data_type === DataType.FLOAT).map((t) => t.name)).toEqual([]);
    expect(report.warnings.join(' ')).not.toMatch(/clamped/);
    const r = await quality(model, half, randomInputs(model, 3, { seed: 5 }));
    expect(r.y!.cosine).toBeGreaterThanOrEqual(0.999);
    expect(r.y!.nanCount + r.y!.infCount).toBe(0);
  });

  it('keeps a BatchNormalization with nothing to fold into in fp32, with the reason', async () => {
    const model = convBatchNorm({ withConv: false });
    const { model: half, report } = await fp16.apply(model, { mode: 'fp16' });
    const entry = report.skipped.find((s) => s.node === 'bn');
    expect(entry?.reason).toBe(
      "running variance 1.2e7 exceeds fp16's 65504 (4 values are beyond it) — kept in fp32 (not folded: no Conv, ConvTranspose " +
        'or Gemm writes its input)',
    );
    expect(report.settings.keptFp32ForConstants).toBe(1);
    const inits = new Map(half.graph!.initializer!.map((t) => [t.name, t.data_type]));
    expect(inits.get('bn.var')).toBe(DataType.FLOAT);
    expect(inits.get('mix.W')).toBe(DataType.FLOAT16);
    const inputs = randomInputs(model, 2, { seed: 6 }).map((rec) => ({
      x: { ...rec.x!, data: Float32Array.from(rec.x!.data as Float32Array, (v) => v * 3000) },
    }));
    const r = await quality(model, half, inputs);
    expect(r.y!.cosine).toBeGreaterThanOrEqual(0.999);
  });

  it('keeps the reader of a weight beyond 65504 in fp32 instead of clamping it, and of a tiny constant', async () => {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 4]);
    const scaled = g.op('Mul', [x, g.initializer('gain', new Float32Array([1, 2, 1e6, 3]), [4])], {}, { name: 'gain_mul' });
    const floor = g.op('Max', [scaled, g.initializer('floor', new Float32Array([1e-10]), [1])], {}, { name: 'floor_max' });
    const clipped = g.op(
      'Clip',
      [floor, g.initializer('lo', new Float32Array([1e-10]), []), g.initializer('hi', new Float32Array([1e9]), [])],
      {},
      { name: 'clip' },
    );
    g.op('Log', [clipped], {}, { name: 'log', output: 'y' });
    g.output('y', 'float32', [1, 4]);
    const model = buildModel(g, { opset: 17 });
    const { model: half, report } = await fp16.apply(model, { mode: 'fp16' });
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.node, s.reason]));
    expect(reasons.gain_mul).toBe("constant gain: 1e6 exceeds fp16's 65504 — kept in fp32");
    expect(reasons.floor_max).toBe('on the fp16 block list');
    // Max stays fp32 for its block list entry; only the Mul and the Clip count as kept for their constants.
    expect(report.settings.keptFp32ForConstants).toBe(2);
    expect(reasons.clip).toMatch(/^constant (lo|hi): /);
    expect(reasons.log).toBeUndefined();
    expect(half.graph!.initializer!.find((t) => t.name === 'gain')!.data_type).toBe(DataType.FLOAT);
    const r = await quality(model, half, [{ x: { type: 'float32', data: new Float32Array([0.5, 2, 0.01, 4]), dims: [1, 4] } }]);
    expect(r.y!.nanCount + r.y!.infCount).toBe(0);
    expect(r.y!.cosine).toBeGreaterThanOrEqual(0.999);
  });
});

describe('fp16 on the evaluation inputs', () => {
  it('keeps a power spectrum of int16-scale audio in fp32 and its outputs finite', async () => {
    const model = powerSpectrum();
    const records = tones(4);
    const before = await fp16.apply(model, { mode: 'fp16' });
    const broken = await quality(model, await asOnGpu(before.model), records);
    expect(broken.y!.nanCount + broken.y!.infCount).toBeGreaterThan(0);

    const { model: half, report } = await fp16.apply(model, { mode: 'fp16', calibrationData: records });
    const kept = report.skipped.map((s) => s.node).sort();
    expect(kept).toEqual(['dft', 'log', 'mel', 'plus_one', 'power']);
    expect(report.skipped.find((s) => s.node === 'power')!.reason).toMatch(
      /^values reach [\d.]+e1[23] in power_output_0 on the evaluation inputs, past the fp16-safe ±32768 — kept in fp32$/,
    );
    expect(report.settings.keptFp32ForActivations).toBe(5);
    expect(report.settings.activationRanges).toBe('measured on 4 inputs (7 values)');
    expect(report.settings.fp16Check).toMatch(/^passed: outputs finite, worst cosine (0\.99\d+|1\.0+) on 4 inputs \(1 attempt\)$/);
    // The head still runs in fp16.
    expect(half.graph!.initializer!.find((t) => t.name === 'head.W')!.data_type).toBe(DataType.FLOAT16);
    for (const variant of [half, await asOnGpu(half)]) {
      const r = await quality(model, variant, tones(6));
      expect(r.y!.nanCount + r.y!.infCount).toBe(0);
      expect(r.y!.cosine).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('keeps nothing more on data that stays small', async () => {
    const model = powerSpectrum();
    const { report } = await fp16.apply(model, { mode: 'fp16', calibrationData: small(tones(2), 1e-6) });
    expect(report.skipped).toEqual([]);
    expect(report.settings.fp16Check).toMatch(/^passed/);
  });

  it('retries with the nodes where the values first diverge kept in fp32', async () => {
    const model = cancellation();
    const records = small(randomInputs(model, 3, { seed: 8 }), 0.01);
    const { model: half, report } = await fp16.apply(model, { mode: 'fp16', calibrationData: records });
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.node, s.reason]));
    expect(reasons.unshift).toMatch(/^in fp16 its output unshift_output_0 is [\d.e]+% away from fp32's on the evaluation inputs /);
    expect(reasons.unshift).toMatch(/ while its inputs are still close — kept in fp32 \(attempt 2\)$/);
    expect(reasons.shift).toMatch(/^its fp16 output feeds Sub unshift, whose output unshift_output_0 .* — kept in fp32 \(attempt 3\)$/);
    expect(reasons.gain).toBeUndefined();
    expect(report.settings.keptFp32AfterCheck).toBe(2);
    expect(report.settings.fp16Check).toMatch(/^passed: .* \(3 attempts\)$/);
    expect(report.warnings.join('\n')).toMatch(
      /fp16 checked on the evaluation inputs: attempt 1: .*; attempt 2: .*; attempt 3: .* — accepted\./,
    );
    const r = await quality(model, await asOnGpu(half), records);
    expect(r.y!.cosine).toBeGreaterThanOrEqual(0.999);
  });

  it('stores every fp16 value in float16 when checking, as a GPU does and this CPU does not', async () => {
    const model = cancellation();
    const records = small(randomInputs(model, 2, { seed: 8 }), 0.01);
    const { model: half } = await fp16.apply(model, { mode: 'fp16' });
    // onnxruntime runs Add, Sub and Mul in float32 here and drops the casts between them.
    expect((await quality(model, half, records)).y!.cosine).toBeGreaterThan(0.999);
    const emulated = await asOnGpu(half);
    expect(nodes(emulated).filter((n) => n.op_type === 'Cast').length).toBeGreaterThanOrEqual(6);
    expect(emulated.graph!.initializer!.every((t) => t.data_type === DataType.FLOAT)).toBe(true);
    expect((await quality(model, emulated, records)).y!.cosine).toBeLessThan(0.9);
  });

  it('says why activations were not measured when no inputs are given', async () => {
    const { report } = await fp16.apply(cancellation(), { mode: 'fp16' });
    expect(report.settings.activationRanges).toBe('not measured: no inputs were given to the conversion');
    expect(report.settings.fp16Check).toBeUndefined();
  });
});

describe('fp16 of models that are already quantized', () => {
  function matmulModel(): ModelProto {
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [2, 64]);
    g.op('MatMul', [x, g.initializer('W', seeded(64 * 64, 9, 0.1), [64, 64])], {}, { name: 'mm', output: 'y' });
    g.output('y', 'float32', [2, 64]);
    return buildModel(g, { opset: 17 });
  }

  it('refuses a model with int8 weights, saying why', async () => {
    const { model: int8 } = await int8Dynamic.apply(matmulModel(), { mode: 'int8-dynamic' });
    const verdict = fp16.canApply(int8);
    expect(verdict).toEqual({
      ok: false,
      reason: 'The model already holds int8 weights (1 MatMulInteger): fp16 would save nothing. Convert the fp32 original instead.',
    });
    await expect(fp16.apply(int8, { mode: 'fp16' })).rejects.toMatchObject({ code: 'QUANTIZE_UNSUPPORTED' });
    expect(q4f16.canApply(int8).ok).toBe(false);
  });

  it('refuses a model with float16 weights', async () => {
    const { model: half } = await fp16.apply(matmulModel(), { mode: 'fp16' });
    expect(fp16.canApply(half)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/already holds float16 weights: fp16 would save nothing/),
    });
  });

  it('q4f16 still converts the rest of the model after its 4-bit weights', async () => {
    const model = matmulModel();
    const { model: packed, report } = await q4f16.apply(model, { mode: 'q4f16' });
    expect(report.nodesQuantized).toBe(1);
    const session = await load(packed);
    await session.release();
  });
});
