/** A folder of .wav files as a job's calibration and evaluation data: windows, hold-out, other inputs, refusals. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildQuantizeData, type ModelInput } from '../../../../src/core/quantize/data';
import type { InputRecord } from '../../../../src/core/quantize/types';
import {
  CalibrationSpecSchema,
  QuantizeRequestSchema,
  VariantSchema,
  type CalibrationSpecInput,
} from '../../../../src/shared/domain/variant';
import { InferscopeError } from '../../../../src/shared/errors';
import { sine, writeWav } from '../../../support/wav';
import { scratch } from './data-helpers';

let dir: string;
let remove: () => void;
beforeEach(() => ({ dir, remove } = scratch()));
afterEach(() => remove());

const SPEECH: ModelInput[] = [
  { name: 'audio', type: 'float32', shape: ['batch', 4000] },
  { name: 'sr', type: 'int64', shape: [] },
  { name: 'state', type: 'float32', shape: [2, 1, 8] },
];

function build(
  spec: Omit<Extract<CalibrationSpecInput, { kind: 'audio' }>, 'kind' | 'dir'>,
  inputs: ModelInput[],
  calibrate = true,
  extra = {},
) {
  return buildQuantizeData({
    spec: CalibrationSpecSchema.parse({ kind: 'audio', dir, ...spec }),
    inputs,
    calibrate,
    evaluationSamples: 8,
    ...extra,
  });
}

async function all(source: AsyncIterable<InputRecord> | null): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  if (source) for await (const r of source) out.push(r);
  return out;
}

const audioOf = (record: InputRecord | undefined): Float32Array => record!.audio!.data as Float32Array;

/** Five one-second clips at 16 kHz, clip k a sine of 200·(k + 1) Hz: four windows of 4000 samples each. */
function writeClips(rate = 16000, bits = 16): void {
  for (let k = 0; k < 5; k++) writeWav(path.join(dir, `clip_${k}.wav`), [sine(200 * (k + 1), rate, 1, 0.5)], { sampleRate: rate, bits });
}

describe('audio folders', () => {
  it('cuts every file into windows of the input length, holds the last ⌈20 %⌉ apart, and feeds the other inputs as usual', async () => {
    writeClips();
    const data = await build({}, SPEECH);
    const calibration = await all(data.calibration);
    // 20 windows: 16 to calibrate on, 4 held out (the last clip's).
    expect(calibration).toHaveLength(16);
    expect(data.evaluation).toHaveLength(4);
    expect(calibration[0]!.audio!.dims).toEqual([1, 4000]);
    expect(calibration[0]!.sr!.data).toEqual(BigInt64Array.of(16000n));
    expect(Array.from(calibration[0]!.state!.data as Float32Array).every((v) => v === 0)).toBe(true);
    // Window 1 of clip 0 continues where window 0 stopped.
    const first = audioOf(calibration[0]);
    const second = audioOf(calibration[1]);
    expect(second[0]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 200 * 4000) / 16000), 3);
    expect(Math.max(...first)).toBeCloseTo(0.5, 2);
    expect(data.calibrationInfo).toMatchObject({ kind: 'audio', samples: 16 });
    expect(data.calibrationInfo.note).toContain('16 of 20 audio windows (5 .wav files)');
    expect(data.evaluationInfo).toMatchObject({ samples: 4, source: 'held-out', dir, available: 20 });
    expect(data.evaluationInfo.inputs).toEqual([
      { name: 'audio', type: 'float32', shape: [1, 4000], source: 'user', value: `float audio at 16000 Hz from ${dir}` },
      { name: 'sr', type: 'int64', shape: [], source: 'number', value: '16000 (speech models take 16 kHz)' },
      { name: 'state', type: 'float32', shape: [2, 1, 8], source: 'zeros', value: 'zeros (a recurrent state starts at zero)' },
    ]);
  });

  it('evaluates every mode on the folder: modes that calibrate nothing take the held-out windows first, then the others', async () => {
    writeClips();
    const data = await build({}, SPEECH, false);
    expect(data.calibration).toBeNull();
    expect(data.calibrationInfo.kind).toBe('none');
    expect(data.evaluation).toHaveLength(8);
    expect(data.evaluationInfo).toMatchObject({ samples: 8, source: 'user', dir, available: 20 });
    expect(data.evaluationInfo.note).toContain('8 of the 20 audio windows');
    // The held-out windows (clip 4, 1000 Hz) come first, then clip 0 (200 Hz).
    // Upward zero crossings in 0.25 s: 250 at 1000 Hz, 50 at 200 Hz.
    const cycles = (x: Float32Array) => x.reduce((n, v, i) => n + (i > 0 && x[i - 1]! < 0 && v >= 0 ? 1 : 0), 0);
    expect(cycles(audioOf(data.evaluation[0]))).toBeCloseTo(250, -1);
    expect(cycles(audioOf(data.evaluation[4]))).toBeCloseTo(50, -1);
  });

  it('resamples to the stated rate, scales to int16 units, overlaps windows by the hop, and pads a short clip', async () => {
    writeWav(path.join(dir, 'a.wav'), [sine(300, 44100, 0.5, 0.5), sine(300, 44100, 0.5, 0.5)], { sampleRate: 44100, bits: 24 });
    writeWav(path.join(dir, 'b.wav'), [sine(300, 8000, 0.1, 0.5)], { sampleRate: 8000, bits: 32, float: true });
    const data = await build({ sampleRate: 8000, scale: 'int16', hopSeconds: 0.125 }, SPEECH, false);
    // a.wav: 4000 samples at 8 kHz, one window; b.wav: 800 samples, one padded window.
    expect(data.evaluationInfo.available).toBe(2);
    const [b, a] = data.evaluation.map(audioOf);
    expect(Math.max(...a!)).toBeGreaterThan(0.49 * 32768);
    expect(Math.max(...a!)).toBeLessThan(0.51 * 32768);
    expect(b!.subarray(800).every((v) => v === 0)).toBe(true);
    expect(data.evaluationInfo.inputs?.[0]?.value).toBe(`int16-scaled audio at 8000 Hz from ${dir}`);
    // At 16 kHz with a hop of 0.125 s (2000 samples) a.wav gives windows at 0, 2000, 4000: three.
    const dense = await build({ hopSeconds: 0.125 }, SPEECH, false);
    expect(dense.evaluationInfo.available).toBe(4);
  });

  it('stacks N windows into one sample for an input of [N, samples]', async () => {
    writeClips();
    const data = await build({}, [{ name: 'audio', type: 'float32', shape: ['batch', 4000] }], false, { dims: { batch: 4 } });
    expect(data.evaluation[0]!.audio!.dims).toEqual([4, 4000]);
    expect(data.evaluationInfo.available).toBe(5);
  });

  it('feeds a [samples] input, and takes the length from --dim', async () => {
    writeClips();
    const flat = await build({}, [{ name: 'pcm', type: 'float32', shape: [16000] }], false);
    expect(flat.evaluation[0]!.pcm!.dims).toEqual([16000]);
    const named = await build({}, [{ name: 'pcm', type: 'float32', shape: ['batch', 'samples'] }], false, { dims: { samples: 8000 } });
    expect(named.evaluation[0]!.pcm!.dims).toEqual([1, 8000]);
    await expect(build({}, [{ name: 'pcm', type: 'float32', shape: ['batch', 'samples'] }], false)).rejects.toMatchObject({
      code: 'DIMS_REQUIRED',
    });
  });

  it('refuses models audio cannot feed, saying which inputs work', async () => {
    writeClips();
    const image = await build({}, [{ name: 'images', type: 'float32', shape: [1, 3, 32, 32] }]).catch((e: unknown) => e);
    expect(image).toBeInstanceOf(InferscopeError);
    expect(image).toMatchObject({ code: 'INPUT_INVALID' });
    expect((image as Error).message).toContain('one float32 input of shape [N, samples] or [samples]');
    expect((image as Error).message).toContain('images float32[1, 3, 32, 32]');
    const two = await build({}, [
      { name: 'left', type: 'float32', shape: [1, 4000] },
      { name: 'right', type: 'float32', shape: [1, 4000] },
    ]).catch((e: unknown) => e);
    expect((two as Error).message).toContain('left, right all have that shape');
    // A value for one of them leaves the other for the audio.
    const settled = await buildQuantizeData({
      spec: CalibrationSpecSchema.parse({ kind: 'audio', dir }),
      inputs: [
        { name: 'left', type: 'float32', shape: [1, 4000] },
        { name: 'right', type: 'float32', shape: [1, 4000] },
      ],
      calibrate: false,
      evaluationSamples: 1,
      inputValues: { right: { kind: 'zeros' } },
    });
    expect(settled.evaluationInfo.inputs?.map((i) => i.source)).toEqual(['user', 'zeros']);
  });

  it('refuses a folder without .wav files, a bad file naming it, and one window to calibrate on', async () => {
    await expect(build({}, SPEECH)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('no .wav files') });
    writeWav(path.join(dir, 'one.wav'), [sine(300, 16000, 0.2)], { sampleRate: 16000, bits: 16, formatTag: 6 });
    await expect(build({}, SPEECH)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('one.wav: holds A-law'),
    });
    writeWav(path.join(dir, 'one.wav'), [sine(300, 16000, 0.2)], { sampleRate: 16000, bits: 16 });
    await expect(build({}, SPEECH)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('at least 2') });
  });
});

describe('audio in the contract', () => {
  it('fills the defaults of an audio spec and keeps what was given', () => {
    expect(CalibrationSpecSchema.parse({ kind: 'audio', dir: '/wav' })).toEqual({
      kind: 'audio',
      dir: '/wav',
      sampleRate: 16000,
      scale: 'float',
    });
    const given = { kind: 'audio', dir: '/wav', samples: 50, sampleRate: 8000, scale: 'int16', hopSeconds: 0.5 } as const;
    expect(CalibrationSpecSchema.parse(given)).toEqual(given);
    expect(CalibrationSpecSchema.parse(CalibrationSpecSchema.parse(given))).toEqual(given);
    expect(CalibrationSpecSchema.safeParse({ kind: 'audio', dir: '/wav', scale: 'int8' }).success).toBe(false);
    expect(CalibrationSpecSchema.safeParse({ kind: 'audio', dir: '/wav', sampleRate: 0 }).success).toBe(false);
    const request = QuantizeRequestSchema.parse({
      source: { kind: 'sample', name: 'mlp' },
      options: { mode: 'fp16' },
      calibration: given,
      jobId: 'j',
    });
    expect(request.calibration).toEqual(given);
  });

  it('reads variants with the new evaluation sources and fields, and older ones without them', () => {
    const base = {
      id: 'fp16-1',
      mode: 'fp16',
      label: 'fp16',
      path: '/v/model.onnx',
      sizeBytes: 1,
      createdAt: '2025-01-01T00:00:00.000Z',
      source: { path: '/m.onnx', name: 'm.onnx', sha256: 'x', sizeBytes: 2 },
      options: { mode: 'fp16' },
      report: {
        mode: 'fp16',
        sizeBytes: { before: 2, after: 1 },
        nodesQuantized: 1,
        settings: {},
        skipped: [],
        quality: [],
        warnings: [],
      },
      calibration: { kind: 'none', samples: 0, note: 'this mode needs no calibration' },
      durationMs: 1,
    };
    const older = VariantSchema.parse({ ...base, evaluation: { samples: 2, source: 'held-out' } });
    expect(older.evaluation).toEqual({ samples: 2, source: 'held-out' });
    const user = { samples: 8, source: 'user', dir: '/wav', available: 20, note: '8 of the 20 audio windows in /wav' };
    expect(VariantSchema.parse({ ...base, evaluation: user }).evaluation).toEqual(user);
    const synthetic = {
      samples: 8,
      source: 'synthetic',
      note: 'synthetic handwritten digits made by Inferscope',
      inputs: [{ name: 'input', type: 'float32', shape: [1, 1, 28, 28], source: 'synthetic', value: 'synthetic handwritten digits' }],
    };
    expect(
      VariantSchema.parse({ ...base, evaluation: synthetic, calibration: { kind: 'synthetic', samples: 16, note: 'n' } }).evaluation,
    ).toEqual(synthetic);
    expect(VariantSchema.safeParse({ ...base, evaluation: { samples: 1, source: 'made-up' } }).success).toBe(false);
  });
});
