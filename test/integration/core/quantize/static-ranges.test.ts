/**
 * Static int8 ranges that calibration must not decide alone: a Sigmoid's output is a probability
 * and keeps [0, 1] whatever the calibration inputs make of it, and values that flow into a
 * logarithm (an audio front end's magnitude → log spectrum) stay float. Both models are built with
 * the trait of a real model that broke: a text detector whose score map read all zeros on text once
 * calibrated on pages without text, and a voice-activity model whose log spectrum turned −∞.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, GraphBuilder } from '../../../../src/core/onnx/build';
import { readTensorNumbers } from '../../../../src/core/onnx/tensor';
import { int8Static } from '../../../../src/core/quantize/static';
import type { InputRecord } from '../../../../src/core/quantize/types';
import { createRng } from '../../../../src/shared/stats/random';
import { bytesOf, load, nodes, quality } from './helpers';
import * as ort from 'onnxruntime-node';

/**
 * 8×8 pages: paper noise with a few isolated bright specks (the same pixel values as a mark, but
 * never a mark), or with a bright 4×4 mark in the middle.
 */
function pages(count: number, seed: number, marked: boolean): InputRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const data = new Float32Array(64);
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const inside = marked && x >= 2 && x < 6 && y >= 2 && y < 6;
        data[y * 8 + x] = (inside ? 1 : 0) + 0.03 * rng.normal();
      }
    if (!marked) for (let speck = 0; speck < 3; speck++) data[rng.nextInt(0, 64)] = 1;
    return { x: { type: 'float32', data, dims: [1, 1, 8, 8] } };
  });
}

/** Speech-like frames: a few harmonics under a syllable envelope, quiet between syllables. */
function frames(count: number, seed: number): InputRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const data = new Float32Array(256);
    const pitch = 0.05 + 0.05 * rng.next();
    for (let i = 0; i < 256; i++) {
      const envelope = Math.max(0, Math.sin((Math.PI * i) / 128)) ** 2;
      data[i] = 0.4 * envelope * (Math.sin(2 * Math.PI * pitch * i) + 0.5 * Math.sin(4 * Math.PI * pitch * i)) + 1e-3 * rng.normal();
    }
    return { audio: { type: 'float32', data, dims: [1, 1, 256] } };
  });
}

describe('static int8 ranges', () => {
  it('keeps a Sigmoid score map in [0, 1] when calibration never sees a high score', async () => {
    // A 3×3 box filter with a negative bias: pages without a mark score at most sigmoid(−3.1) ≈ 0.04,
    // a mark sigmoid(4) ≈ 0.98.
    const g = new GraphBuilder('g');
    const x = g.input('x', 'float32', [1, 1, 8, 8]);
    const logits = g.op(
      'Conv',
      [x, g.initializer('W', new Float32Array(9).fill(8 / 9), [1, 1, 3, 3]), g.initializer('B', Float32Array.of(-4), [1])],
      { pads: [1, 1, 1, 1] },
      { name: 'score_conv' },
    );
    g.op('Sigmoid', [logits], {}, { output: 'score', name: 'score_sigmoid' });
    g.output('score', 'float32', [1, 1, 8, 8]);
    const model = buildModel(g, { opset: 17 });
    const { model: q } = await int8Static.apply(model, { mode: 'int8-static', calibrationData: pages(8, 1, false) });
    // The score's scale is fixed at 1/255 (int8 over [0, 1]), not calibrated from ≈ 0.02.
    const scale = q.graph!.initializer!.find((t) => t.name === 'score_scale')!;
    expect(readTensorNumbers(scale)[0]).toBeCloseTo(1 / 255, 9);
    const [page] = pages(1, 2, true);
    const run = async (bytes: Uint8Array) => {
      const session = await ort.InferenceSession.create(bytes);
      const out = (await session.run({ x: new ort.Tensor('float32', page!.x!.data as Float32Array, [1, 1, 8, 8]) })).score!;
      await session.release();
      return out.data as Float32Array;
    };
    const original = await run(bytesOf(model));
    const variant = await run(bytesOf(q));
    const mark = [...original.keys()].filter((i) => (original[i] as number) > 0.9);
    expect(mark.length).toBeGreaterThanOrEqual(4);
    // Calibrated alone, the score clipped at ≈ 0.02 everywhere: the mark vanished below any threshold.
    for (const i of mark) expect(variant[i]).toBeGreaterThan(0.3);
  });

  it('leaves the magnitude → log spectrum front end in float and quantizes what follows it', async () => {
    // A strided Conv as a short-time transform (cosine and sine rows), power, log, then a learned Conv.
    const bins = 8;
    const basis = new Float32Array(2 * bins * 32);
    for (let k = 0; k < bins; k++)
      for (let n = 0; n < 32; n++) {
        basis[k * 32 + n] = Math.cos((2 * Math.PI * (k + 1) * n) / 32);
        basis[(bins + k) * 32 + n] = Math.sin((2 * Math.PI * (k + 1) * n) / 32);
      }
    const g = new GraphBuilder('g');
    const audio = g.input('audio', 'float32', [1, 1, 256]);
    const spectrum = g.op('Conv', [audio, g.initializer('basis', basis, [2 * bins, 1, 32])], { strides: [16] }, { name: 'stft' });
    const power = g.op('Mul', [spectrum, spectrum], {}, { name: 'power' });
    const floored = g.op('Add', [power, g.initializer('eps', Float32Array.of(1e-7), [])], {}, { name: 'floor' });
    const logSpectrum = g.op('Log', [floored], {}, { name: 'log' });
    const learned = Float32Array.from({ length: 4 * 2 * bins * 3 }, (_, i) => Math.sin(i * 0.37) * 0.2);
    g.op('Conv', [logSpectrum, g.initializer('W', learned, [4, 2 * bins, 3])], {}, { name: 'encoder', output: 'features' });
    g.output('features', 'float32', [1, 4, 13]);
    const model = buildModel(g, { opset: 17 });
    const { model: q, report } = await int8Static.apply(model, { mode: 'int8-static', calibrationData: frames(12, 3) });
    const floatOnly = report.skipped.filter((s) => /flows into Log "log"/.test(s.reason)).map((s) => s.node);
    expect(floatOnly.sort()).toEqual(['floor', 'power', 'stft']);
    expect(nodes(q).find((n) => n.name === 'stft')!.input![1]).toBe('basis');
    expect(nodes(q).find((n) => n.name === 'encoder')!.input![1]).toMatch(/DequantizeLinear/);
    await (await load(q)).release();
    const r = await quality(model, q, frames(4, 7));
    // Quantized before the log, the quiet frames' bins round to 0 and log gives −∞ (non-finite outputs).
    expect(r.features!.nanCount + r.features!.infCount).toBe(0);
    expect(r.features!.sqnrDb).toBeGreaterThan(25);
  });
});
