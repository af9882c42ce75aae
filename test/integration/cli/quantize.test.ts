/** `inferscope quantize` as the command runs it (commander aside): real worker, real files. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelBytes, GraphBuilder } from '../../../src/core/onnx/build';
import { detectCpu } from '../../../src/core/hardware/cpu';
import { quantizeCpu } from '../../../src/core/quantize/variants';
import { createServices, type Services } from '../../../src/core/services';
import { nodeForkLauncher } from '../../../src/core/worker-host/launcher';
import { headlessHostHandlers } from '../../../src/server/host-handlers';
import { runQuantize, type QuantizeCliDeps, type QuantizeJsonReport } from '../../../src/cli/quantize';
import { scratchDir } from '../../support/worker';
import {
  buildQuantizeRequest,
  defaultDataDraft,
  defaultModeDraft,
  DEFAULT_EVALUATION_SAMPLES,
} from '../../../src/renderer/lib/logic/quantize-options';
import { dispatch } from '../../../src/shared/contract/dispatch';
import type { QuantizeMode } from '../../../src/shared/domain/quantize';
import type { Variant } from '../../../src/shared/domain/variant';
import { workerEntry } from '../../support/build';

const scratch = scratchDir();
let services: Services;
let deps: QuantizeCliDeps;
const printed: string[] = [];

beforeAll(async () => {
  // The command's own wiring: the contract's handlers over real services, as `inferscope quantize` builds them.
  services = createServices({
    host: 'cli',
    userDataDir: path.join(scratch.dir, 'data'),
    workerEntry,
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  deps = { handlers: { ...services.handlers, ...headlessHostHandlers(services, 'cli') }, print: (text) => printed.push(text) };
});

afterAll(async () => {
  await services?.dispose();
  scratch.remove();
});

describe('inferscope quantize', () => {
  it('writes -o and the --json report, and prints sizes, nodes and the quality table', async () => {
    const output = path.join(scratch.dir, 'out', 'mnist-int8.onnx');
    const json = path.join(scratch.dir, 'report.json');
    const result = await runQuantize(deps, 'sample:mnist-cnn', {
      mode: 'int8-static',
      perChannel: true,
      output,
      json,
      calibrationSamples: 6,
    });
    expect(result.output).toBe(output);
    expect(readFileSync(output)).toEqual(readFileSync(result.variant.path));
    const session = await ort.InferenceSession.create(output, { logSeverityLevel: 3 });
    await session.release();

    const report = JSON.parse(readFileSync(json, 'utf8')) as QuantizeJsonReport;
    expect(Object.keys(report).slice(0, 6)).toEqual(['verdict', 'verdictReason', 'mode', 'sizeBytes', 'nodesQuantized', 'quality']);
    // On seeded random inputs the figures are shown and the verdict waits for real data.
    expect(report.verdict).toBe(report.evaluation.source === 'random' ? 'unverified' : 'good');
    expect(report.quality[0]?.verdict).toBe(report.verdict);
    expect(report.mode).toBe('int8-static');
    expect(report.sizeBytes.after).toBeLessThan(report.sizeBytes.before);
    expect(report.nodesQuantized).toBeGreaterThan(0);
    const [logits] = report.quality;
    for (const key of ['maxAbsDiff', 'meanAbsDiff', 'sqnrDb', 'cosine', 'top1Agreement'] as const)
      expect(typeof logits![key]).toBe('number');
    expect(report).toMatchObject({
      id: result.variant.id,
      label: 'int8 static (minmax, per-channel)',
      output,
      calibration: { kind: 'synthetic', samples: 6 },
      evaluation: { source: 'synthetic', note: 'synthetic handwritten digits made by Inferscope' },
    });
    // This machine's CPU decides the int8 types (jobs.test.ts checks the rule on given CPUs).
    const cpu = await detectCpu([], 2000);
    expect(report.options.cpu).toEqual(quantizeCpu(cpu.arch, cpu.flags));

    const text = printed.at(-1)!;
    expect(text).toContain(`int8 static (minmax, per-channel) of mnist-cnn — variant ${result.variant.id}`);
    expect(text).toMatch(/size:\s+[\d.]+ KiB → [\d.]+ KiB \(\d+ % of the original\)/);
    expect(text.split('\n')[0]).toMatch(/^Verdict: (GOOD|UNVERIFIED) — .*output logits: /);
    expect(text).toMatch(/output\s+verdict\s+max \|Δ\|\s+mean \|Δ\|\s+SQNR\s+cosine\s+top-1/);
    expect(text).toMatch(/logits\s+(good|unverified)\s+[\d.e-]+\s+[\d.e-]+\s+[\d.]+ dB\s+0\.99\d+\s+\d+ %/);
    expect(text).toContain('6 samples — synthetic handwritten digits made by Inferscope');
    expect(text).toContain(`Written to ${output}`);
  });

  it('refuses flags that do not belong to the mode, before any work', async () => {
    await expect(runQuantize(deps, 'sample:mnist-cnn', { mode: 'fp16', blockSize: 32 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: '--block-size applies to int4 and q4f16 only.',
    });
    await expect(runQuantize(deps, 'sample:mnist-cnn', { mode: 'int4', perChannel: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-static', lstm: true })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: '--lstm applies to int8-dynamic only.',
    });
    await expect(
      runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-static', calibrationMethod: 'entropy', movingAverage: true }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: '--moving-average applies to int8-static with minmax calibration only.',
    });
    await expect(
      runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-static', calibration: 'a', calibrationImages: 'b' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-static', mean: [0, 0, 0] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(runQuantize(deps, 'sample:no-such-sample', { mode: 'fp16' })).rejects.toMatchObject({ code: 'SAMPLE_UNKNOWN' });
    await expect(runQuantize(deps, path.join(scratch.dir, 'missing.onnx'), { mode: 'fp16' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
    expect(existsSync(path.join(scratch.dir, 'data', 'variants'))).toBe(true);
  });

  it('static int8 weights are per channel unless --no-per-channel, as in the app', async () => {
    const byDefault = await runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-static', evaluationSamples: 2, calibrationSamples: 4 });
    expect(byDefault.variant.label).toBe('int8 static (minmax, per-channel)');
    expect(byDefault.variant.options.perChannel).toBe(true);
    const perTensor = await runQuantize(deps, 'sample:mnist-cnn', {
      mode: 'int8-static',
      perChannel: false,
      evaluationSamples: 2,
      calibrationSamples: 4,
    });
    expect(perTensor.variant.label).toBe('int8 static (minmax)');
    expect(perTensor.variant.id).not.toBe(byDefault.variant.id);
    // Dynamic keeps onnxruntime's per-tensor default, and --no-per-channel names the same variant.
    const dynamic = await runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-dynamic', evaluationSamples: 2 });
    expect(dynamic.variant.label).toBe('int8 dynamic');
    expect(
      (await runQuantize(deps, 'sample:mnist-cnn', { mode: 'int8-dynamic', perChannel: false, evaluationSamples: 2 })).variant.id,
    ).toBe(dynamic.variant.id);
    await expect(runQuantize(deps, 'sample:mnist-cnn', { mode: 'fp16', perChannel: false })).rejects.toMatchObject({
      message: '--no-per-channel applies to int8-dynamic and int8-static only.',
    });
  });

  it('keeps token ids of a text sample inside its vocabulary', async () => {
    const result = await runQuantize(deps, 'sample:transformer-encoder', {
      mode: 'int8-dynamic',
      evaluationSamples: 2,
      dim: { sequence: 16 },
    });
    expect(result.variant.report.quality.map((q) => q.name)).toEqual(['last_hidden_state', 'pooler_output']);
    expect(result.variant.report.quality.every((q) => q.nanCount === 0 && q.cosine > 0.99)).toBe(true);
    expect(result.output).toBeNull();
  });

  it('--lstm turns the LSTM of a speech-like model into DynamicQuantizeLSTM, which runs and stays close', async () => {
    const g = new GraphBuilder('keyword-spotter');
    const x = g.input('features', 'float32', ['frames', 'batch', 20]);
    const wave = (n: number, seed: number, gain: number) => Float32Array.from({ length: n }, (_, i) => gain * Math.sin(i * 0.61 + seed));
    const w = g.initializer('lstm_W', wave(4 * 32 * 20, 1, 0.3), [1, 128, 20]);
    const r = g.initializer('lstm_R', wave(4 * 32 * 32, 2, 0.2), [1, 128, 32]);
    const [, last] = g.node('LSTM', [x, w, r], ['sequence', 'last'], { hidden_size: 32 }, { name: 'lstm' });
    const flat = g.op('Reshape', [last!, g.initializer('shape', BigInt64Array.from([-1n, 32n]), [2], 'int64')]);
    g.op('Gemm', [flat, g.initializer('head_W', wave(32 * 10, 3, 0.4), [32, 10])], {}, { output: 'scores', name: 'head' });
    g.output('scores', 'float32', ['batch', 10]);
    const file = path.join(scratch.dir, 'keyword-spotter.onnx');
    writeFileSync(file, buildModelBytes(g, { opset: 17 }));

    const plain = await runQuantize(deps, file, { mode: 'int8-dynamic', evaluationSamples: 2, dim: { frames: 8, batch: 1 } });
    expect(plain.variant.report.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ node: 'lstm', reason: expect.stringContaining('turn on LSTM quantization') })]),
    );
    const result = await runQuantize(deps, file, { mode: 'int8-dynamic', lstm: true, evaluationSamples: 2, dim: { frames: 8, batch: 1 } });
    expect(result.variant.label).toBe('int8 dynamic (LSTM)');
    expect(result.variant.id).not.toBe(plain.variant.id);
    expect(result.variant.report.nodesQuantized).toBe(plain.variant.report.nodesQuantized + 1);
    expect(result.variant.report.sizeBytes.after).toBeLessThan(plain.variant.report.sizeBytes.after);
    const [scores] = result.variant.report.quality;
    expect(scores?.name).toBe('scores');
    expect(scores?.nanCount).toBe(0);
    expect(scores?.sqnrDb).toBeGreaterThan(20);
  });

  it('makes byte for byte the variant the app makes with the same choices', async () => {
    // The app in another data folder: its own services, its Quantize form left at its defaults.
    const app = createServices({
      host: 'browser',
      userDataDir: path.join(scratch.dir, 'app-data'),
      workerEntry,
      launcher: nodeForkLauncher,
      versions: { electron: null, chromium: null },
    });
    const appHandlers = { ...app.handlers, ...headlessHostHandlers(app, 'browser') };
    const cpu = await detectCpu([], 2000);
    try {
      const cases: Array<[string, QuantizeMode]> = [
        ['transformer-encoder', 'int8-dynamic'],
        ['mnist-cnn', 'int8-static'],
        ['mlp', 'fp16'],
      ];
      for (const [sample, mode] of cases) {
        const built = buildQuantizeRequest({
          source: { kind: 'sample', name: sample },
          mode,
          draft: defaultModeDraft(mode),
          data: defaultDataDraft(),
          evaluationSamples: String(DEFAULT_EVALUATION_SAMPLES),
          cpu,
        });
        if (!built.ok) throw new Error(JSON.stringify(built.errors));
        const made = await dispatch(
          appHandlers,
          'quantize.run',
          { request: { ...built.request, jobId: `app-${sample}` } },
          { emit: () => undefined },
        );
        if (!made.ok) throw new Error(made.error.message);
        const fromApp = made.value as Variant;
        const fromCli = (await runQuantize(deps, `sample:${sample}`, { mode })).variant;
        expect(fromCli.id, `${sample} ${mode}`).toBe(fromApp.id);
        expect(fromCli.path).not.toBe(fromApp.path);
        expect(readFileSync(fromCli.path).equals(readFileSync(fromApp.path)), `${sample} ${mode} bytes`).toBe(true);
        expect(fromCli.report.quality).toEqual(fromApp.report.quality);
      }
    } finally {
      await app.dispose();
    }
  });
});
