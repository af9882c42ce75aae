/** fp16's range checks, BatchNormalization folding arithmetic and the choice of nodes kept fp32 after a failed check. */
import { describe, expect, it } from 'vitest';
import { DataType } from '../../../../src/core/onnx/codec';
import type { GraphProto, ModelProto } from '../../../../src/core/onnx/codec';
import { makeTensor } from '../../../../src/core/onnx/tensor';
import { divergenceOrigins } from '../../../../src/core/quantize/fp16-attempts';
import {
  asFloat16,
  batchNormAffine,
  batchNormProblem,
  constantProblem,
  constantRange,
  formatValue,
  quantizedWeightsOf,
} from '../../../../src/core/quantize/fp16-constants';
import { rangeOf, SAMPLE_VALUES, stridedSample, type ValueError } from '../../../../src/core/quantize/fp16-data';
import { foldBatchNorm, outputChannels } from '../../../../src/core/quantize/fp16-fold';

const bn = (variance: number[], options: Partial<{ scale: number[]; bias: number[]; mean: number[]; epsilon: number }> = {}) => ({
  scale: options.scale ?? variance.map(() => 1),
  bias: options.bias ?? variance.map(() => 0),
  mean: options.mean ?? variance.map(() => 0),
  variance,
  epsilon: options.epsilon ?? 1e-5,
});

describe('formatValue', () => {
  it.each([
    [1.02e7, '1.02e7'],
    [65504, '65504'],
    [1e6, '1e6'],
    [123456, '1.23e5'],
    [0.25, '0.25'],
    [5.960464477539063e-8, '5.96e-8'],
    [1e-10, '1e-10'],
    [-3.14159, '-3.14'],
    [0, '0'],
  ])('%s reads %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe('constants float16 cannot hold', () => {
  it('counts values beyond 65504 and names the largest', () => {
    const range = constantRange(Float32Array.from([1, 1e6, -2e5, Infinity, 3]));
    expect(range).toMatchObject({ maxAbs: 1e6, huge: 2 });
    expect(constantProblem('weight w:', range)).toBe("weight w: 1e6 exceeds fp16's 65504 (2 values are beyond it)");
    expect(constantProblem('constant c:', constantRange([65504, -1]))).toBeUndefined();
  });

  it('flags a small constant float16 would move far from its value, not one it rounds a little', () => {
    expect(constantProblem('constant eps:', constantRange([1e-10]))).toBe(
      'constant eps: 1e-10 is below the smallest fp16 value and would become 5.96e-8',
    );
    expect(constantProblem('constant eps:', constantRange([1.5e-7]))).toMatch(
      /^constant eps: 1.5e-7 is between fp16 values and would become 1.79e-7$/,
    );
    expect(constantRange([1e-6]).moved).toBeUndefined();
    expect(constantRange([1e-5, 0.1, 3]).moved).toBeUndefined();
  });

  it('leaves tiny values in a large weight alone (they add next to nothing)', () => {
    const weight = new Float32Array(64).fill(0.5);
    weight[3] = 1e-10;
    expect(constantProblem('weight w:', constantRange(weight))).toBeUndefined();
  });

  it('rounds as the conversion does: tiny values lifted, huge ones lowered', () => {
    expect(asFloat16(1e-10)).toBeCloseTo(5.960464477539063e-8, 20);
    expect(asFloat16(1e6)).toBe(65504);
    expect(asFloat16(0.1)).toBeCloseTo(0.0999755859375, 12);
  });
});

describe('BatchNormalization statistics', () => {
  it('computes the per-channel affine map in float64', () => {
    const { scale, shift } = batchNormAffine(bn([15, 3], { scale: [2, 3], bias: [0.5, -1], mean: [1, 2], epsilon: 1 }));
    expect(Array.from(scale)).toEqual([0.5, 1.5]);
    expect(Array.from(shift)).toEqual([0, -4]);
  });

  it('says which statistic float16 cannot hold', () => {
    expect(batchNormProblem(bn([1.02e7, 2, 3]))).toBe("running variance 1.02e7 exceeds fp16's 65504");
    expect(batchNormProblem(bn([1, 2], { mean: [1e5, 0] }))).toBe("running mean 1e5 exceeds fp16's 65504");
    expect(batchNormProblem(bn([1, 2, 3], { scale: [0.5, 1, 2], mean: [3, -1, 0.2], bias: [0.1, 0, -0.3] }))).toBeUndefined();
  });

  it('catches a tiny variance whose scale float16 changes, and lets epsilon cover one it does not', () => {
    expect(batchNormProblem(bn([1, 1e-9], { epsilon: 1e-12 }))).toBe(
      'float16 changes the scale of channel 1 by 87% (running variance 1e-9, epsilon 1e-12)',
    );
    expect(batchNormProblem(bn([1, 1e-9], { epsilon: 1e-3 }))).toBeUndefined();
  });
});

describe('folding BatchNormalization', () => {
  const batchNorm = bn([15, 3], { scale: [2, 3], bias: [0.5, -1], mean: [1, 2], epsilon: 1 });

  it('scales each output channel of a Conv weight and folds the bias', () => {
    const folded = foldBatchNorm({ weights: [1, 2, 3, 4], dims: [2, 1, 1, 2], layout: { kind: 'conv' }, bias: [1, -1], batchNorm });
    expect(Array.from(folded.weights)).toEqual([0.5, 1, 4.5, 6]);
    // (b − mean)·s + β
    expect(Array.from(folded.bias)).toEqual([0.5, -5.5]);
    const noBias = foldBatchNorm({ weights: [1, 2, 3, 4], dims: [2, 1, 1, 2], layout: { kind: 'conv' }, batchNorm });
    expect(Array.from(noBias.bias)).toEqual([0, -4]);
  });

  it('is exact in float64 and rounds the weight once', () => {
    const variance = [1.02e7, 9.79e7];
    const weights = Float32Array.from([0.123, -7.5, 600.25, 1e-3]);
    const folded = foldBatchNorm({ weights, dims: [2, 2, 1, 1], layout: { kind: 'conv' }, batchNorm: bn(variance, { scale: [0.7, 1.3] }) });
    const s = [0.7 / Math.sqrt(1.02e7 + 1e-5), 1.3 / Math.sqrt(9.79e7 + 1e-5)];
    expect(Array.from(folded.weights)).toEqual([0, 0, 1, 1].map((c, i) => Math.fround((weights[i] as number) * (s[c] as number))));
    expect(folded.weights.every((w) => Math.abs(w) < 65504)).toBe(true);
  });

  it('maps ConvTranspose channels through their groups', () => {
    // [C_in = 4, M/group = 1, 1, 1] with 2 groups: input channels 0–1 feed output 0, 2–3 output 1.
    const folded = foldBatchNorm({ weights: [1, 1, 1, 1], dims: [4, 1, 1, 1], layout: { kind: 'convTranspose', group: 2 }, batchNorm });
    expect(Array.from(folded.weights)).toEqual([0.5, 0.5, 1.5, 1.5]);
    // One group: axis 1 is the output channel.
    const single = foldBatchNorm({ weights: [1, 1, 1, 1], dims: [2, 2, 1, 1], layout: { kind: 'convTranspose', group: 1 }, batchNorm });
    expect(Array.from(single.weights)).toEqual([0.5, 1.5, 0.5, 1.5]);
  });

  it('scales Gemm columns, or rows with transB', () => {
    const plain = foldBatchNorm({ weights: [1, 1, 1, 1, 1, 1], dims: [3, 2], layout: { kind: 'gemm', transB: false }, batchNorm });
    expect(Array.from(plain.weights)).toEqual([0.5, 1.5, 0.5, 1.5, 0.5, 1.5]);
    const transposed = foldBatchNorm({ weights: [1, 1, 1, 1, 1, 1], dims: [2, 3], layout: { kind: 'gemm', transB: true }, batchNorm });
    expect(Array.from(transposed.weights)).toEqual([0.5, 0.5, 0.5, 1.5, 1.5, 1.5]);
  });

  it('counts output channels per layout and refuses a mismatch', () => {
    expect(outputChannels([8, 3, 3, 3], { kind: 'conv' })).toBe(8);
    expect(outputChannels([4, 3, 2, 2], { kind: 'convTranspose', group: 2 })).toBe(6);
    expect(outputChannels([4, 3, 2, 2], { kind: 'convTranspose', group: 3 })).toBeUndefined();
    expect(outputChannels([16, 10], { kind: 'gemm', transB: true })).toBe(16);
    expect(outputChannels([16, 10], { kind: 'conv' })).toBeUndefined();
    expect(() => foldBatchNorm({ weights: [1, 2, 3], dims: [3, 1, 1], layout: { kind: 'conv' }, batchNorm })).toThrow(RangeError);
  });
});

describe('models that already hold quantized weights', () => {
  function model(nodes: GraphProto['node'], initializers: GraphProto['initializer']): ModelProto {
    return { graph: { node: nodes, initializer: initializers } };
  }

  it('names the operators holding integer weights', () => {
    const qdq = model(
      [
        { op_type: 'DequantizeLinear', input: ['w_q', 'w_scale'], output: ['w'] },
        { op_type: 'MatMul', input: ['x', 'w'], output: ['y'] },
      ],
      [makeTensor('w_q', DataType.INT8, [2, 2], new Int8Array(4)), makeTensor('w_scale', DataType.FLOAT, [], [0.1])],
    );
    expect(quantizedWeightsOf(qdq)).toBe('int8 weights (1 DequantizeLinear)');
    const packed = model(
      [{ op_type: 'MatMulNBits', domain: 'com.microsoft', input: ['x', 'b', 's'], output: ['y'] }],
      [makeTensor('b', DataType.UINT8, [2, 1, 16], new Uint8Array(32)), makeTensor('s', DataType.FLOAT, [2], [1, 1])],
    );
    expect(quantizedWeightsOf(packed)).toBe('int4 weights (1 MatMulNBits)');
  });

  it('says nothing of quantized activations or float weights', () => {
    const activations = model(
      [
        { op_type: 'QuantizeLinear', input: ['x', 's'], output: ['xq'] },
        { op_type: 'DequantizeLinear', input: ['xq', 's'], output: ['xd'] },
        { op_type: 'MatMul', input: ['xd', 'w'], output: ['y'] },
      ],
      [makeTensor('s', DataType.FLOAT, [], [0.1]), makeTensor('w', DataType.FLOAT, [2, 2], [1, 2, 3, 4])],
    );
    expect(quantizedWeightsOf(activations)).toBeUndefined();
  });
});

describe('values measured on data', () => {
  it('samples the same evenly spread positions for the same length', () => {
    const values = Float32Array.from({ length: 3000 }, (_, i) => i);
    const sample = stridedSample(values);
    expect(sample.length).toBe(SAMPLE_VALUES);
    expect(Array.from(sample.slice(0, 3))).toEqual([0, 2, 4]);
    expect(Array.from(stridedSample([5, 6, 7]))).toEqual([5, 6, 7]);
  });

  it('keeps the largest finite magnitude and counts NaN and Inf', () => {
    const range = rangeOf([1, -40000, NaN, Infinity, 3]);
    expect(range).toEqual({ maxAbs: 40000, nonFinite: 2 });
    expect(rangeOf([-1e5], range)).toEqual({ maxAbs: 1e5, nonFinite: 2 });
  });
});

describe('where a variant first diverges', () => {
  // x → a (Add) → b (Sub) → c (Mul) → y
  const graph: GraphProto = {
    node: [
      { name: 'add', op_type: 'Add', input: ['x', 'k'], output: ['a'] },
      { name: 'sub', op_type: 'Sub', input: ['a', 'k'], output: ['b'] },
      { name: 'mul', op_type: 'Mul', input: ['b', 'k'], output: ['y'] },
    ],
  };
  const errors = (entries: Record<string, Partial<ValueError>>) =>
    new Map(Object.entries(entries).map(([name, e]) => [name, { relError: e.relError ?? 0, broken: e.broken ?? 0 }]));

  it('keeps the first converted node whose output leaves fp32 while its inputs are close', () => {
    const origins = divergenceOrigins(
      graph,
      errors({ x: {}, a: { relError: 1e-4 }, b: { relError: 0.9 }, y: { relError: 0.9 } }),
      new Set(['add', 'sub', 'mul']),
      2,
    );
    expect([...origins]).toEqual([
      [
        'sub',
        "in fp16 its output b is 90% away from fp32's on the evaluation inputs while its inputs are still close — kept in fp32 (attempt 2)",
      ],
    ]);
  });

  it('keeps the converted writers of its inputs when that node is already fp32', () => {
    const origins = divergenceOrigins(
      graph,
      errors({ a: { relError: 1e-4 }, b: { broken: 5 }, y: { broken: 5 } }),
      new Set(['add', 'mul']),
      3,
    );
    expect([...origins]).toEqual([
      ['add', 'its fp16 output feeds Sub sub, whose output b has 5 NaN/Inf on the evaluation inputs — kept in fp32 (attempt 3)'],
    ]);
  });

  it('falls back to the largest step up in error, and finds nothing when nothing diverges', () => {
    const drifting = errors({ x: { relError: 0.03 }, a: { relError: 0.04 }, b: { relError: 0.5 }, y: { relError: 0.6 } });
    expect([...divergenceOrigins(graph, drifting, new Set(['add', 'sub', 'mul']), 2).keys()]).toEqual(['sub']);
    expect(divergenceOrigins(graph, errors({ a: { relError: 1e-3 }, y: { relError: 1e-3 } }), new Set(['add']), 2).size).toBe(0);
  });
});
