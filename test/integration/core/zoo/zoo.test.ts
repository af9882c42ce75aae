/**
 * Every sample loads in onnxruntime-node from its generated file and runs on the CPU EP with
 * the shapes it declares; the feed-forward samples compute what the plain-JS reference
 * computes from the same weights; the transformer honours its attention mask.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, buildModelBytes, GraphBuilder } from '../../../../src/core/onnx/build';
import { decodeModelProto } from '../../../../src/core/onnx/codec';
import type { TensorProto } from '../../../../src/core/onnx/codec';
import { buildProbeModel, ensureSample, listSamples, PROBE_IO } from '../../../../src/core/zoo';
import type { SampleInfo } from '../../../../src/core/zoo';
import { forward } from '../../../../src/core/zoo/forward';
import type { FeedForwardSampleDefinition } from '../../../../src/core/zoo/samples/common';
import { mlp } from '../../../../src/core/zoo/samples/mlp';
import { mnistCnn } from '../../../../src/core/zoo/samples/mnist-cnn';
import { resnetMini } from '../../../../src/core/zoo/samples/resnet-mini';
import { vggSmall } from '../../../../src/core/zoo/samples/vgg-small';
import { createRng } from '../../../../src/core/zoo/rng';
import type { Rng } from '../../../../src/core/zoo/rng';

let dir: string;
const paths = new Map<string, string>();
const sessions = new Map<string, ort.InferenceSession>();
const samples = listSamples();
const byName = (name: string): SampleInfo => samples.find((s) => s.name === name)!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferscope-zoo-'));
  const started = performance.now();
  for (const s of samples) paths.set(s.name, await ensureSample(s.name, dir));
  console.log(`generated ${samples.length} samples in ${Math.round(performance.now() - started)} ms`);
  for (const s of samples) {
    sessions.set(s.name, await ort.InferenceSession.create(paths.get(s.name)!, { executionProviders: ['cpu'] }));
  }
});

afterAll(async () => {
  for (const session of sessions.values()) await session.release();
  await rm(dir, { recursive: true, force: true });
});

function resolveShape(shape: (number | string)[], dims: Record<string, number>): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? Number.NaN)));
}

function randomFeeds(info: SampleInfo, dims: Record<string, number>, rng: Rng): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of info.inputs) {
    const shape = resolveShape(input.shape, dims);
    const count = shape.reduce((a, b) => a * b, 1);
    if (input.type === 'int64') {
      const { min, max } = input.valueRange!;
      const values = BigInt64Array.from({ length: count }, () => BigInt(min + Math.floor(rng.next() * (max - min + 1))));
      feeds[input.name] = new ort.Tensor('int64', values, shape);
    } else {
      feeds[input.name] = new ort.Tensor(
        'float32',
        Float32Array.from({ length: count }, () => rng.normal()),
        shape,
      );
    }
  }
  return feeds;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

describe.each(samples.map((s) => [s.name]))('sample %s in onnxruntime-node (CPU)', (name) => {
  const info = byName(name);
  const dimsToTry = info.inputs.some((i) => i.shape.includes('sequence'))
    ? [
        { batch: 1, sequence: 16 },
        { batch: 2, sequence: 32 },
      ]
    : [{ batch: 1 }, { batch: 2 }];

  it('declares the inputs and outputs of its catalog entry', () => {
    const session = sessions.get(name)!;
    expect(session.inputNames).toEqual(info.inputs.map((i) => i.name));
    expect(session.outputNames).toEqual(info.outputs.map((o) => o.name));
  });

  it.each(dimsToTry.map((d) => [JSON.stringify(d), d] as const))(
    'runs at %s with finite outputs of the declared shapes',
    async (_, dims) => {
      const session = sessions.get(name)!;
      const results = await session.run(randomFeeds(info, dims, createRng(dims.batch * 1000 + 7)));
      for (const output of info.outputs) {
        const tensor = results[output.name]!;
        expect(tensor.dims).toEqual(resolveShape(output.shape, dims));
        expect(tensor.type).toBe('float32');
        const data = tensor.data as Float32Array;
        expect(data.every(Number.isFinite)).toBe(true);
        expect(maxAbs(data)).toBeGreaterThan(0);
      }
    },
  );
});

describe('feed-forward samples match the plain-JS reference of the same weights', () => {
  const cases: [string, FeedForwardSampleDefinition][] = [
    ['mnist-cnn', mnistCnn],
    ['mlp', mlp],
    ['resnet-mini', resnetMini],
    ['vgg-small', vggSmall],
  ];
  it.each(cases)('%s', async (name, definition) => {
    const info = byName(name);
    // vgg-small is 0.4 G MACs per image: one image is plenty for the slow reference.
    const batch = name === 'vgg-small' ? 1 : 2;
    const feeds = randomFeeds(info, { batch }, createRng(42));
    const input = feeds[info.inputs[0]!.name]!.data as Float32Array;
    const output = (await sessions.get(name)!.run(feeds))[info.outputs[0]!.name]!.data as Float32Array;
    const { layers, perItem, weights } = definition.network();
    const itemSize = input.length / batch;
    for (let b = 0; b < batch; b++) {
      const expected = forward(layers, perItem, weights, input.subarray(b * itemSize, (b + 1) * itemSize));
      const actual = output.subarray(b * expected.length, (b + 1) * expected.length);
      const error = maxAbs(actual.map((v, i) => v - (expected[i] as number)));
      expect(error).toBeLessThan(1e-3 * Math.max(1, maxAbs(expected)));
    }
  });
});

describe('classifier outputs depend on the input', () => {
  it.each(samples.filter((s) => s.task !== 'text-embedding').map((s) => [s.name]))('%s', async (name) => {
    const info = byName(name);
    const batch = 16;
    const logits = (await sessions.get(name)!.run(randomFeeds(info, { batch }, createRng(5))))[info.outputs[0]!.name]!;
    const classes = logits.dims[1]!;
    const data = logits.data as Float32Array;
    const winners = new Set<number>();
    let meanTopProbability = 0;
    for (let b = 0; b < batch; b++) {
      const row = Array.from(data.subarray(b * classes, (b + 1) * classes));
      const top = Math.max(...row);
      const exp = row.map((v) => Math.exp(v - top));
      meanTopProbability += 1 / exp.reduce((a, c) => a + c, 0) / batch;
      winners.add(row.indexOf(top));
    }
    // Random weights on random inputs: several classes win, and softmax is not one-hot.
    expect(winners.size).toBeGreaterThanOrEqual(3);
    expect(meanTopProbability).toBeLessThan(0.9);
  });
});

describe('transformer-encoder', () => {
  const info = byName('transformer-encoder');
  const run = async (ids: bigint[], mask: bigint[]): Promise<Float32Array> => {
    const shape = [1, ids.length];
    const result = await sessions.get('transformer-encoder')!.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), shape),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask), shape),
    });
    return result.last_hidden_state!.data as Float32Array;
  };
  const hidden = info.outputs[0]!.shape[2] as number;
  const ids = [101n, 7n, 512n, 33n, 999n, 0n, 250n, 4n];

  it('ignores padded tokens and attends to real ones', async () => {
    const mask = [1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n];
    const base = await run(ids, mask);
    const paddedChanged = await run([...ids.slice(0, 6), 900n, 901n], mask);
    const realChanged = await run([ids[0]!, 8n, ...ids.slice(2)], mask);
    const realPart = 6 * hidden;
    // Changing padding leaves every real position's output alone…
    expect(maxAbs(base.subarray(0, realPart).map((v, i) => v - paddedChanged[i]!))).toBeLessThan(1e-5);
    // …while changing one real token changes the other real positions.
    expect(maxAbs(base.subarray(2 * hidden, realPart).map((v, i) => v - realChanged[2 * hidden + i]!))).toBeGreaterThan(1e-3);
  });

  it('gives the same token different outputs at different positions', async () => {
    const out = await run([5n, 5n, 5n, 5n], [1n, 1n, 1n, 1n]);
    expect(maxAbs(out.subarray(0, hidden).map((v, i) => v - out[3 * hidden + i]!))).toBeGreaterThan(1e-2);
  });
});

describe('probe model', () => {
  it('runs and computes relu(x·W + b)', async () => {
    const bytes = buildProbeModel();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const rng = createRng(3);
    const x = Float32Array.from({ length: 16 }, () => rng.normal());
    const y = (await session.run({ [PROBE_IO.input]: new ort.Tensor('float32', x, [...PROBE_IO.shape]) }))[PROBE_IO.output]!;
    await session.release();
    expect(y.dims).toEqual([...PROBE_IO.shape]);
    const floats = (t: TensorProto): Float32Array => {
      const raw = t.raw_data!;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    };
    const [w, b] = decodeModelProto(bytes).graph!.initializer!.map(floats) as [Float32Array, Float32Array];
    const expected = Array.from({ length: 16 }, (_, j) => {
      let sum = b[j]!;
      for (let i = 0; i < 16; i++) sum += x[i]! * w[i * 16 + j]!;
      return Math.max(0, sum);
    });
    expect(maxAbs((y.data as Float32Array).map((v, j) => v - expected[j]!))).toBeLessThan(1e-5);
    expect(expected.some((v) => v > 0)).toBe(true);
  });
});

describe('graph builder output runs in onnxruntime', () => {
  it('If branches reading the outer scope, Constants and typed attributes', async () => {
    const g = new GraphBuilder('branches');
    const cond = g.input('cond', 'bool', []);
    const x = g.input('x', 'float32', ['n']);
    const two = g.constant(new Float32Array([2]), []);
    const thenBranch = g.subgraph('then', (s) => s.output(s.op('Mul', [x, two]), 'float32', ['n']));
    const elseBranch = g.subgraph('else', (s) => {
      const clipped = s.op('Clip', [x, s.constant(new Float32Array([-0.5]), []), s.constant(new Float32Array([0.5]), [])]);
      s.output(clipped, 'float32', ['n']);
    });
    const picked = g.op('If', [cond], { then_branch: thenBranch, else_branch: elseBranch });
    const scaled = g.op('LeakyRelu', [picked], { alpha: attr.float(1) }, { output: 'y' });
    g.output(scaled, 'float32', ['n']);
    const session = await ort.InferenceSession.create(buildModelBytes(g), { executionProviders: ['cpu'] });
    const xs = new ort.Tensor('float32', Float32Array.from([-1, 0.25, 3]), [3]);
    const yes = (await session.run({ cond: new ort.Tensor('bool', Uint8Array.from([1]), []), x: xs })).y!;
    const no = (await session.run({ cond: new ort.Tensor('bool', Uint8Array.from([0]), []), x: xs })).y!;
    await session.release();
    expect(Array.from(yes.data as Float32Array)).toEqual([-2, 0.5, 6]);
    expect(Array.from(no.data as Float32Array)).toEqual([-0.5, 0.25, 0.5]);
  });
});
