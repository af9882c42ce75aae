/**
 * PyTorch → ONNX for real, through the contract as the app and the CLI call it: Debian's
 * python3-torch converts each kind of file test/support/torch-models.py makes, the converted model
 * runs in onnxruntime in the worker against the original's outputs, and the result is kept, listed,
 * found again by content and inspected with its source named.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { CommandRequest } from '../../../../src/shared/contract';
import type { ConvertedModel, ConvertProgress, SourceIdentity } from '../../../../src/shared/domain/convert';

/** A conversion request as a client writes it (defaults left out). */
type ConvertRequest = CommandRequest<'convert.run'>['request'];
import type { ModelInfo } from '../../../../src/shared/domain/model';
import type { RunDocument } from '../../../../src/shared/domain/run';
import type { Variant } from '../../../../src/shared/domain/variant';
import { scratchServices, type ScratchServices } from '../../../support/services';
import {
  makeTorchFixtures,
  mustHaveTorch,
  noTorchReason,
  runTorchTests,
  TORCH_PYTHON,
  torchVersion,
} from '../../../support/torch-fixtures';

let s: ScratchServices;
let fixtures: string;

async function call<T>(command: string, request: unknown, events: ConvertProgress[] = []): Promise<T> {
  const emit = (event: string, payload: unknown) => void (event === 'convert.progress' && events.push(payload as ConvertProgress));
  const result = await dispatch(s.handlers, command, request, { emit });
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value as T;
}

let jobs = 0;
function convert(file: string, more: Partial<ConvertRequest>, events: ConvertProgress[] = []): Promise<ConvertedModel> {
  return call<ConvertedModel>('convert.run', { request: { jobId: `job${++jobs}`, path: path.join(fixtures, file), ...more } }, events);
}

function report(model: ConvertedModel): void {
  const outputs = model.check.outputs.map((o) => `${o.name} max|Δ| ${o.maxAbsDiff.toExponential(2)} cos ${o.cosine.toFixed(7)}`);
  console.info(`${model.source.name} → ${model.fileName} (${model.exporter}), ${model.check.samples} input set(s): ${outputs.join('; ')}`);
}

describe.runIf(mustHaveTorch)('the CI machine', () => {
  it("has Debian's python3-torch and python3-onnx to convert with", () => {
    expect(noTorchReason).toBe('');
  });
});

const skipped = runTorchTests ? '' : ` (skipped: ${noTorchReason})`;

beforeAll(() => {
  if (!runTorchTests) return;
  s = scratchServices('convert');
  fixtures = makeTorchFixtures(s.dir);
});

afterAll(async () => {
  await s?.dispose();
});

describe.skipIf(!runTorchTests)(`a TorchScript file → ONNX, checked, kept, benchmarked and quantized${skipped}`, () => {
  it('converts a TorchScript CNN with the first Python that has torch, checks it on two batch sizes, and keeps it', async () => {
    const events: ConvertProgress[] = [];
    const model = await convert('cnn.pt', { inputs: [{ name: 'image', shape: ['batch', 3, 32, 32], dtype: 'float32' }] }, events);
    report(model);
    expect(model.python.path).toBe(TORCH_PYTHON);
    expect(model.python.packages.torch?.startsWith(torchVersion!)).toBe(true);
    expect(model.source).toMatchObject({ name: 'cnn.pt', format: 'torchscript', label: 'TorchScript module (PyTorch)' });
    expect(model.check.passed).toBe(true);
    expect(model.check.samples).toBe(2);
    expect(model.check.inputs).toEqual([{ name: 'image', shape: [1, 3, 32, 32], dtype: 'float32' }]);
    expect(model.check.maxAbsDiff).toBeLessThan(1e-4);
    expect(model.check.minCosine).toBeGreaterThan(0.9999);
    expect(model.check.runtime).toMatch(/^onnxruntime \d+\.\d+\.\d+ \(CPU\)$/);
    expect(model.opset).toBe(Math.min(model.opset, 27));
    expect(model.exporter).toContain('torch.onnx.export');
    expect(existsSync(model.path)).toBe(true);
    expect(path.dirname(path.dirname(model.path))).toBe(path.join(s.dir, 'converted'));
    const stages = events.map((e) => e.stage);
    expect(stages.indexOf('loading')).toBeLessThan(stages.indexOf('running-original'));
    expect(stages.indexOf('exporting')).toBeLessThan(stages.indexOf('checking'));
    expect(stages.at(-1)).toBe('done');
    expect(events.every((e) => e.jobId === `job${jobs}`)).toBe(true);

    // Opened like any model, it names the file it came from; the batch stays symbolic.
    const info = await call<ModelInfo>('model.inspect', { source: { kind: 'path', path: model.path } });
    expect(info.convertedFrom).toEqual({ name: 'cnn.pt', format: 'torchscript', label: model.source.label, sha256: model.source.sha256 });
    expect(info.inputs[0]!.shape).toEqual(['batch', 3, 32, 32]);

    // Same content again: the kept conversion, found by the source's hash, not made again.
    const identity = await call<SourceIdentity>('convert.identify', { path: path.join(fixtures, 'cnn.pt') });
    expect(identity.converted?.id).toBe(model.id);
    const again: ConvertProgress[] = [];
    const cached = await convert('cnn.pt', { inputs: [{ name: 'image', shape: [1, 3, 32, 32], dtype: 'float32' }] }, again);
    expect(cached).toEqual(model);
    expect(again.map((e) => e.stage)).toEqual(['starting', 'done']);
    expect(again.at(-1)!.message).toContain('converted before');
    const listed = await call<ConvertedModel[]>('convert.list', {});
    expect(listed.map((m) => m.id)).toContain(model.id);
  });

  it('benchmarks and quantizes the converted model like any other, its run naming the PyTorch file', async () => {
    const model = await convert('cnn.pt', { inputs: [{ name: 'image', shape: ['batch', 3, 32, 32], dtype: 'float32' }] });
    const source = { kind: 'path', path: model.path } as const;
    const variant = await call<Variant>('quantize.run', { request: { jobId: 'q-cnn', source, options: { mode: 'int8-dynamic' } } });
    expect(variant.report.quality.length).toBeGreaterThan(0);
    const plan = {
      model: source,
      eps: ['cpu'],
      minIterations: 3,
      minTimeMs: 0,
      maxTimeMs: 300,
      warmupMaxMs: 0,
      repetitions: 1,
      profile: false,
    };
    const run = await call<RunDocument>('bench.start', { plan });
    expect(run.model.convertedFrom).toEqual({
      name: 'cnn.pt',
      format: 'torchscript',
      label: model.source.label,
      sha256: model.source.sha256,
    });
    await call('bench.cancel', { runId: run.id });
  });
});

describe.skipIf(!runTorchTests)(`every kind of PyTorch file → ONNX, checked${skipped}`, () => {
  it('keeps a sequence axis dynamic: the check ran two lengths and the ONNX inputs and outputs name it', async () => {
    const tokens: ConvertRequest['inputs'][number] = { name: 'tokens', shape: ['batch', 'sequence'], dtype: 'int64' };
    const model = await convert('tagger.pt', { inputs: [tokens], exampleSizes: { sequence: 12 } });
    report(model);
    expect(model.check.samples).toBe(2);
    expect(model.check.inputs).toEqual([{ name: 'tokens', shape: [1, 12], dtype: 'int64' }]);
    expect(model.check.outputs[0]!.shape).toEqual([1, 12, 5]);
    expect(model.check.passed).toBe(true);
    const info = await call<ModelInfo>('model.inspect', { source: { kind: 'path', path: model.path }, dims: { sequence: 7 } });
    expect(info.inputs[0]).toMatchObject({ name: 'tokens', type: 'int64', shape: ['batch', 'sequence'] });
    expect(info.outputs[0]!.shape).toEqual(['batch', 'sequence', 5]);
    expect(info.dims.find((d) => d.name === 'sequence')).toMatchObject({ value: 7, source: 'user' });
  });

  it('converts a whole pickled module once the user agrees to running it', async () => {
    const model = await convert('whole.pt', { inputs: [{ name: 'x', shape: ['batch', 16], dtype: 'float32' }], trust: true });
    report(model);
    expect(model.source.format).toBe('torch-module');
    expect(model.check.passed).toBe(true);
  });

  type ModelCode = ConvertRequest['modelCode'];
  it.each<[string, string, (dir: string) => ModelCode]>([
    [
      'weights.pth',
      'the class from its .py file',
      (dir) => ({ kind: 'class', module: path.join(dir, 'fixture_models.py'), className: 'TinyMLP' }),
    ],
    [
      'legacy.pth',
      'the class with constructor arguments',
      (dir) => ({
        kind: 'class',
        module: path.join(dir, 'fixture_models.py'),
        className: 'TinyMLP',
        kwargsJson: '{"features": 16, "hidden": 32, "classes": 4}',
      }),
    ],
    ['checkpoint.pth', 'an importable module beside it', () => ({ kind: 'class', module: 'fixture_models', className: 'TinyMLP' })],
  ])('converts the weights in %s into %s', async (file, _how, code) => {
    // torch 1.13's weights-only loader refuses the floats of an optimizer's state: the checkpoint needs the go-ahead there.
    const trust = file === 'checkpoint.pth';
    const inputs: ConvertRequest['inputs'] = [{ name: 'features', shape: ['batch', 16], dtype: 'float32' }];
    const model = await convert(file, { inputs, modelCode: code(fixtures), trust });
    report(model);
    expect(model.check.passed).toBe(true);
    expect(model.check.maxAbsDiff).toBeLessThan(1e-5);
  });

  it('converts weights with a factory script, and the user may choose the opset', async () => {
    const model = await convert('gate.pth', {
      inputs: [{ name: 'x', shape: [2, 5, 4], dtype: 'float32' }],
      modelCode: { kind: 'factory', script: path.join(fixtures, 'gate_factory.py') },
      opset: 13,
    });
    report(model);
    expect(model.opset).toBe(13);
    expect(model.check.samples).toBe(1);
    expect(model.check.passed).toBe(true);
    const info = await call<ModelInfo>('model.inspect', { source: { kind: 'path', path: model.path } });
    expect(info.opsets.find((o) => o.domain === 'ai.onnx')?.version).toBe(13);
  });
});
