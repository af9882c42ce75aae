/**
 * MACs through If/Loop subgraphs, why MACs are unknown (the dim or node that blocks them), and
 * parameters made by ConstantOfShape: graphs built with the GraphBuilder, counts worked by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr, buildModelBytes, GraphBuilder, tensor } from '../../../../src/core/onnx/build';
import { inspectModel } from '../../../../src/core/onnx/inspect';
import { ModelInfoSchema, type ModelInfo } from '../../../../src/shared/domain/model';
import { tempDir } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

let counter = 0;
async function inspect(graph: GraphBuilder, dims?: Record<string, number>): Promise<ModelInfo> {
  const path = join(dir.path, `r${counter++}.onnx`);
  writeFileSync(path, buildModelBytes(graph));
  const info = await inspectModel(path, dims ? { dims } : {});
  expect(ModelInfoSchema.parse(info)).toEqual(info);
  return info;
}

const weights = (n: number) => new Float32Array(n).fill(0.5);

// then_branch: Conv 3→4 channels, 3×3, pad 1, on 8×8 → 8·8·4·27 = 6,912 MACs.
// else_branch: flatten to [1, 192], MatMul with [192, 10] → 1,920 MACs.
const CONV_MACS = 8 * 8 * 4 * 3 * 3 * 3;
const MATMUL_MACS = 192 * 10;

function ifModel(condition: 'true' | 'false' | 'input'): GraphBuilder {
  const g = new GraphBuilder('vad_like');
  const x = g.input('x', 'float32', [1, 3, 8, 8]);
  const cond =
    condition === 'input'
      ? g.input('use_conv', 'bool', [])
      : g.constant(new Uint8Array([condition === 'true' ? 1 : 0]), [], { type: 'bool' });
  const w = g.initializer('conv_w', weights(4 * 3 * 3 * 3), [4, 3, 3, 3]);
  const w2 = g.initializer('fc_w', weights(192 * 10), [192, 10]);
  const flat = g.initializer('flat_shape', new BigInt64Array([1n, 192n]), [2]);
  const thenBranch = g.subgraph('then', (b) => {
    const y = b.op('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'branch_conv' });
    const f = b.op('Reshape', [y, b.initializer('then_flat', new BigInt64Array([1n, 256n]), [2])]);
    b.output(
      b.op('Slice', [
        f,
        b.initializer('s0', new BigInt64Array([0n]), [1]),
        b.initializer('s1', new BigInt64Array([10n]), [1]),
        b.initializer('ax', new BigInt64Array([1n]), [1]),
      ]),
      'float32',
      [1, 10],
    );
  });
  const elseBranch = g.subgraph('else', (b) => {
    const f = b.op('Reshape', [x, flat]);
    b.output(b.op('MatMul', [f, w2], {}, { name: 'branch_fc' }), 'float32', [1, 10]);
  });
  const y = g.op('If', [cond], { then_branch: thenBranch, else_branch: elseBranch }, { name: 'sr_switch', output: 'y' });
  g.output(y, 'float32', [1, 10]);
  return g;
}

describe('MACs through If branches', () => {
  it('a constant condition counts the branch that runs and says which', async () => {
    const taken = await inspect(ifModel('true'));
    expect(taken.macs).toBe(CONV_MACS);
    expect(taken.macsRange).toBeNull();
    expect(taken.macsControlFlow).toEqual([
      expect.objectContaining({
        node: 'sr_switch',
        op: 'If',
        counted: 'then_branch',
        basis: 'constant-condition',
        branches: { then_branch: CONV_MACS, else_branch: MATMUL_MACS },
      }),
    ]);
    expect(taken.macsControlFlow?.[0]?.note).toMatch(/If "sr_switch": its condition is a constant, so only the then_branch runs/);

    const other = await inspect(ifModel('false'));
    expect(other.macs).toBe(MATMUL_MACS);
    expect(other.macsByOp).toEqual({ MatMul: MATMUL_MACS });
    expect(other.macsControlFlow?.[0]).toMatchObject({ counted: 'else_branch', basis: 'constant-condition' });
  });

  it('a run-time condition counts the larger branch, with the range and a note naming both', async () => {
    const info = await inspect(ifModel('input'));
    expect(info.macs).toBe(CONV_MACS);
    expect(info.flops).toBe(2 * CONV_MACS);
    expect(info.macsReason).toBeNull();
    expect(info.macsUnknown).toBeNull();
    expect(info.macsRange).toEqual({ min: MATMUL_MACS, max: CONV_MACS });
    expect(info.macsByOp).toEqual({ Conv: CONV_MACS });
    expect(info.macsControlFlow?.[0]).toMatchObject({
      node: 'sr_switch',
      counted: 'then_branch',
      basis: 'larger-branch',
      branches: { then_branch: CONV_MACS, else_branch: MATMUL_MACS },
    });
    expect(info.macsControlFlow?.[0]?.note).toBe(
      'If "sr_switch": decided at run time; counted the then_branch (6,912 MACs, the larger); the else_branch would count 4,992 fewer.',
    );
  });
});

describe('why MACs are unknown', () => {
  it('names the unset symbolic dim and the node it blocks', async () => {
    const g = new GraphBuilder('frames');
    const x = g.input('audio', 'float32', ['batch', 'frames', 64]);
    const y = g.op('MatMul', [x, g.initializer('w', weights(64 * 32), [64, 32])], {}, { name: 'proj' });
    g.output(y, 'float32');
    const info = await inspect(g);
    expect(info.macs).toBeNull();
    expect(info.macsUnknown).toEqual({
      reason: 'unset-dims',
      dims: ['frames'],
      nodes: [{ node: 'proj', op: 'MatMul', dims: ['frames'], detail: 'shapes depend on unset dims' }],
      nodeCount: 1,
    });
    expect(info.macsReason).toMatch(/MatMul "proj" depends on "frames"/);
    expect(info.macsReason).toMatch(/Set the size “frames” \(e\.g\. 128\)/);
    expect((await inspect(g, { frames: 10 })).macs).toBe(10 * 64 * 32);
  });

  it('names an unnamed dim by its input and axis', async () => {
    const g = new GraphBuilder('unnamed');
    const x = g.input('x', 'float32', [1, null, 64]);
    g.output(g.op('MatMul', [x, g.initializer('w', weights(64 * 8), [64, 8])], {}, { name: 'mm' }), 'float32');
    const info = await inspect(g);
    expect(info.macsUnknown).toMatchObject({ reason: 'unset-dims', dims: ['x[1]'] });
    expect((await inspect(g, { 'x[1]': 5 })).macs).toBe(5 * 64 * 8);
  });

  it('names the node whose shape is unknown when no dim is to blame', async () => {
    const g = new GraphBuilder('runtime_reshape');
    const x = g.input('x', 'float32', [1, 64]);
    const target = g.input('target', 'int64', [3]);
    const r = g.op('Reshape', [x, target]);
    g.output(g.op('MatMul', [r, g.initializer('w', weights(16 * 4), [16, 4])], {}, { name: 'late_mm' }), 'float32');
    const info = await inspect(g);
    expect(info.macs).toBeNull();
    expect(info.macsUnknown).toMatchObject({ reason: 'unknown-shapes', dims: [], nodes: [{ node: 'late_mm', op: 'MatMul' }] });
    expect(info.macsReason).toMatch(/MatMul "late_mm": input or output shapes unknown/);
  });

  it('names a Loop whose trip count is only known at run time', async () => {
    const g = new GraphBuilder('loop');
    const x = g.input('x', 'float32', [1, 8]);
    const trips = g.input('trips', 'int64', []);
    const w = g.initializer('w', weights(64), [8, 8]);
    const body = g.subgraph('body', (b) => {
      b.input('i', 'int64', []);
      const c = b.input('cond_in', 'bool', []);
      const s = b.input('state', 'float32', [1, 8]);
      b.output(b.op('Identity', [c]), 'bool', []);
      b.output(b.op('MatMul', [s, w]), 'float32', [1, 8]);
    });
    g.output(g.op('Loop', [trips, '', x], { body }, { name: 'decoder_loop' }), 'float32', [1, 8]);
    const info = await inspect(g);
    expect(info.macs).toBeNull();
    expect(info.macsUnknown).toMatchObject({ reason: 'unknown-trip-count', nodes: [{ node: 'decoder_loop', op: 'Loop' }] });
    expect(info.macsReason).toMatch(/Loop "decoder_loop" runs its body a number of times known only at run time \(64 MACs each run\)/);
  });
});

describe('parameters made from constants', () => {
  it('counts a MatMul weight made by ConstantOfShape, and says how many came from such nodes', async () => {
    const g = new GraphBuilder('cos_weights');
    const x = g.input('x', 'float32', [1, 64]);
    const shape = g.constant(new BigInt64Array([64n, 32n]), [2]);
    const w = g.op('ConstantOfShape', [shape], { value: attr.tensor(tensor('', new Float32Array([0.01]), [1])) }, { name: 'make_w' });
    g.output(g.op('MatMul', [x, w]), 'float32', [1, 32]);
    const info = await inspect(g);
    expect(info.macs).toBe(64 * 32);
    // 2,048 float32 weights made by ConstantOfShape, plus the 2 int64 values of its shape.
    expect(info.parameters.total).toBe(64 * 32 + 2);
    expect(info.parameters.byDtype).toEqual({ float32: { count: 2048, bytes: 8192 }, int64: { count: 2, bytes: 16 } });
    expect(info.parameters.fromNodes).toEqual({
      Constant: { nodes: 1, count: 2, bytes: 16 },
      ConstantOfShape: { nodes: 1, count: 2048, bytes: 8192 },
    });
    expect(info.precision).toBe('fp32');
  });

  it('does not count ConstantOfShape shaped by a graph input (run-time state, not weights)', async () => {
    const g = new GraphBuilder('cos_state');
    const x = g.input('x', 'float32', [1, 64]);
    const zeros = g.op('ConstantOfShape', [g.op('Shape', [x])]);
    g.output(g.op('Add', [x, zeros]), 'float32', [1, 64]);
    const info = await inspect(g);
    expect(info.parameters.total).toBe(0);
    expect(info.parameters.fromNodes).toEqual({});
  });
});
