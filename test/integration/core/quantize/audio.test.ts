/**
 * A speech model quantized on a folder of .wav files through the real worker: 44.1 kHz stereo
 * recordings become 16 kHz mono windows of the model's input length; static int8 calibrates on
 * most windows and is checked on the held-out ones, dynamic int8 is checked on the folder.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelBytes, GraphBuilder } from '../../../../src/core/onnx/build';
import { QUANTIZE_WORKER_ENV, runQuantizeJob } from '../../../../src/core/quantize/job';
import { describeSource, VariantStore, type VariantSource } from '../../../../src/core/quantize/variants';
import type { QuantizeRequestInput, Variant } from '../../../../src/shared/domain/variant';
import { scratchDir, startSupervisor, type TestSupervisor } from '../../../support/worker';
import { writeWav } from '../../../support/wav';

const SAMPLES = 16000;
const FRAME = 400;
const HOP = 160;
const FILTERS = 8;

const scratch = scratchDir();
let s: TestSupervisor;
let store: VariantStore;
let model: VariantSource;
let clips: string;

/**
 * audio float32 [1, 16000] and sr int64 scalar → a learned filter bank over 25 ms frames every
 * 10 ms (Conv, as STFT front ends are exported), log energy per filter, averaged over time, and a
 * dense layer to 4 scores scaled by sr / 16000.
 */
function speechModel(file: string): void {
  const g = new GraphBuilder('speech-frames');
  const audio = g.input('audio', 'float32', [1, SAMPLES]);
  const sr = g.input('sr', 'int64', []);
  const signal = g.op('Reshape', [audio, g.initializer('signal_shape', new BigInt64Array([1n, 1n, BigInt(SAMPLES)]), [3])]);
  const bank = Float32Array.from({ length: FILTERS * FRAME }, (_, i) => {
    const [f, t] = [Math.floor(i / FRAME), i % FRAME];
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / (FRAME - 1));
    return (window * Math.cos((2 * Math.PI * (f + 1) * 6 * t) / FRAME)) / 20;
  });
  const frames = g.op('Conv', [signal, g.initializer('bank', bank, [FILTERS, 1, FRAME])], { strides: [HOP] });
  const energy = g.op('Log', [g.op('Add', [g.op('Mul', [frames, frames]), g.initializer('floor', new Float32Array([1e-4]), [])])]);
  const pooled = g.op('ReduceMean', [energy], { axes: [2], keepdims: 0 });
  const weights = Float32Array.from({ length: FILTERS * 4 }, (_, i) => (((i * 7) % 11) - 5) / 10);
  const scores = g.op('MatMul', [pooled, g.initializer('head', weights, [FILTERS, 4])]);
  const rate = g.op('Div', [g.op('Cast', [sr], { to: 1 }), g.initializer('rate', new Float32Array([16000]), [])]);
  g.op('Mul', [scores, rate], {}, { output: 'scores' });
  g.output('scores', 'float32', [1, 4]);
  writeFileSync(file, buildModelBytes(g, { opset: 17 }));
}

/** Voiced, speech-like sound: a gliding pitch with harmonics, syllable envelopes and a little noise. */
function speechLike(seconds: number, rate: number, seed: number): Float32Array {
  let noise = seed * 7919;
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => {
    const t = i / rate;
    const pitch = 110 + 30 * seed + 20 * Math.sin(2 * Math.PI * 1.5 * t);
    const envelope = Math.max(0, Math.sin(2 * Math.PI * (2 + seed / 3) * t));
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * pitch * h * t) / h;
    noise = (noise * 1103515245 + 12345) % 2147483648;
    return 0.3 * envelope * v + 0.01 * (noise / 1073741824 - 1);
  });
}

function run(request: Omit<QuantizeRequestInput, 'source' | 'jobId'>): Promise<Variant> {
  return runQuantizeJob({
    supervisor: s.supervisor,
    store,
    request: { source: { kind: 'path', path: model.path }, jobId: `audio-${Math.random()}`, ...request },
    source: model,
    cpu: { arch: 'x64', flags: ['avx2', 'fma'] },
  });
}

beforeAll(async () => {
  s = await startSupervisor(scratch.dir, { hooks: false, env: { ...QUANTIZE_WORKER_ENV } });
  store = new VariantStore(path.join(scratch.dir, 'variants'));
  const file = path.join(scratch.dir, 'speech.onnx');
  speechModel(file);
  model = await describeSource(file);
  clips = path.join(scratch.dir, 'clips');
  // Six 2-second stereo recordings at 44.1 kHz: twelve one-second windows at 16 kHz.
  for (let k = 0; k < 6; k++) {
    const left = speechLike(2, 44100, k);
    const right = left.map((v) => 0.8 * v);
    writeWav(path.join(clips, `take_${k}.wav`), [left, right], { sampleRate: 44100, bits: 16 });
  }
});

afterAll(async () => {
  await s?.supervisor.dispose();
  scratch.remove();
});

describe('quantizing on a folder of audio', () => {
  it('int8-static calibrates on the windows and is measured on the held-out ones', async () => {
    const variant = await run({ options: { mode: 'int8-static', perChannel: true }, calibration: { kind: 'audio', dir: clips } });
    expect(variant.calibration).toMatchObject({ kind: 'audio', samples: 9 });
    expect(variant.calibration.note).toContain('9 of 12 audio windows (6 .wav files)');
    expect(variant.evaluation).toMatchObject({ samples: 3, source: 'held-out', dir: clips, available: 12 });
    expect(variant.evaluation.inputs).toEqual([
      { name: 'audio', type: 'float32', shape: [1, SAMPLES], source: 'user', value: `float audio at 16000 Hz from ${clips}` },
      { name: 'sr', type: 'int64', shape: [], source: 'number', value: '16000 (speech models take 16 kHz)' },
    ]);
    const [scores] = variant.report.quality;
    expect(scores).toMatchObject({ name: 'scores', elements: 3 * 4, nanCount: 0, infCount: 0 });
    expect(scores!.cosine).toBeGreaterThan(0.9);
    expect(scores!.sqnrDb).toBeGreaterThan(10);
  });

  it('a mode that calibrates nothing is measured on the folder, the held-out windows first', async () => {
    const variant = await run({ options: { mode: 'int8-dynamic' }, calibration: { kind: 'audio', dir: clips }, evaluationSamples: 8 });
    expect(variant.calibration.kind).toBe('none');
    expect(variant.evaluation).toMatchObject({ samples: 8, source: 'user', dir: clips, available: 12 });
    expect(variant.evaluation.note).toContain('8 of the 12 audio windows');
    expect(variant.report.quality[0]).toMatchObject({ name: 'scores', elements: 8 * 4 });
    expect(Number.isFinite(variant.report.quality[0]!.cosine)).toBe(true);
  });

  it('refuses a file of another codec, naming it', async () => {
    const empty = path.join(scratch.dir, 'no-audio');
    writeWav(path.join(empty, 'a-law.wav'), [speechLike(1, 8000, 1)], { sampleRate: 8000, bits: 8, formatTag: 6 });
    await expect(run({ options: { mode: 'fp16' }, calibration: { kind: 'audio', dir: empty, scale: 'int16' } })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('a-law.wav: holds A-law audio'),
    });
  });
});
