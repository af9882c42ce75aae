/**
 * Static int8 inside If branches: calibration observes branch values through the If (the taken
 * branch hands them out, the other an empty tensor), Q/DQ pairs go inside the branches, weights
 * stored in the branch or in the main graph are quantized where they are stored. A branch no
 * calibration input took stays float, with the reason; Loop bodies are reported, not quantized.
 *
 * SQNR floor: the stacked per-channel int8 convolutions on smooth images measure 36–48 dB; 25 dB
 * leaves margin while a wrong scale or a branch calibrated on the other branch's values drops far
 * below it.
 */
import { describe, expect, it } from 'vitest';
import { attr, buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import type { ModelProto } from '../../../../src/core/onnx/codec';
import { calibrate } from '../../../../src/core/quantize/calibrate';
import { int8Static } from '../../../../src/core/quantize/static';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { createRng } from '../../../../src/shared/stats/random';
import { load, nodes, optimizedOps, quality } from './helpers';

function weights(n: number, seed: number, scale = 0.3): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed) * scale);
}

/** Smooth two-channel 8×8 images (sums of gradients and waves, a little noise): what a camera sees. */
function images(count: number, seed: number, cond: (i: number) => boolean, inner = (i: number) => i % 2 === 0): InputRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const data = new Float32Array(2 * 8 * 8);
    const [fx, fy, phase] = [0.3 + rng.next(), 0.2 + rng.next(), rng.next() * 6];
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          data[c * 64 + y * 8 + x] = Math.sin(fx * x + fy * y + phase + c) + 0.3 * (x / 8 - 0.5) + 0.05 * rng.normal();
        }
    return {
      x: { type: 'float32', data, dims: [1, 2, 8, 8] },
      cond: { type: 'bool', data: Uint8Array.of(cond(i) ? 1 : 0), dims: [] },
      inner: { type: 'bool', data: Uint8Array.of(inner(i) ? 1 : 0), dims: [] },
    };
  });
}

/**
 * x → Conv → Relu → If(cond): then Conv (weight stored in the branch) → If(inner): then Conv,
 * else Identity; else Conv (weight stored in the main graph) → Sigmoid.
 */
function branchyModel(): ModelProto {
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', [1, 2, 8, 8]);
  g.input('cond', 'bool', []);
  g.input('inner', 'bool', []);
  const outerWeight = g.initializer('W_else', weights(4 * 4 * 9, 3), [4, 4, 3, 3]);
  const stem = g.op('Conv', [x, g.initializer('W_stem', weights(4 * 2 * 9, 1), [4, 2, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'stem' });
  const r = g.op('Relu', [stem], {}, { name: 'stem_relu' });
  const then = g.subgraph('then', (s) => {
    const w = s.initializer('W_then', weights(4 * 4 * 9, 2), [4, 4, 3, 3]);
    const b = s.initializer('B_then', weights(4, 5, 0.1), [4]);
    const c = s.op('Conv', [r, w, b], { pads: [1, 1, 1, 1] }, { name: 'then_conv' });
    const innerThen = s.subgraph('inner_then', (t) => {
      const wi = t.initializer('W_inner', weights(4 * 4 * 9, 4), [4, 4, 3, 3]);
      t.op('Conv', [c, wi], { pads: [1, 1, 1, 1] }, { name: 'inner_conv', output: 'inner_y' });
      t.output('inner_y', 'float32', [1, 4, 8, 8]);
    });
    const innerElse = s.subgraph('inner_else', (t) => {
      t.op('Identity', [c], {}, { output: 'inner_same' });
      t.output('inner_same', 'float32', [1, 4, 8, 8]);
    });
    s.node('If', ['inner'], ['then_y'], { then_branch: attr.graph(innerThen), else_branch: attr.graph(innerElse) }, { name: 'inner_if' });
    s.output('then_y', 'float32', [1, 4, 8, 8]);
  });
  const otherwise = g.subgraph('else', (s) => {
    const c = s.op('Conv', [r, outerWeight], { pads: [1, 1, 1, 1] }, { name: 'else_conv' });
    s.op('Sigmoid', [c], {}, { name: 'else_sigmoid', output: 'else_y' });
    s.output('else_y', 'float32', [1, 4, 8, 8]);
  });
  g.node('If', ['cond'], ['y'], { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) }, { name: 'outer_if' });
  g.output('y', 'float32', [1, 4, 8, 8]);
  return buildModel(g, { opset: 17 });
}

describe('static int8 inside If branches', () => {
  it('quantizes the Convs of every branch the calibration takes, and the outputs stay close', async () => {
    const model = branchyModel();
    const calibrationData = images(24, 1, (i) => i % 3 !== 0);
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', perChannel: true, calibrationData });
    const byName = new Map(nodes(q).map((n) => [n.name, n]));
    for (const conv of ['stem', 'then_conv', 'inner_conv', 'else_conv']) {
      // The weight reaches every Conv through a DequantizeLinear in the Conv's own graph.
      const weightInput = byName.get(conv)!.input![1]!;
      expect(nodes(q).find((n) => n.output!.includes(weightInput))?.op_type, conv).toBe('DequantizeLinear');
    }
    expect(report.skipped.filter((s) => s.opType === 'Conv')).toEqual([]);
    expect(report.settings.subgraphNodesQuantized).toBeGreaterThanOrEqual(4);
    // The main graph's weight read by the else branch is quantized where it is stored.
    expect(q.graph!.initializer!.map((t) => t.name)).toContain('W_else_quantized');
    const ifNode = q.graph!.node!.find((n) => n.name === 'outer_if')!;
    const thenGraph = ifNode.attribute!.find((a) => a.name === 'then_branch')!.g!;
    expect(thenGraph.initializer!.map((t) => t.name)).toContain('W_then_quantized');
    // Branch outputs keep their names (the If's outputs are what the model hands out).
    expect(ifNode.output).toEqual(['y']);
    expect((await optimizedOps(q)).filter((o) => o === 'QLinearConv').length).toBeGreaterThanOrEqual(3);
    for (const cond of [true, false]) {
      const r = await quality(
        model,
        q,
        images(6, 9, () => cond),
      );
      expect(r.y!.sqnrDb, `cond ${cond}`).toBeGreaterThan(25);
    }
  });

  it('calibration sees branch values only from the inputs that took the branch', async () => {
    const model = branchyModel();
    const settings = { method: 'minmax' as const, movingAverage: false, bins: 2048, percentile: 99.999 };
    const onlyThen = await calibrate(
      model,
      ['stem', 'then_conv', 'inner_y', 'else_conv'].map(outputOf(model)),
      images(4, 2, () => true),
      settings,
    );
    const names = ['stem', 'then_conv', 'inner_y', 'else_conv'].map(outputOf(model));
    expect(names.map((n) => onlyThen.observed.has(n))).toEqual([true, true, true, false]);
    // The stem's range covers every input; inner_y's only the two that took the inner branch.
    expect(onlyThen.ranges.get(names[0]!)!.max).toBeGreaterThan(0);
    const both = await calibrate(
      model,
      names,
      images(4, 2, (i) => i < 2),
      settings,
    );
    expect(names.every((n) => both.observed.has(n))).toBe(true);
  });

  it('leaves a branch no calibration input took in float, says why, and still loads', async () => {
    const model = branchyModel();
    const { model: q, report } = await int8Static.apply(model, {
      mode: 'int8-static',
      calibrationData: images(8, 3, () => true),
    });
    expect(report.skipped).toContainEqual({
      node: 'else_conv',
      opType: 'Conv',
      reason: 'in a branch of If "outer_if" that no calibration input took',
    });
    expect(report.warnings.join(' ')).toMatch(/nodes in If branches that no calibration input took stay float/);
    expect(nodes(q).find((n) => n.name === 'else_conv')!.input![1]).toBe('W_else');
    await (await load(q)).release();
    // The float branch computes exactly what the original does.
    const r = await quality(
      model,
      q,
      images(2, 4, () => false),
    );
    expect(r.y!.maxAbsDiff).toBeLessThan(0.05);
  });

  it('reports nodes inside Loop bodies and refuses a model whose only weighted nodes are there', async () => {
    const loopModel = (withMain: boolean): ModelProto => {
      const g = new GraphBuilder('g');
      const x = g.input('x', 'float32', [1, 8]);
      const trips = g.initializer('trips', BigInt64Array.of(2n), [], 'int64');
      const body = g.subgraph('body', (s) => {
        s.input('i', 'int64', []);
        s.input('keep', 'bool', []);
        const carried = s.input('h', 'float32', [1, 8]);
        s.op('Identity', ['keep'], {}, { output: 'keep_out' });
        s.op('MatMul', [carried, s.initializer('W', weights(64, 1), [8, 8])], {}, { name: 'loop_mm', output: 'h_next' });
        s.output('keep_out', 'bool', []);
        s.output('h_next', 'float32', [1, 8]);
      });
      const start = withMain ? g.op('MatMul', [x, g.initializer('W0', weights(64, 2), [8, 8])], {}, { name: 'main_mm' }) : x;
      g.node('Loop', [trips, '', start], ['y'], { body: attr.graph(body) }, { name: 'loop' });
      g.output('y', 'float32', [1, 8]);
      return buildModel(g, { opset: 17 });
    };
    expect(int8Static.canApply(loopModel(false))).toEqual({
      ok: false,
      reason: expect.stringMatching(/inside Loop bodies, whose values calibration cannot observe/),
    });
    const model = loopModel(true);
    const rng = createRng(3);
    const calibrationData = Array.from({ length: 4 }, () => ({
      x: { type: 'float32', data: Float32Array.from({ length: 8 }, () => rng.normal()), dims: [1, 8] },
    }));
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', calibrationData });
    expect(report.nodesQuantized).toBe(1);
    expect(report.skipped).toContainEqual({
      node: 'loop_mm',
      opType: 'MatMul',
      reason: 'inside a Loop body: calibration cannot observe its values',
    });
    await (await load(q)).release();
  });
});

/** The tensor a node writes (names above are node names; the tests name what they calibrate by node). */
function outputOf(model: ModelProto): (node: string) => string {
  const all = new Map<string, string>();
  const visit = (graph: NonNullable<ModelProto['graph']>): void => {
    for (const n of graph.node ?? []) {
      all.set(n.name ?? '', n.output![0]!);
      for (const a of n.attribute ?? []) if (a.g) visit(a.g);
    }
  };
  visit(model.graph!);
  return (node) => all.get(node) ?? node;
}
