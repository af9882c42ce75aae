/** Synthetic data of the sample models: deterministic, in each model's range, shaped like the real thing, and used by jobs. */
import { describe, expect, it } from 'vitest';
import { buildQuantizeData, graphInputs, sampleOf } from '../../../../src/core/quantize/data';
import { buildSampleModel, getSampleInfo, listSamples } from '../../../../src/core/zoo';
import { forward } from '../../../../src/core/zoo/forward';
import { mnistCnn } from '../../../../src/core/zoo/samples/mnist-cnn';
import { syntheticDataFor } from '../../../../src/core/zoo/synthetic';
import { MNIST_MEAN, MNIST_STD } from '../../../../src/core/zoo/synthetic/digits';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../../src/core/zoo/synthetic/images';
import { CLS, PAD, SEP } from '../../../../src/core/zoo/synthetic/tokens';
import { CalibrationSpecSchema } from '../../../../src/shared/domain/variant';

function generator(name: string) {
  const data = syntheticDataFor(name);
  if (!data) throw new Error(`no synthetic data for ${name}`);
  return data;
}

function floats(name: string, shape: number[], seed: number, input = 'input'): Float32Array {
  return generator(name).sample({ [input]: shape }, seed)[input] as Float32Array;
}

function stats(x: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let squares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    squares += x[i]! * x[i]!;
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
  }
  const mean = sum / x.length;
  return { mean, std: Math.sqrt(squares / x.length - mean * mean), min, max };
}

/** Correlation of each pixel with its right-hand neighbour: near 1 for smooth pictures, near 0 for noise. */
function neighbourCorrelation(plane: Float32Array, width: number): number {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < plane.length; i++) {
    if ((i + 1) % width === 0) continue;
    a.push(plane[i]!);
    b.push(plane[i + 1]!);
  }
  const sa = stats(a);
  const sb = stats(b);
  let cov = 0;
  for (let i = 0; i < a.length; i++) cov += (a[i]! - sa.mean) * (b[i]! - sb.mean);
  return cov / a.length / (sa.std * sb.std);
}

describe('synthetic sample data', () => {
  it('exists for every sample, for inputs the sample has with their element types', () => {
    for (const sample of listSamples()) {
      const data = generator(sample.name);
      for (const [name, type] of Object.entries(data.inputs)) {
        expect(sample.inputs.find((i) => i.name === name)?.type).toBe(type);
      }
    }
    expect(syntheticDataFor('resnet-152')).toBeNull();
    expect(syntheticDataFor('constructor')).toBeNull();
    // The encoder's tokens stay inside the sample's vocabulary.
    const vocabulary = getSampleInfo('transformer-encoder').inputs[0]!.valueRange!.max + 1;
    const ids = generator('transformer-encoder').sample({ input_ids: [4, 256] }, 3).input_ids as BigInt64Array;
    expect(Math.max(...Array.from(ids, Number))).toBeLessThan(vocabulary);
  });

  it('is the same for a seed and differs between seeds', () => {
    for (const sample of listSamples()) {
      const shapes = Object.fromEntries(
        sample.inputs.map((i) => [i.name, i.shape.map((d) => (typeof d === 'number' ? d : d === 'batch' ? 2 : 32))]),
      );
      const a = generator(sample.name).sample(shapes, 7);
      expect(generator(sample.name).sample(shapes, 7)).toEqual(a);
      const b = generator(sample.name).sample(shapes, 8);
      const first = Object.keys(a)[0]!;
      expect(b[first]).not.toEqual(a[first]);
    }
  });

  it('draws digits as MNIST has them: white strokes on black, normalized, each a different shape', () => {
    const digits = floats('mnist-cnn', [8, 1, 28, 28], 1);
    const low = (0 - MNIST_MEAN) / MNIST_STD;
    const high = (1 - MNIST_MEAN) / MNIST_STD;
    const s = stats(digits);
    expect(s.min).toBeCloseTo(low, 5);
    expect(s.max).toBeLessThanOrEqual(high + 1e-6);
    expect(s.max).toBeGreaterThan(high - 0.01);
    for (let item = 0; item < 8; item++) {
      const plane = digits.subarray(item * 784, (item + 1) * 784);
      const ink = plane.filter((v) => v > low + 0.5).length / 784;
      expect(ink).toBeGreaterThan(0.04);
      expect(ink).toBeLessThan(0.4);
      // The border (outside the middle 20 × 20) is mostly black.
      expect(plane[0]).toBeCloseTo(low, 5);
    }
    // The sample classifier tells them apart: more than one class among twenty digits.
    const network = mnistCnn.network();
    const many = floats('mnist-cnn', [20, 1, 28, 28], 2);
    const classes = new Set<number>();
    for (let item = 0; item < 20; item++) {
      const logits = forward(network.layers, network.perItem, network.weights, many.slice(item * 784, (item + 1) * 784));
      classes.add(logits.indexOf(Math.max(...logits)));
    }
    expect(classes.size).toBeGreaterThan(2);
  });

  it('makes pictures that are smooth like photographs, in ImageNet-normalized range', () => {
    const pictures = floats('resnet-mini', [2, 3, 64, 64], 5);
    for (let c = 0; c < 3; c++) {
      const plane = pictures.subarray(c * 4096, (c + 1) * 4096);
      const s = stats(plane);
      expect(s.min).toBeGreaterThanOrEqual((0 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]! - 1e-5);
      expect(s.max).toBeLessThanOrEqual((1 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]! + 1e-5);
      expect(s.std).toBeGreaterThan(0.1);
      expect(neighbourCorrelation(plane, 64)).toBeGreaterThan(0.8);
    }
    expect(floats('vgg-small', [1, 3, 128, 128], 5)).toHaveLength(3 * 128 * 128);
  });

  it('makes tabular rows of standardized numbers, flags and one-hot categories that correlate', () => {
    const rows = 2000;
    const table = floats('mlp', [rows, 256], 11, 'features');
    const column = (j: number) => Float32Array.from({ length: rows }, (_, r) => table[r * 256 + j]!);
    const columns = Array.from({ length: 256 }, (_, j) => column(j));
    const binary = columns.filter((c) => c.every((v) => v === 0 || v === 1));
    const numeric = columns.filter((c) => !c.every((v) => v === 0 || v === 1));
    expect(numeric.length).toBeGreaterThan(100);
    expect(binary.length).toBeGreaterThan(30);
    for (const c of numeric) {
      const s = stats(c);
      expect(Math.abs(s.mean)).toBeLessThan(0.15);
      expect(s.std).toBeGreaterThan(0.8);
      expect(s.std).toBeLessThan(1.2);
    }
    // Some pairs of columns move together, as real columns do.
    const correlation = (a: Float32Array, b: Float32Array) => {
      const sa = stats(a);
      const sb = stats(b);
      let cov = 0;
      for (let i = 0; i < rows; i++) cov += (a[i]! - sa.mean) * (b[i]! - sb.mean);
      return cov / rows / (sa.std * sb.std);
    };
    let strong = 0;
    for (let i = 0; i < 20; i++) for (let j = i + 1; j < 20; j++) if (Math.abs(correlation(numeric[i]!, numeric[j]!)) > 0.3) strong++;
    expect(strong).toBeGreaterThan(3);
  });

  it('makes tokenized sentences: [CLS] … [SEP], Zipf-distributed words, padding the mask leaves out', () => {
    const { input_ids: ids, attention_mask: mask } = generator('transformer-encoder').sample(
      { input_ids: [64, 128], attention_mask: [64, 128] },
      4,
    ) as {
      input_ids: BigInt64Array;
      attention_mask: BigInt64Array;
    };
    const counts = new Map<number, number>();
    let padded = 0;
    for (let row = 0; row < 64; row++) {
      const r = Array.from(ids.subarray(row * 128, (row + 1) * 128), Number);
      const m = Array.from(mask.subarray(row * 128, (row + 1) * 128), Number);
      const real = m.filter((v) => v === 1).length;
      expect(m.slice(0, real).every((v) => v === 1)).toBe(true);
      expect(r[0]).toBe(CLS);
      expect(r[real - 1]).toBe(SEP);
      expect(r.slice(real).every((v) => v === PAD)).toBe(true);
      expect(real).toBeGreaterThanOrEqual(0.4 * 128 - 1);
      if (real < 128) padded++;
      for (const id of r.slice(1, real - 1)) if (id !== SEP) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(padded).toBeGreaterThan(40);
    const frequencies = [...counts.values()].sort((a, b) => b - a);
    const words = frequencies.reduce((a, b) => a + b, 0);
    // A few words are very common, most are rare.
    expect(frequencies.slice(0, 10).reduce((a, b) => a + b, 0) / words).toBeGreaterThan(0.2);
    expect(frequencies[0]! / frequencies[49]!).toBeGreaterThan(5);
  });

  it('feeds a sample model when no data is given, labelled synthetic; a value given for an input still wins', async () => {
    const mnist = buildSampleModel('mnist-cnn');
    const inputs = graphInputs(mnist);
    expect(sampleOf(mnist)).toBe('mnist-cnn');
    const spec = CalibrationSpecSchema.parse({ kind: 'random', samples: 4, seed: 1 });
    const data = await buildQuantizeData({ spec, inputs, sample: sampleOf(mnist), calibrate: true, evaluationSamples: 3 });
    expect(data.calibrationInfo).toEqual({ kind: 'synthetic', samples: 4, note: 'synthetic handwritten digits made by Inferscope' });
    expect(data.evaluationInfo).toEqual({
      samples: 3,
      source: 'synthetic',
      note: 'synthetic handwritten digits made by Inferscope',
      inputs: [
        {
          name: 'input',
          type: 'float32',
          shape: [1, 1, 28, 28],
          source: 'synthetic',
          value: 'synthetic handwritten digits made by Inferscope',
        },
      ],
    });
    expect(stats(data.evaluation[0]!.input!.data as Float32Array).min).toBeCloseTo(-MNIST_MEAN / MNIST_STD, 5);

    const encoderModel = buildSampleModel('transformer-encoder');
    const encoder = graphInputs(encoderModel);
    const sample = sampleOf(encoderModel);
    const text = await buildQuantizeData({ spec, inputs: encoder, sample, calibrate: false, evaluationSamples: 2, dims: { sequence: 32 } });
    expect(text.evaluationInfo.inputs?.map((i) => i.source)).toEqual(['synthetic', 'synthetic']);
    const given = await buildQuantizeData({
      spec,
      inputs: encoder,
      sample,
      calibrate: false,
      evaluationSamples: 2,
      dims: { sequence: 32 },
      inputValues: { attention_mask: { kind: 'ones' } },
    });
    expect(given.evaluationInfo.inputs?.map((i) => i.source)).toEqual(['synthetic', 'ones']);
    expect(Array.from(given.evaluation[0]!.attention_mask!.data as BigInt64Array).every((v) => v === 1n)).toBe(true);

    // Another model (no sample metadata) keeps seeded random data.
    const plain = await buildQuantizeData({ spec, inputs: [...inputs], calibrate: false, evaluationSamples: 1 });
    expect(plain.evaluationInfo.source).toBe('random');
  });
});
