/**
 * The CLI and the app make the same plan for the same choices: the CLI's options, read by its own
 * parsers, and the Benchmark form's draft come out as one plan once the contract's schema has read them.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchPlan, intListOption, parseDuration, type BenchCliOptions } from '../../../src/cli/bench';
import { calibrationSpec, quantizeOptions, type QuantizeCliOptions } from '../../../src/cli/quantize';
import { variantId } from '../../../src/core/quantize/variants';
import { buildPlan, defaultDraft, type BenchDraft } from '../../../src/renderer/lib/logic/bench-plan';
import {
  applyImagePreset,
  buildQuantizeRequest,
  defaultDataDraft,
  defaultModeDraft,
  type DataDraft,
} from '../../../src/renderer/lib/logic/quantize-options';
import { BenchPlanSchema } from '../../../src/shared/domain/plan';
import type { QuantizeMode } from '../../../src/shared/domain/quantize';
import { QuantizeRequestSchema } from '../../../src/shared/domain/variant';
import type { ModelSource } from '../../../src/shared/domain/app';

const model: ModelSource = { kind: 'sample', name: 'transformer-encoder' };

function fromApp(changes: Partial<BenchDraft>, eps: string[]) {
  const built = buildPlan({ ...defaultDraft(), ...changes }, model, eps);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return BenchPlanSchema.parse(built.plan);
}

function fromCli(opts: Partial<BenchCliOptions>) {
  return BenchPlanSchema.parse(benchPlan(model, { dim: {}, profile: true, ...opts }));
}

describe('bench plans from the CLI and from the app', () => {
  it('are the same with everything left at its default', () => {
    expect(fromCli({ ep: 'cpu' })).toEqual(fromApp({}, ['cpu']));
  });

  it('are the same for lists, dims, times, inputs and options', () => {
    const app = fromApp(
      {
        batches: '8, 1',
        threads: 'default, 2',
        concurrency: '1 4',
        dims: { sequence: '128' },
        minTimeS: '0.5',
        maxTimeS: '3',
        minIterations: '50',
        ciTargetPct: '2',
        seed: '7',
        intMin: '0',
        intMax: '30521',
        graphOptimizationLevel: 'basic',
        profile: false,
      },
      ['cpu', 'webgpu'],
    );
    const cli = fromCli({
      ep: 'cpu,webgpu',
      batch: intListOption()('8,1'),
      threads: intListOption({ allowDefault: true })('default,2'),
      concurrency: intListOption()('1,4'),
      dim: { sequence: 128 },
      minTime: parseDuration('500ms'),
      maxTime: parseDuration('3s'),
      minIterations: 50,
      ciTarget: 0.02,
      seed: 7,
      intRange: { min: 0, max: 30521 },
      optimization: 'basic',
      profile: false,
    });
    expect(cli).toEqual(app);
  });
});

/** The quantization request each side sends, as the services read it (the job id aside). */
function quantizeFromApp(mode: QuantizeMode, data: Partial<DataDraft>, evaluationSamples = '8') {
  const built = buildQuantizeRequest({
    source: model,
    mode,
    draft: defaultModeDraft(mode),
    data: { ...defaultDataDraft(), ...data },
    evaluationSamples,
    cpu: null,
  });
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return QuantizeRequestSchema.parse({ ...built.request, jobId: 'same' });
}

function quantizeFromCli(opts: QuantizeCliOptions) {
  return QuantizeRequestSchema.parse({
    source: model,
    options: quantizeOptions(opts),
    calibration: calibrationSpec(opts),
    ...(opts.evaluationSamples !== undefined ? { evaluationSamples: opts.evaluationSamples } : {}),
    jobId: 'same',
  });
}

/** Same data, same evaluation count, and the same variant: the id hashes what decides the variant's bytes. */
function expectSameQuantize(cli: ReturnType<typeof quantizeFromCli>, app: ReturnType<typeof quantizeFromApp>): void {
  expect(cli.calibration).toEqual(app.calibration);
  expect(cli.evaluationSamples).toBe(app.evaluationSamples);
  expect(variantId(cli, 'f'.repeat(64))).toBe(variantId(app, 'f'.repeat(64)));
}

describe('quantize requests from the CLI and from the app', () => {
  const dir = path.resolve('/data/clips');

  it('are the same with no data (synthetic for samples, random otherwise)', () => {
    for (const mode of ['int8-dynamic', 'int8-static', 'fp16', 'int4', 'q4f16'] as const) {
      expectSameQuantize(quantizeFromCli({ mode }), quantizeFromApp(mode, {}));
    }
    expectSameQuantize(
      quantizeFromCli({ mode: 'int8-static', calibrationSamples: 32, seed: 7, evaluationSamples: 4 }),
      quantizeFromApp('int8-static', { samples: '32', seed: '7' }, '4'),
    );
  });

  it('are the same for a folder of tensors or images, which every mode evaluates on', () => {
    for (const mode of ['int8-static', 'fp16'] as const) {
      expectSameQuantize(
        quantizeFromCli({ mode, calibration: '/data/sets', ...(mode === 'int8-static' ? { calibrationSamples: 20 } : {}) }),
        quantizeFromApp(mode, { kind: 'tensors', dir: path.resolve('/data/sets'), samples: mode === 'int8-static' ? '20' : '' }),
      );
    }
    expectSameQuantize(
      quantizeFromCli({
        mode: 'int8-dynamic',
        calibrationImages: '/data/photos',
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        size: { width: 224, height: 224 },
        channelOrder: 'bgr',
      }),
      quantizeFromApp(
        'int8-dynamic',
        applyImagePreset(
          {
            ...defaultDataDraft(),
            kind: 'images',
            dir: path.resolve('/data/photos'),
            samples: '',
            width: '224',
            height: '224',
            channelOrder: 'bgr',
          },
          'imagenet',
        ),
      ),
    );
  });

  it('are the same for a folder of audio, with its rate, scale and hop', () => {
    const cli = quantizeFromCli({ mode: 'int8-static', calibrationAudio: dir, sampleRate: 8000, audioScale: 'int16', hop: 0.5 });
    const app = quantizeFromApp('int8-static', { kind: 'audio', dir, samples: '', sampleRate: '8000', audioScale: 'int16', hop: '0.5' });
    expectSameQuantize(cli, app);
    expect(cli.calibration).toEqual({ kind: 'audio', dir, sampleRate: 8000, scale: 'int16', hopSeconds: 0.5 });
    // Defaults: 16 kHz, float, windows that do not overlap.
    const plain = quantizeFromCli({ mode: 'fp16', calibrationAudio: dir, evaluationSamples: 16 });
    expectSameQuantize(plain, quantizeFromApp('fp16', { kind: 'audio', dir, samples: '' }, '16'));
    expect(plain.calibration).toEqual({ kind: 'audio', dir, sampleRate: 16000, scale: 'float' });
  });

  it('refuse on both sides what does not fit together', () => {
    expect(() => calibrationSpec({ mode: 'fp16', calibration: 'a', calibrationAudio: 'b' })).toThrow(/one of --calibration/);
    expect(() => calibrationSpec({ mode: 'fp16', sampleRate: 8000 })).toThrow(/describe --calibration-audio/);
    expect(() => calibrationSpec({ mode: 'fp16', calibrationImages: 'a', hop: 1 })).toThrow(/describe --calibration-audio/);
    const bad = buildQuantizeRequest({
      source: model,
      mode: 'fp16',
      draft: defaultModeDraft('fp16'),
      data: { ...defaultDataDraft(), kind: 'audio', dir: '', sampleRate: '12', hop: '-1' },
      evaluationSamples: '8',
      cpu: null,
    });
    expect(!bad.ok && Object.keys(bad.errors).sort()).toEqual(['dir', 'hop', 'sampleRate']);
  });
});
