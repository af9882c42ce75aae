/**
 * Quantization jobs end to end: the real worker process makes each variant of a sample, the
 * store installs it, onnxruntime in this process loads it, and the report carries the quality
 * figures. Cancel, refusal and external data go through the same path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { writeModel } from '../../../../src/core/onnx/write';
import { DataLocation, decodeModelProto } from '../../../../src/core/onnx/codec';
import { QUANTIZE_WORKER_ENV, runQuantizeJob } from '../../../../src/core/quantize/job';
import { describeSource, VariantStore, type VariantSource } from '../../../../src/core/quantize/variants';
import { buildSampleModel, ensureSample } from '../../../../src/core/zoo';
import { createRng } from '../../../../src/shared/stats/random';
import type { QuantizeMode } from '../../../../src/shared/domain/quantize';
import { VariantSchema, type QuantizeProgress, type QuantizeRequestInput, type Variant } from '../../../../src/shared/domain/variant';
import { outcome, scratchDir, startSupervisor, type TestSupervisor } from '../../../support/worker';
import { detectorModel, speechModel } from '../../../support/input-models';

const scratch = scratchDir();
let s: TestSupervisor;
let store: VariantStore;
let mnist: VariantSource;
let jobs = 0;

function request(options: QuantizeRequestInput['options'], extra: Partial<QuantizeRequestInput> = {}): QuantizeRequestInput {
  return { source: { kind: 'sample', name: 'mnist-cnn' }, options, evaluationSamples: 4, jobId: `job-${++jobs}`, ...extra };
}

function run(
  req: QuantizeRequestInput,
  source = mnist,
  extra: { onProgress?: (p: QuantizeProgress) => void; signal?: AbortSignal } = {},
): Promise<Variant> {
  return runQuantizeJob({ supervisor: s.supervisor, store, request: req, source, cpu: { arch: 'x64', flags: ['avx2', 'fma'] }, ...extra });
}

async function loadsAndRuns(file: string): Promise<number[]> {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  try {
    const input = new ort.Tensor('float32', new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]);
    const out = await session.run({ input });
    return Array.from(out.logits!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** Ten 28×28 grey "digits": a bright bar at a seeded place on a dark ground. */
function writeDigits(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = createRng(5);
  for (let i = 0; i < count; i++) {
    const png = new PNG({ width: 28, height: 28 });
    const column = rng.nextInt(4, 24);
    for (let p = 0; p < 28 * 28; p++) {
      const v = Math.abs((p % 28) - column) < 3 ? 230 : 20;
      png.data.set([v, v, v, 255], p * 4);
    }
    writeFileSync(path.join(dir, `digit_${i}.png`), PNG.sync.write(png));
  }
}

beforeAll(async () => {
  s = await startSupervisor(scratch.dir, { hooks: false, env: { ...QUANTIZE_WORKER_ENV } });
  store = new VariantStore(path.join(scratch.dir, 'data', 'variants'));
  const file = await ensureSample('mnist-cnn', path.join(scratch.dir, 'data', 'samples'));
  mnist = await describeSource(file, 'mnist-cnn');
});

afterAll(async () => {
  await s?.supervisor.dispose();
  scratch.remove();
});

describe('quantization jobs in the worker', () => {
  const floors: Record<QuantizeMode, number> = { 'int8-dynamic': 20, 'int8-static': 15, fp16: 50, int4: 10, q4f16: 10 };

  it.each(Object.keys(floors) as QuantizeMode[])(
    '%s of mnist-cnn: saved as a variant that onnxruntime loads, with quality figures',
    async (mode) => {
      const stages: string[] = [];
      const variant = await run(request({ mode }), mnist, { onProgress: (p) => stages.push(p.stage) });
      expect(VariantSchema.parse(variant)).toEqual(variant);
      expect(variant.mode).toBe(mode);
      expect(variant.path).toBe(path.join(store.dir, mnist.sha256.slice(0, 16), variant.id, 'model.onnx'));
      expect(existsSync(variant.path)).toBe(true);
      expect(variant.sizeBytes).toBe(readFileSync(variant.path).length);
      expect(variant.report.sizeBytes.before).toBe(mnist.sizeBytes);
      expect(variant.report.sizeBytes.after).toBe(variant.sizeBytes);
      expect(variant.report.nodesQuantized).toBeGreaterThan(0);
      const [logits] = variant.report.quality;
      expect(logits!.name).toBe('logits');
      expect(logits!.elements).toBe(4 * 10);
      expect(logits!.sqnrDb).toBeGreaterThan(floors[mode]);
      expect(logits!.top1Agreement).toBeGreaterThanOrEqual(0.75);
      // A sample without the user's data: its synthetic digits, not random noise.
      const digits = 'synthetic handwritten digits made by Inferscope';
      expect(variant.evaluation).toMatchObject({ samples: 4, source: 'synthetic', note: digits });
      expect(variant.evaluation.inputs).toEqual([
        { name: 'input', type: 'float32', shape: [1, 1, 28, 28], source: 'synthetic', value: digits },
      ]);
      if (mode === 'int8-static') {
        expect(variant.calibration).toEqual({ kind: 'synthetic', samples: 16, note: digits });
        expect(variant.report.settings.activationType).toBe('uint8');
        expect(variant.options.cpu).toEqual({ arch: 'x64', flags: ['avx2', 'fma'] });
        expect(stages).toContain('calibrate');
      } else {
        expect(variant.calibration.kind).toBe('none');
        expect(variant.options.cpu).toBeUndefined();
      }
      // Stages arrive once each, in order.
      const order = ['load', 'prepare', 'calibrate', 'transform', 'save', 'verify', 'evaluate'];
      const distinct = stages.filter((stage, i) => stage !== stages[i - 1]);
      expect(distinct).toEqual(order.filter((stage) => distinct.includes(stage)));
      expect(distinct).toEqual(expect.arrayContaining(['load', 'prepare', 'transform', 'save', 'verify', 'evaluate']));
      expect((await loadsAndRuns(variant.path)).every(Number.isFinite)).toBe(true);
      expect(await store.get(variant.id)).toEqual(variant);
    },
  );

  it('evaluates on stated defaults (sr 16000, state zeros) and a given value, recording the fed shapes', async () => {
    const file = speechModel(scratch.dir);
    const source = await describeSource(file);
    const speech = { kind: 'path' as const, path: file };
    const variant = await run(
      request({ mode: 'fp16' }, { source: speech, inputValues: { x: { kind: 'uniform', low: -1, high: 1 } } }),
      source,
    );
    expect(variant.evaluation.inputs).toEqual([
      { name: 'x', type: 'float32', shape: [1, 16], source: 'uniform', value: '-1..1' },
      { name: 'sr', type: 'int64', shape: [], source: 'number', value: '16000 (speech models take 16 kHz)' },
      { name: 'state', type: 'float32', shape: [1, 16], source: 'zeros', value: 'zeros (a recurrent state starts at zero)' },
    ]);
    expect(variant.report.quality[0]!.name).toBe('y');
  });

  it('refuses [N,3,H,W] with H and W unset (DIMS_REQUIRED); with them set it evaluates on [1,3,32,32]', async () => {
    const file = detectorModel(scratch.dir);
    const source = await describeSource(file);
    const detector = { kind: 'path' as const, path: file };
    await expect(run(request({ mode: 'fp16' }, { source: detector }), source)).rejects.toMatchObject({
      code: 'DIMS_REQUIRED',
      message: expect.stringContaining('set the size “H” and the size “W”'),
    });
    const variant = await run(request({ mode: 'fp16' }, { source: detector, dims: { H: 32, W: 32 } }), source);
    expect(variant.evaluation.inputs).toEqual([{ name: 'images', type: 'float32', shape: [1, 3, 32, 32], source: 'random' }]);
  });

  it('lists every variant of the model, and the same request again replaces its variant', async () => {
    const before = await store.list(mnist.sha256);
    expect(before.map((v) => v.mode).sort()).toEqual(['fp16', 'int4', 'int8-dynamic', 'int8-static', 'q4f16']);
    const again = await run(request({ mode: 'int8-dynamic' }));
    const after = await store.list(mnist.sha256);
    expect(after).toHaveLength(5);
    expect(after[0]!.id).toBe(again.id);
  });

  it('int8-static calibrates on an images folder and evaluates on the held-out images', async () => {
    const images = path.join(scratch.dir, 'digits');
    writeDigits(images, 10);
    const variant = await run(request({ mode: 'int8-static', perChannel: true }, { calibration: { kind: 'images', dir: images } }));
    expect(variant.label).toBe('int8 static (minmax, per-channel)');
    expect(variant.calibration).toMatchObject({ kind: 'images', samples: 8 });
    expect(variant.calibration.note).toContain('8 of 10 images');
    expect(variant.evaluation).toEqual({
      samples: 2,
      source: 'held-out',
      dir: images,
      available: 10,
      note: `2 held-out of the 10 images in ${images}`,
    });
    expect(variant.report.quality[0]!.elements).toBe(2 * 10);
    expect(variant.report.settings.calibrationBatches).toBe(8);
    // Calibrated on other data than the synthetic-data variant: another variant, not a replacement.
    const synthetic = (await store.list(mnist.sha256)).find((v) => v.mode === 'int8-static' && v.calibration.kind === 'synthetic');
    expect(synthetic && synthetic.id !== variant.id).toBe(true);
    expect((await loadsAndRuns(variant.path)).every(Number.isFinite)).toBe(true);
  });

  it('a bad image fails the job with INPUT_INVALID naming it, and keeps no variant', async () => {
    const images = path.join(scratch.dir, 'bad-digits');
    writeDigits(images, 4);
    writeFileSync(path.join(images, 'digit_1.png'), 'not a png');
    const count = (await store.list()).length;
    const error = await run(request({ mode: 'int8-static' }, { calibration: { kind: 'images', dir: images } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INPUT_INVALID' });
    expect((error as Error).message).toContain('digit_1.png');
    expect(await store.list()).toHaveLength(count);
  });

  it('cancel during calibration rejects with CANCELLED and leaves no half-written variant', async () => {
    const count = (await store.list()).length;
    const controller = new AbortController();
    const seen: QuantizeProgress[] = [];
    const job = run(request({ mode: 'int8-static' }, { calibration: { kind: 'random', samples: 5000, seed: 9 } }), mnist, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.stage === 'calibrate' && (p.fraction ?? 0) > 0) controller.abort();
      },
    });
    expect(await outcome(job)).toBe('CANCELLED');
    const calibrating = seen.filter((p) => p.stage === 'calibrate' && p.fraction !== null);
    expect(calibrating.at(-1)!.fraction).toBeLessThan(0.5);
    expect(await store.list()).toHaveLength(count);
    const group = path.join(store.dir, mnist.sha256.slice(0, 16));
    expect(readdirSync(group).filter((e) => e.startsWith('.'))).toEqual([]);
    // The worker stopped between batches by itself (it was not killed), and takes the next job.
    const next = await run(request({ mode: 'fp16' }));
    expect(next.mode).toBe('fp16');
    expect(s.exits).toHaveLength(0);
  });

  it('refuses fp16 of a model that is already fp16, with the reason, and keeps nothing', async () => {
    const fp16 = (await store.list(mnist.sha256)).find((v) => v.mode === 'fp16')!;
    const source = await describeSource(fp16.path, 'mnist-fp16');
    const error = await run(request({ mode: 'fp16' }, { source: { kind: 'path', path: fp16.path } }), source).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'QUANTIZE_UNSUPPORTED' });
    expect((error as Error).message).toMatch(/already holds float16/);
    expect(await store.list(source.sha256)).toEqual([]);
    // The worker survived the refusal.
    expect(s.exits).toHaveLength(0);
  });

  it('a model with external data gives a variant with external data that loads on its own', async () => {
    const dir = path.join(scratch.dir, 'external');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'mlp.onnx');
    await writeModel(file, buildSampleModel('mlp'), { externalDataThresholdBytes: 1024 });
    const source = await describeSource(file);
    const variant = await run(
      {
        source: { kind: 'path', path: file },
        options: { mode: 'int8-dynamic' },
        evaluationSamples: 2,
        dims: { batch: 3 },
        jobId: `job-${++jobs}`,
      },
      source,
    );
    expect(readdirSync(path.dirname(variant.path)).sort()).toEqual(['model.onnx', 'model.onnx.data', 'variant.json']);
    const model = decodeModelProto(readFileSync(variant.path));
    expect(model.graph!.initializer!.some((t) => t.data_location === DataLocation.EXTERNAL)).toBe(true);
    expect(variant.sizeBytes).toBeGreaterThan(readFileSync(variant.path).length);
    expect(variant.report.quality[0]!.elements).toBe(2 * 3 * 10);
    expect(variant.report.quality[0]!.sqnrDb).toBeGreaterThan(20);
    const session = await ort.InferenceSession.create(variant.path, { logSeverityLevel: 3 });
    const out = await session.run({ features: new ort.Tensor('float32', new Float32Array(256).fill(0.1), [1, 256]) });
    expect(Array.from(out.logits!.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it(
    'a worker killed mid-job (as the OOM killer would) ends it with WORKER_CRASHED, keeps nothing half-made, and the next job ' + 'works',
    async () => {
      const count = (await store.list()).length;
      const exitsBefore = s.exits.length;
      let killed: number | undefined;
      const job = run(request({ mode: 'int8-static' }, { calibration: { kind: 'random', samples: 5000, seed: 11 } }), mnist, {
        onProgress: (p) => {
          if (killed === undefined && p.stage === 'calibrate' && (p.fraction ?? 0) > 0) {
            killed = s.supervisor.pid;
            if (killed !== undefined) process.kill(killed, 'SIGKILL');
          }
        },
      });
      const error = await job.catch((e: unknown) => e);
      expect(killed).toBeGreaterThan(0);
      expect(error).toMatchObject({ code: 'WORKER_CRASHED' });
      expect((error as Error).message).toMatch(/SIGKILL/);
      expect(s.exits.length).toBe(exitsBefore + 1);
      expect(await store.list()).toHaveLength(count);
      const group = path.join(store.dir, mnist.sha256.slice(0, 16));
      expect(readdirSync(group).filter((e) => e.startsWith('.'))).toEqual([]);
      // A fresh worker takes the next job.
      const next = await run(request({ mode: 'int8-dynamic' }));
      expect(next.mode).toBe('int8-dynamic');
      expect(s.supervisor.pid).not.toBe(killed);
    },
  );
});
