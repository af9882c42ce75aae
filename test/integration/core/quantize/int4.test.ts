/**
 * 4-bit MatMulNBits. The packing is checked exactly: ORT's MatMulNBits (accuracy level 0,
 * float compute) must give the same numbers as a float MatMul with our own dequantized
 * weights. SQNR floor on the samples: 4-bit blocks of 32 give ~20 dB per weight tensor; the
 * samples measure 15–18 dB through several layers, floor 12 dB (an unpacking or layout bug
 * gives ~0 dB or less).
 */
import { describe, expect, it } from 'vitest';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { DataType } from '../../../../src/core/onnx/codec';
import { int4, q4f16 } from '../../../../src/core/quantize/int4';
import { dequantizeBlockwise4, quantizeBlockwise4 } from '../../../../src/core/quantize/math';
import { buildSampleModel } from '../../../../src/core/zoo';
import { bytesOf, initializerNames, load, nodes, optimizedOps, quality, randomInputs, sampleInputs } from './helpers';

function weights(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 5)));
}

function matmul(K: number, N: number, w: Float32Array) {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [3, K]);
  g.op('MatMul', [x, g.initializer('W', w, [K, N])], {}, { output: 'y', name: 'mm' });
  g.output('y', 'float32', [3, N]);
  return buildModel(g, { opset: 17 });
}

describe('MatMulNBits packing', () => {
  it.each([
    [64, 24, 32, true],
    [80, 5, 16, true],
    [100, 7, 64, false],
    [48, 9, 16, false],
    [256, 3, 128, true],
  ] as const)('K=%i N=%i block %i symmetric=%s matches a float MatMul with our dequantized weights', async (K, N, blockSize, symmetric) => {
    const w = weights(K * N, K + N);
    const model = matmul(K, N, w);
    const { model: q, report } = await int4.apply(model, { mode: 'int4', blockSize, symmetric });
    expect(report.nodesQuantized).toBe(1);
    const node = nodes(q).find((n) => n.op_type === 'MatMulNBits')!;
    expect(node.domain).toBe('com.microsoft');
    const attributes = Object.fromEntries(node.attribute!.map((a) => [a.name, Number(a.i)]));
    expect(attributes).toEqual({ K, N, bits: 4, block_size: blockSize });
    expect(node.input!.length).toBe(symmetric ? 3 : 4);
    expect(q.opset_import!.some((o) => o.domain === 'com.microsoft')).toBe(true);
    const kBlocks = Math.ceil(K / blockSize);
    const packed = q.graph!.initializer!.find((t) => t.name === 'W_Q4')!;
    expect(packed.dims!.map(Number)).toEqual([N, kBlocks, blockSize / 2]);

    const expected = dequantizeBlockwise4(
      K,
      N,
      quantizeBlockwise4(K, N, (k, n) => w[k * N + n] as number, { blockSize, symmetric }),
      blockSize,
    );
    const r = await quality(matmul(K, N, expected), q, randomInputs(model, 2));
    expect(r.y!.maxAbsDiff).toBeLessThan(1e-4 * Math.max(1, Math.sqrt(K)));
  });

  it('Gemm transB=1 packs B as stored and a shared weight once', async () => {
    const K = 64;
    const N = 16;
    const g = new GraphBuilder('g');
    const a = g.input('a', 'float32', [2, K]);
    const b = g.initializer('B', weights(N * K, 3), [N, K]);
    const c = g.initializer('C', weights(N, 4), [N]);
    g.op('Gemm', [a, b, c], { transB: 1 }, { output: 'y1', name: 'gemm1' });
    g.op('Gemm', [a, b], { transB: 1, alpha: attr.float(1) }, { output: 'y2', name: 'gemm2' });
    g.output('y1', 'float32', [2, N]);
    g.output('y2', 'float32', [2, N]);
    const model = buildModel(g, { opset: 17 });
    const { model: q, report } = await int4.apply(model, { mode: 'int4', blockSize: 32 });
    expect(report.nodesQuantized).toBe(2);
    expect(initializerNames(q).filter((n) => n.includes('_Q4'))).toEqual(['B_transposed_Q4']);
    expect(nodes(q).find((n) => n.op_type === 'Add')!.output).toEqual(['y1']);
    const r = await quality(model, q, randomInputs(model, 2));
    expect(r.y1!.sqnrDb).toBeGreaterThan(15);
    expect(r.y2!.sqnrDb).toBeGreaterThan(15);
  });
});

describe('int4 and q4f16 on the samples', () => {
  it('mlp with accuracy level 4 (int8 compute on CPU)', async () => {
    const model = buildSampleModel('mlp');
    const { model: q, report } = await int4.apply(model, { mode: 'int4', accuracyLevel: 4 });
    expect(report.nodesQuantized).toBe(3);
    expect(report.settings).toEqual({ blockSize: 32, symmetric: true, accuracyLevel: 4 });
    for (const n of nodes(q).filter((n) => n.op_type === 'MatMulNBits')) {
      expect(n.attribute!.find((a) => a.name === 'accuracy_level')?.i).toBe(4);
    }
    expect(bytesOf(q).length).toBeLessThan(bytesOf(model).length * 0.2);
    expect((await optimizedOps(q)).filter((o) => o === 'MatMulNBits').length).toBe(3);
    const r = await quality(model, q, sampleInputs('mlp', model, 2, 3, { batch: 4 }));
    expect(r.logits!.sqnrDb).toBeGreaterThan(12);
  });

  it('transformer-encoder asymmetric blocks of 64', async () => {
    const model = buildSampleModel('transformer-encoder');
    const { model: q, report } = await int4.apply(model, { mode: 'int4', blockSize: 64, symmetric: false });
    expect(report.nodesQuantized).toBe(13);
    const r = await quality(model, q, sampleInputs('transformer-encoder', model, 2, 3, { batch: 2, sequence: 16 }));
    expect(r.last_hidden_state!.sqnrDb).toBeGreaterThan(12);
    expect(r.pooler_output!.sqnrDb).toBeGreaterThan(12);
  });

  it('q4f16: 4-bit weights with float16 scales, fp32 interface', async () => {
    const model = buildSampleModel('transformer-encoder');
    const { model: q, report } = await q4f16.apply(model, { mode: 'q4f16' });
    expect(report.nodesQuantized).toBe(13);
    expect(report.settings.blockSize).toBe(32);
    expect(report.settings.keepIoTypes).toBe(true);
    const scales = q.graph!.initializer!.filter((t) => t.name!.endsWith('_scales'));
    expect(scales.length).toBe(13);
    for (const s of scales) expect(s.data_type).toBe(DataType.FLOAT16);
    expect(q.graph!.initializer!.filter((t) => t.data_type === DataType.FLOAT).map((t) => t.name)).toEqual([]);
    const session = await load(q);
    expect(session.outputMetadata.map((m) => (m.isTensor ? m.type : ''))).toEqual(['float32', 'float32']);
    await session.release();
    expect(bytesOf(q).length).toBeLessThan(bytesOf(model).length * 0.3);
    const r = await quality(model, q, sampleInputs('transformer-encoder', model, 2, 3, { batch: 2, sequence: 16 }));
    expect(r.last_hidden_state!.sqnrDb).toBeGreaterThan(12);
  });

  it('excluded nodes stay float', async () => {
    const model = buildSampleModel('mlp');
    const { model: q, report } = await int4.apply(model, { mode: 'int4', exclude: ['/fc3/Gemm'] });
    expect(report.nodesQuantized).toBe(2);
    expect(
      nodes(q)
        .filter((n) => n.op_type === 'Gemm')
        .map((n) => n.name),
    ).toEqual(['/fc3/Gemm']);
  });
});
