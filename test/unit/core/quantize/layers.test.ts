import { describe, expect, it } from 'vitest';
import { buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { decodeModelProto, encodeModelProto } from '../../../../src/core/onnx/codec';
import type { ModelProto } from '../../../../src/core/onnx/codec';
import { int8Dynamic } from '../../../../src/core/quantize';
import { LayerAccumulator, layerBadness, pickEvenly, planLayers, rankLayers, withExtraOutputs } from '../../../../src/core/quantize/layers';

function weights(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed));
}

/**
 * x → MatMul "proj" (W1) → h → Relu → r → MatMul (unnamed, W2) → y, plus a Gather over x's
 * shape (int64: not a layer) and a MatMul whose B is computed at run time (h·hᵀ: never quantized).
 */
function tinyModel(): ModelProto {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', [2, 4]);
  const w1 = g.initializer('W1', weights(4, 8, 1), [4, 8]);
  const w2 = g.initializer('W2', weights(8, 3, 2), [8, 3]);
  const h = g.op('MatMul', [x, w1], {}, { name: 'proj', output: 'h' });
  const r = g.op('Relu', [h], {}, { output: 'r' });
  g.op('MatMul', [r, w2], {}, { name: 'to_be_unnamed', output: 'y' });
  const shape = g.op('Shape', [x], {}, { output: 'x_shape' });
  const zero = g.initializer('zero', new BigInt64Array([0n]), [], 'int64');
  g.op('Gather', [shape, zero], {}, { name: 'first_dim', output: 'rows' });
  const ht = g.op('Transpose', [h], {}, { output: 'ht' });
  g.op('MatMul', [h, ht], {}, { name: 'gram_matrix', output: 'gram' });
  g.output('y', 'float32', [2, 3]);
  g.output('rows', 'int64', []);
  g.output('gram', 'float32', [2, 2]);
  const model = buildModel(g, { opset: 17 });
  const unnamed = model.graph!.node!.find((n) => n.name === 'to_be_unnamed')!;
  delete unnamed.name;
  return model;
}

describe('per-layer figures of one tensor', () => {
  it('SQNR is 20·log10(‖x‖/‖x−y‖), with max |Δ| and cosine', () => {
    const x = new Float32Array([1, -2, 3, 4]);
    const y = new Float32Array([1.1, -2, 2.9, 4.2]);
    const acc = new LayerAccumulator();
    acc.add(x, y);
    const r = acc.result();
    const signal = 1 + 4 + 9 + 16;
    const noise = (1.1 - 1) ** 2 + 0 + (3 - 2.9) ** 2 + (4.2 - 4) ** 2;
    expect(r.sqnrDb).toBeCloseTo(20 * Math.log10(Math.sqrt(signal) / Math.sqrt(noise)), 4);
    expect(r.maxAbsDiff).toBeCloseTo(0.2, 5);
    const dot = 1.1 + 4 + 3 * 2.9 + 4 * 4.2;
    const yy = 1.1 ** 2 + 4 + 2.9 ** 2 + 4.2 ** 2;
    expect(r.cosine).toBeCloseTo(dot / Math.sqrt(signal * yy), 6);
    expect(r.nonFinite).toBe(0);
    expect(r.elements).toBe(4);
  });

  it('accumulates over inputs as one long tensor', () => {
    const whole = new LayerAccumulator();
    whole.add([1, 2, 3, 4], [1.5, 2, 3, 3]);
    const parts = new LayerAccumulator();
    parts.add([1, 2], [1.5, 2]);
    parts.add([3, 4], [3, 3]);
    expect(parts.result()).toEqual(whole.result());
  });

  it('identical tensors have no SQNR; NaN/Inf in the variant are counted apart', () => {
    const same = new LayerAccumulator();
    same.add([1, 2], [1, 2]);
    expect(same.result()).toMatchObject({ sqnrDb: null, maxAbsDiff: 0, cosine: 1 });
    const broken = new LayerAccumulator();
    broken.add([1, 2, 3], [1, Number.POSITIVE_INFINITY, Number.NaN]);
    expect(broken.result()).toMatchObject({ nonFinite: 2, sqnrDb: null, elements: 3 });
    expect(() => new LayerAccumulator().add([1, 2], [1])).toThrow(RangeError);
  });

  it('ranks NaN/Inf first, then a zero original with noise, then SQNR ascending, identical last', () => {
    const layers = [
      { name: 'good', sqnrDb: 40, maxAbsDiff: 0.01, nonFinite: 0 },
      { name: 'same', sqnrDb: null, maxAbsDiff: 0, nonFinite: 0 },
      { name: 'bad', sqnrDb: 12, maxAbsDiff: 0.3, nonFinite: 0 },
      { name: 'zero-with-noise', sqnrDb: null, maxAbsDiff: 0.2, nonFinite: 0 },
      { name: 'overflow', sqnrDb: 50, maxAbsDiff: 0.1, nonFinite: 3 },
      { name: 'fair', sqnrDb: 25, maxAbsDiff: 0.1, nonFinite: 0 },
    ];
    expect(rankLayers(layers).map((l) => l.name)).toEqual(['overflow', 'zero-with-noise', 'bad', 'fair', 'good', 'same']);
    expect(layerBadness({ sqnrDb: 7, maxAbsDiff: 1, nonFinite: 0 })).toBe(7);
  });

  it('picks evenly along the graph', () => {
    expect(pickEvenly([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8]);
    expect(pickEvenly([1, 2], 5)).toEqual([1, 2]);
    expect(pickEvenly([1, 2], 0)).toEqual([]);
  });
});

describe('which tensors, and which nodes were transformed', () => {
  it('maps layer outputs to the nodes dynamic int8 replaced, unnamed ones by the name the transformation gave them', async () => {
    const model = tinyModel();
    const { model: variant, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    const plan = planLayers(model, variant, report, 'int8-dynamic');
    // Gather over a shape is int64: not a layer. Relu is not a layer in int8 modes.
    expect(plan.targets.map((t) => [t.opType, t.output, t.changed])).toEqual([
      ['MatMul', 'h', true],
      ['MatMul', 'y', true],
      ['MatMul', 'gram', false],
    ]);
    expect(plan.targets[0]!.node).toBe('proj');
    const unnamed = plan.targets[1]!.node;
    expect(unnamed).not.toBe('');
    expect(report.skipped.map((s) => s.node)).toEqual(['gram_matrix']);
    expect(plan.originalOutputs).toEqual(['y', 'rows', 'gram']);
    // The original's tensor names are still written in the variant, by other nodes.
    const producers = new Map(variant.graph!.node!.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
    expect(producers.get('h')!.op_type).toBe('Mul');
    expect(producers.get('y')!.op_type).toBe('Mul');

    // Excluding the unnamed node by that name works: the transformation leaves it alone.
    const again = await int8Dynamic.apply(model, { mode: 'int8-dynamic', exclude: [unnamed] });
    expect(again.report.skipped).toContainEqual({ node: unnamed, opType: 'MatMul', reason: 'excluded by the user' });
    expect(again.report.warnings.join(' ')).not.toMatch(/No node is called/);
    const replan = planLayers(model, again.model, again.report, 'int8-dynamic');
    expect(replan.targets.map((t) => [t.node, t.changed])).toEqual([
      ['proj', true],
      [unnamed, false],
      ['gram_matrix', false],
    ]);
  });

  it('fp16 modes measure every float node; the cap keeps the weighted layers first, in graph order', async () => {
    const model = tinyModel();
    const { model: variant, report } = await int8Dynamic.apply(model, { mode: 'int8-dynamic' });
    const every = planLayers(model, variant, report, 'fp16');
    expect(every.targets.map((t) => t.output)).toEqual(['h', 'r', 'y', 'ht', 'gram']);
    const capped = planLayers(model, variant, report, 'fp16', 4);
    expect(capped.candidates).toBe(5);
    expect(capped.targets.map((t) => t.output)).toEqual(['h', 'r', 'y', 'gram']);
    const tight = planLayers(model, variant, report, 'int8-dynamic', 2);
    expect(tight.targets.map((t) => t.output)).toEqual(['h', 'y']);
  });

  it('adds graph outputs by appending to the encoded model, nodes untouched', () => {
    const model = tinyModel();
    const bytes = encodeModelProto(model);
    const merged = decodeModelProto(withExtraOutputs(bytes, ['h', 'r']));
    expect(merged.graph!.output!.map((o) => o.name)).toEqual(['y', 'rows', 'gram', 'h', 'r']);
    expect(merged.graph!.node!.length).toBe(model.graph!.node!.length);
    expect(merged.graph!.initializer!.map((t) => t.name)).toEqual(model.graph!.initializer!.map((t) => t.name));
    expect(Number(merged.ir_version)).toBe(Number(model.ir_version));
  });
});
