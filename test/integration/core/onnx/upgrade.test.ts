/**
 * The opset-13 upgrade against the real runtime: for every rewritten operator, a tiny model at
 * its old opset and the upgraded one run in onnxruntime on the same inputs and must agree
 * (max |Δ| / max |reference| ≤ 1e-5 per output). Real exports from the model corpus too, when
 * it is in the cache.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { irVersionForOpset } from '../../../../src/core/onnx/build';
import {
  DataType,
  decodeModelProto,
  encodeModelProto,
  int64FromBigInt,
  type ModelProto,
  type NodeProto,
} from '../../../../src/core/onnx/codec';
import { upgradeModel, type UpgradePlan } from '../../../../src/core/onnx/upgrade';
import {
  floatTensor,
  int64Tensor,
  makeModel,
  node,
  seededValues,
  subgraph,
  tensorValue,
  type ModelSpec,
} from '../../../unit/core/onnx/helpers';

const F = DataType.FLOAT;
type Feeds = Record<string, ort.Tensor>;

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
/** Values in [-1, 1), different per seed. */
const floats = (dims: number[], seed = 1) =>
  new ort.Tensor(
    'float32',
    seededValues(count(dims), seed).map((v) => v * 10),
    dims,
  );

function oldModel(spec: ModelSpec & { opset: number }): ModelProto {
  return makeModel({ irVersion: irVersionForOpset(spec.opset), ...spec });
}

async function runModel(model: ModelProto, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModelProto(model));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function numbers(t: ort.Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Largest |Δ| relative to the largest |reference| value (0 when both are all zeros). */
function relativeError(reference: ort.Tensor, actual: ort.Tensor): number {
  const a = numbers(reference);
  const b = numbers(actual);
  let delta = 0;
  let scale = 0;
  a.forEach((v, i) => {
    delta = Math.max(delta, Math.abs(v - (b[i] as number)));
    scale = Math.max(scale, Math.abs(v));
  });
  return scale === 0 ? delta : delta / scale;
}

/** Upgrades `model`, runs both on `feeds`, expects every output to agree; returns the plan. */
async function expectSameResults(model: ModelProto, feeds: Feeds | Feeds[]): Promise<{ plan: UpgradePlan; upgraded: ModelProto }> {
  const { model: upgraded, plan } = upgradeModel(model);
  expect(plan.toOpset).toBe(13);
  expect(upgraded.opset_import?.find((o) => !o.domain)?.version).toBe(13);
  for (const feed of Array.isArray(feeds) ? feeds : [feeds]) {
    const before = await runModel(model, feed);
    const after = await runModel(upgraded, feed);
    for (const [name, reference] of Object.entries(before)) {
      const actual = after[name];
      expect(actual, name).toBeDefined();
      expect(actual?.dims, name).toEqual(reference.dims);
      expect(relativeError(reference, actual as ort.Tensor), name).toBeLessThanOrEqual(1e-5);
    }
  }
  return { plan, upgraded };
}

const ops = (model: ModelProto) => (model.graph?.node ?? []).map((n: NodeProto) => n.op_type);

describe('Softmax family keeps its pre-13 meaning', () => {
  it('Softmax without axis on an NCHW tensor normalizes over C·H·W (opset 11)', async () => {
    const model = oldModel({
      opset: 11,
      inputs: [tensorValue('x', F, [2, 3, 4, 5])],
      outputs: [tensorValue('y', F, [2, 3, 4, 5])],
      nodes: [node('Softmax', ['x'], ['y'], {}, { name: 'sm' })],
    });
    const { upgraded, plan } = await expectSameResults(model, { x: floats([2, 3, 4, 5]) });
    expect(ops(upgraded)).toEqual(['Shape', 'Flatten', 'Softmax', 'Reshape']);
    expect(plan.changes).toHaveLength(1);
    // A plain per-axis Softmax would not match: the rewrite is what keeps the meaning.
    const naive = makeModel({
      opset: 13,
      inputs: [tensorValue('x', F, [2, 3, 4, 5])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Softmax', ['x'], ['y'], { axis: 1 })],
    });
    const reference = await runModel(model, { x: floats([2, 3, 4, 5]) });
    const wrong = await runModel(naive, { x: floats([2, 3, 4, 5]) });
    expect(relativeError(reference.y as ort.Tensor, wrong.y as ort.Tensor)).toBeGreaterThan(1e-2);
  });

  it('Softmax on an input of unknown rank takes the always-correct rewrite', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F)],
      outputs: [tensorValue('y', F)],
      nodes: [node('Softmax', ['x'], ['y'], { axis: 2 })],
    });
    const { upgraded } = await expectSameResults(model, { x: floats([2, 3, 4, 5]) });
    expect(ops(upgraded)).toContain('Flatten');
  });

  it('Softmax with axis=1 on a 3-D tensor (opset 9)', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [2, 3, 4])],
      outputs: [tensorValue('y', F, [2, 3, 4])],
      nodes: [node('Softmax', ['x'], ['y'], { axis: 1 })],
    });
    await expectSameResults(model, { x: floats([2, 3, 4]) });
  });

  it('LogSoftmax (opset 7, default axis) and Hardmax (opset 11, last axis)', async () => {
    const model = oldModel({
      opset: 11,
      inputs: [tensorValue('x', F, [2, 3, 4])],
      outputs: [tensorValue('l', F, [2, 3, 4]), tensorValue('h', F, [2, 3, 4])],
      nodes: [node('LogSoftmax', ['x'], ['l']), node('Hardmax', ['x'], ['h'], { axis: 2 })],
    });
    const { upgraded } = await expectSameResults(model, { x: floats([2, 3, 4]) });
    expect(ops(upgraded)).toEqual(['Shape', 'Flatten', 'LogSoftmax', 'Reshape', 'Hardmax']);
    const opset7 = oldModel({
      opset: 7,
      inputs: [tensorValue('x', F, [2, 3, 4])],
      outputs: [tensorValue('l', F)],
      nodes: [node('LogSoftmax', ['x'], ['l'])],
    });
    await expectSameResults(opset7, { x: floats([2, 3, 4], 3) });
  });
});

describe('attributes that became inputs', () => {
  it('Clip with only max, and with both bounds (opset 9)', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [3, 4])],
      outputs: [tensorValue('a', F), tensorValue('b', F)],
      nodes: [
        node('Clip', ['x'], ['a'], { max: { float: 0.25 } }),
        node('Clip', ['x'], ['b'], { min: { float: -0.5 }, max: { float: 0.5 } }),
      ],
    });
    const { upgraded } = await expectSameResults(model, { x: floats([3, 4]) });
    expect(upgraded.graph?.node?.[0]?.input?.[1]).toBe('');
  });

  it('Slice with starts/ends/axes attributes (opset 9)', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [4, 6, 5])],
      outputs: [tensorValue('a', F), tensorValue('b', F)],
      nodes: [
        node('Slice', ['x'], ['a'], { starts: [1, -4], ends: [1_000_000_000, -1], axes: [0, 2] }),
        node('Slice', ['x'], ['b'], { starts: [0, 2], ends: [2, 5] }),
      ],
    });
    await expectSameResults(model, { x: floats([4, 6, 5]) });
  });

  it('Squeeze, Unsqueeze, Split and ReduceSum with axes/split attributes (opset 11)', async () => {
    const model = oldModel({
      opset: 11,
      inputs: [tensorValue('x', F, [2, 1, 6])],
      outputs: ['sq', 'sq_all', 'un', 's1', 's2', 'e1', 'e2', 'r', 'r_all'].map((n) => tensorValue(n, F)),
      nodes: [
        node('Squeeze', ['x'], ['sq'], { axes: [1] }),
        node('Squeeze', ['x'], ['sq_all']),
        node('Unsqueeze', ['x'], ['un'], { axes: [0, -1] }),
        node('Split', ['x'], ['s1', 's2'], { axis: 2, split: [2, 4] }),
        node('Split', ['x'], ['e1', 'e2'], { axis: -1 }),
        node('ReduceSum', ['x'], ['r'], { axes: [2], keepdims: 0 }),
        node('ReduceSum', ['x'], ['r_all']),
      ],
    });
    await expectSameResults(model, { x: floats([2, 1, 6]) });
  });

  it('Pad constant with a value, and reflect (opset 10)', async () => {
    const model = oldModel({
      opset: 10,
      inputs: [tensorValue('x', F, [1, 2, 3, 4])],
      outputs: [tensorValue('c', F), tensorValue('r', F)],
      nodes: [
        node('Pad', ['x'], ['c'], { pads: [0, 0, 1, 2, 0, 1, 0, 1], value: { float: 1.5 } }),
        node('Pad', ['x'], ['r'], { mode: 'reflect', pads: [0, 0, 1, 1, 0, 0, 2, 1] }),
      ],
    });
    await expectSameResults(model, { x: floats([1, 2, 3, 4]) });
  });

  it('TopK with a k attribute (opset 9): values and indices', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [3, 7])],
      outputs: [tensorValue('v', F), tensorValue('i', DataType.INT64)],
      nodes: [node('TopK', ['x'], ['v', 'i'], { k: 3, axis: 1 })],
    });
    await expectSameResults(model, { x: floats([3, 7]) });
  });

  it('Dropout with a ratio (opset 7), and with an unread mask (opset 10)', async () => {
    const seven = oldModel({
      opset: 7,
      inputs: [tensorValue('x', F, [2, 5])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Dropout', ['x'], ['d'], { ratio: { float: 0.3 } }), node('Relu', ['d'], ['y'])],
    });
    await expectSameResults(seven, { x: floats([2, 5]) });
    const ten = oldModel({
      opset: 10,
      inputs: [tensorValue('x', F, [2, 5])],
      outputs: [tensorValue('y', F)],
      valueInfo: [tensorValue('mask', DataType.BOOL, [2, 5])],
      nodes: [node('Dropout', ['x'], ['y', 'mask'], { ratio: { float: 0.2 } })],
    });
    const { upgraded } = await expectSameResults(ten, { x: floats([2, 5]) });
    expect(upgraded.graph?.node?.[0]?.output).toEqual(['y']);
    expect(upgraded.graph?.value_info).toEqual([]);
  });
});

describe('Upsample and old Resize become the opset-13 Resize', () => {
  const image = () => ({ x: floats([1, 2, 3, 4]) });

  it('Upsample nearest with a scales attribute (opset 7) and a scales input (opset 9)', async () => {
    const seven = oldModel({
      opset: 7,
      inputs: [tensorValue('x', F, [1, 2, 3, 4])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Upsample', ['x'], ['y'], { scales: { floats: [1, 1, 2, 3] } })],
    });
    const { upgraded } = await expectSameResults(seven, image());
    expect(ops(upgraded)).toEqual(['Resize']);
    const nine = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [1, 2, 3, 4])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('scales', [4], [1, 1, 2.5, 2])],
      nodes: [node('Upsample', ['x', 'scales'], ['y'], { mode: 'nearest' })],
    });
    await expectSameResults(nine, image());
  });

  it('Upsample linear (opset 8 attribute, opset 9 input)', async () => {
    const eight = oldModel({
      opset: 8,
      inputs: [tensorValue('x', F, [1, 2, 3, 4])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Upsample', ['x'], ['y'], { mode: 'linear', scales: { floats: [1, 1, 2, 3] } })],
    });
    await expectSameResults(eight, image());
    const nine = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [1, 2, 3, 4])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('scales', [4], [1, 1, 2, 2])],
      nodes: [node('Upsample', ['x', 'scales'], ['y'], { mode: 'linear' })],
    });
    await expectSameResults(nine, image());
  });

  it('Resize of opset 10: nearest enlarging and shrinking, linear', async () => {
    for (const [mode, scales] of [
      ['nearest', [1, 1, 2, 1.5]],
      ['nearest', [1, 1, 0.6, 0.75]],
      ['nearest', [1, 1, 0.5, 0.5]],
      ['linear', [1, 1, 2, 1.5]],
      ['linear', [1, 1, 0.6, 0.5]],
    ] as const) {
      const model = oldModel({
        opset: 10,
        inputs: [tensorValue('x', F, [1, 2, 5, 7])],
        outputs: [tensorValue('y', F)],
        initializers: [floatTensor('scales', [4], [...scales])],
        nodes: [node('Resize', ['x', 'scales'], ['y'], { mode })],
      });
      await expectSameResults(model, { x: floats([1, 2, 5, 7]) });
    }
  });

  it('Resize of opset 11 with tf_half_pixel_for_nn (floor and round_prefer_floor)', async () => {
    for (const nearest of ['floor', 'round_prefer_floor']) {
      for (const scales of [
        [1, 1, 2, 1.5],
        [1, 1, 0.6, 0.75],
      ]) {
        const model = oldModel({
          opset: 11,
          inputs: [tensorValue('x', F, [1, 2, 5, 7])],
          outputs: [tensorValue('y', F)],
          initializers: [floatTensor('roi', [0], []), floatTensor('scales', [4], scales)],
          nodes: [
            node('Resize', ['x', 'roi', 'scales'], ['y'], {
              mode: 'nearest',
              coordinate_transformation_mode: 'tf_half_pixel_for_nn',
              nearest_mode: nearest,
            }),
          ],
        });
        const { upgraded } = await expectSameResults(model, { x: floats([1, 2, 5, 7]) });
        const attrs = upgraded.graph?.node?.[0]?.attribute?.map((a) => a.name);
        expect(attrs).toContain('coordinate_transformation_mode');
      }
    }
  });
});

describe('other conversions', () => {
  it('BatchNormalization of opset 7 with spatial=1', async () => {
    const model = oldModel({
      opset: 7,
      inputs: [tensorValue('x', F, [2, 3, 4, 4])],
      outputs: [tensorValue('y', F)],
      initializers: [
        floatTensor('scale', [3], [1.5, 0.5, 2]),
        floatTensor('bias', [3], [0.1, -0.2, 0.3]),
        floatTensor('mean', [3], [0.05, -0.1, 0]),
        floatTensor('var', [3], [0.5, 1, 2]),
      ],
      nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], { spatial: 1, epsilon: { float: 1e-3 } })],
    });
    const { plan } = await expectSameResults(model, { x: floats([2, 3, 4, 4]) });
    expect(plan.changes[0]?.what).toContain('spatial');
  });

  it('an IR-3 model whose initializers are also graph inputs', async () => {
    const model = makeModel({
      opset: 7,
      irVersion: 3,
      inputs: [tensorValue('x', F, [2, 4]), tensorValue('w', F, [4, 3]), tensorValue('b', F, [3])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [4, 3]), floatTensor('b', [3])],
      nodes: [node('MatMul', ['x', 'w'], ['m']), node('Add', ['m', 'b'], ['s']), node('Clip', ['s'], ['y'], { min: { float: 0 } })],
    });
    const { plan, upgraded } = await expectSameResults(model, { x: floats([2, 4]) });
    expect(plan.fromIr).toBe(3);
    expect(plan.removedInitializerInputs).toBe(2);
    expect(upgraded.ir_version).toBe(8);
    expect(upgraded.graph?.input?.map((i) => i.name)).toEqual(['x']);
  });

  it('Scatter of opset 9 becomes ScatterElements', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [3, 4]), tensorValue('u', F, [2, 4])],
      outputs: [tensorValue('y', F)],
      initializers: [int64Tensor('idx', [2, 4], [0, 2, 1, 0, 2, 1, 0, 2])],
      nodes: [node('Scatter', ['x', 'idx', 'u'], ['y'], { axis: 0 })],
    });
    const { upgraded } = await expectSameResults(model, { x: floats([3, 4]), u: floats([2, 4], 5) });
    expect(ops(upgraded)).toEqual(['ScatterElements']);
  });

  it('an If whose branches hold an old Clip and Unsqueeze (opset 9)', async () => {
    const thenBranch = subgraph(
      'then',
      [
        node('Clip', ['x'], ['t_clip'], { min: { float: -0.2 }, max: { float: 0.3 } }),
        node('Unsqueeze', ['t_clip'], ['t_out'], { axes: [0] }),
      ],
      [tensorValue('t_out', F)],
    );
    const elseBranch = subgraph(
      'else',
      [node('Unsqueeze', ['x'], ['e_un'], { axes: [0] }), node('Softmax', ['e_un'], ['e_out'], { axis: 2 })],
      [tensorValue('e_out', F)],
    );
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('cond', DataType.BOOL, []), tensorValue('x', F, [2, 3, 4])],
      outputs: [tensorValue('y', F)],
      nodes: [node('If', ['cond'], ['y'], { then_branch: thenBranch, else_branch: elseBranch })],
    });
    const feeds = (flag: boolean): Feeds => ({ cond: new ort.Tensor('bool', [flag], []), x: floats([2, 3, 4]) });
    const { plan } = await expectSameResults(model, [feeds(true), feeds(false)]);
    expect(plan.changes.map((c) => c.op).sort()).toEqual(['Clip', 'Softmax', 'Unsqueeze', 'Unsqueeze']);
  });

  it('keeps int64 Slice ends of INT64_MAX exact', async () => {
    const model = oldModel({
      opset: 9,
      inputs: [tensorValue('x', F, [5, 3])],
      outputs: [tensorValue('y', F)],
      nodes: [node('Slice', ['x'], ['y'], { starts: [2], ends: [0], axes: [0] })],
    });
    // INT64_MAX as the end, as exporters write "to the end".
    const slice = model.graph?.node?.[0] as NodeProto;
    slice.attribute = (slice.attribute ?? []).map((a) => (a.name === 'ends' ? { ...a, ints: [int64FromBigInt(2n ** 63n - 1n)] } : a));
    const { upgraded } = await expectSameResults(model, { x: floats([5, 3]) });
    const ends = upgraded.graph?.initializer?.find((t) => t.name?.endsWith('_ends'));
    expect(ends?.raw_data && new BigInt64Array(new Uint8Array(ends.raw_data).buffer)[0]).toBe(2n ** 63n - 1n);
    await expectSameResults(model, { x: floats([5, 3]) });
  });
});

const CORPUS = process.env.INFERSCOPE_CORPUS ?? join(homedir(), '.cache', 'inferscope-corpus');
const CORPUS_CASES: readonly [id: string, dims: number[]][] = [
  ['ppocr-v4-det', [1, 3, 320, 320]],
  ['ppocr-v4-rec', [1, 3, 48, 320]],
  ['ppocr-v2-cls', [1, 3, 48, 192]],
];
const corpusPresent = CORPUS_CASES.every(([id]) => existsSync(join(CORPUS, `${id}.onnx`)));

describe.skipIf(!corpusPresent)('real Paddle exports from the corpus', () => {
  for (const [id, dims] of CORPUS_CASES) {
    it(`${id} computes the same after the upgrade`, async () => {
      const model = decodeModelProto(readFileSync(join(CORPUS, `${id}.onnx`)));
      const input = model.graph?.input?.[0]?.name as string;
      const { plan } = await expectSameResults(model, { [input]: floats(dims, 7) });
      expect(plan.toOpset).toBe(13);
    });
  }
});
