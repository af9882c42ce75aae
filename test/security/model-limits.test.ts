/**
 * Crafted models replayed through the real services, as every host calls them (the contract's
 * dispatcher, real worker processes): inputs far larger than any machine's memory, dims past
 * what a typed array holds, a zero stride, external data that points out of the model's folder.
 * Each is refused with MODEL_TOO_LARGE or MODEL_INVALID naming the tensor (or node), before
 * anything the size of the model's claims is allocated — never INTERNAL, never a hang.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchToEnd } from '../../src/cli/run';
import { nodeForkLauncher } from '../../src/core/worker-host/launcher';
import { GraphBuilder, buildModel, type Dim } from '../../src/core/onnx/build';
import { DataLocation } from '../../src/core/onnx/codec';
import { encodeModel } from '../../src/core/onnx/write';
import { createServices, type Services } from '../../src/core/services';
import { headlessHostHandlers } from '../../src/server/host-handlers';
import type { CommandName, CommandRequest, Handlers } from '../../src/shared/contract';
import { dispatch } from '../../src/shared/contract/dispatch';
import { toErrorInfo, type ErrorInfo } from '../../src/shared/errors';
import { repoRoot } from '../support/build';

/** A refusal must come before any allocation the size of the model's claims: this only catches a hang. */
const ANSWER_WITHIN_MS = 5_000;

let dir: string;
let services: Services;
let handlers: Handlers;
let jobs = 0;
const cacheHome = process.env.XDG_CACHE_HOME;

/** The error a command answers with (or null when it succeeds), and how long it took. */
interface Outcome {
  error: ErrorInfo | null;
  ms: number;
}

async function answer<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<Outcome & { value: unknown }> {
  const started = performance.now();
  const result = await dispatch(handlers, command, request, { emit: () => undefined });
  const ms = performance.now() - started;
  return result.ok ? { error: null, value: result.value, ms } : { error: result.error, value: null, ms };
}

/** A benchmark refused at its start, or, where the worker refuses, the run's failed configuration. */
async function benchRefusal(model: string, extra: Partial<CommandRequest<'bench.start'>['plan']> = {}): Promise<Outcome> {
  const started = performance.now();
  const quick = { minTimeMs: 100, maxTimeMs: 500, warmupMaxMs: 100, minIterations: 5 };
  const plan = { model: { kind: 'path' as const, path: model }, eps: ['cpu'], ...quick, ...extra };
  try {
    const { doc } = await benchToEnd(handlers, plan);
    return { error: doc.configs.find((c) => c.error)?.error ?? null, ms: performance.now() - started };
  } catch (error) {
    return { error: toErrorInfo(error), ms: performance.now() - started };
  }
}

function quantize(model: string, options: Record<string, unknown> = {}): Promise<Outcome> {
  const source = { kind: 'path' as const, path: model };
  const request = { source, options: { mode: 'int8-dynamic' as const }, jobId: `limits-${++jobs}`, layerReport: 'never' as const };
  return answer('quantize.run', { request: { ...request, ...options } });
}

function save(name: string, graph: GraphBuilder, folder = path.join(dir, 'models')): string {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  writeFileSync(file, encodeModel(buildModel(graph, { opset: 17 })));
  return file;
}

/** x (a fixed, declared shape) · W[k, 4]: quantizable, with weights of a few KiB whatever x claims. */
function matmulModel(name: string, xShape: Dim[]): string {
  const g = new GraphBuilder('limits');
  const k = xShape[xShape.length - 1] as number;
  g.input('x', 'float32', xShape);
  g.initializer('W', new Float32Array(k * 4).fill(0.5), [k, 4]);
  g.output(g.op('MatMul', ['x', 'W'], {}, { output: 'y' }), 'float32');
  return save(name, g);
}

function zeroStrideModel(): string {
  const g = new GraphBuilder('limits');
  g.input('x', 'float32', [1, 3, 8, 8]);
  g.initializer('W', new Float32Array(4 * 3 * 3 * 3).fill(0.1), [4, 3, 3, 3]);
  g.output(g.op('Conv', ['x', 'W'], { kernel_shape: [3, 3], strides: [0, 0] }, { name: 'conv1', output: 'y' }), 'float32');
  return save('zero-stride.onnx', g);
}

/** A MatMul whose weight W "lives" in external data at `location`. */
function externalModel(name: string, location: string, folder?: string): string {
  const g = new GraphBuilder('limits');
  g.input('x', 'float32', [1, 4]);
  g.initializer('W', new Float32Array(16), [4, 4]);
  g.output(g.op('MatMul', ['x', 'W'], {}, { output: 'y' }), 'float32');
  const model = buildModel(g, { opset: 17 });
  const w = model.graph?.initializer?.[0];
  if (!w) throw new Error('no initializer');
  delete w.raw_data;
  w.data_location = DataLocation.EXTERNAL;
  w.external_data = [
    { key: 'location', value: location },
    { key: 'offset', value: '0' },
    { key: 'length', value: '64' },
  ];
  const target = folder ?? path.join(dir, 'models', 'deep', 'er');
  mkdirSync(target, { recursive: true });
  const file = path.join(target, name);
  writeFileSync(file, encodeModel(model));
  return file;
}

function expectRefusal(outcome: Outcome, code: string, ...named: (string | RegExp)[]): void {
  expect(outcome.error, 'expected a refusal').not.toBeNull();
  expect(outcome.error?.code, outcome.error?.message).toBe(code);
  for (const text of named) expect(outcome.error?.message).toMatch(text);
  expect(outcome.ms).toBeLessThan(ANSWER_WITHIN_MS);
  console.log(`${code} in ${outcome.ms.toFixed(0)} ms: ${outcome.error?.message}`);
}

let hugeInput: string;
let trillion: string;
let zeroStride: string;
/** External data locations that leave the model's folder, and the models that use them. */
const ESCAPES = ['../../etc/passwd', '/etc/passwd', 'weights.bin → /etc/passwd'] as const;
const escapes: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-limits-'));
  process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  services = createServices({
    host: 'browser',
    userDataDir: path.join(dir, 'home'),
    workerEntry: path.join(repoRoot, 'out/node/worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  handlers = { ...services.handlers, ...headlessHostHandlers(services, 'cli') };
  hugeInput = matmulModel('huge-input.onnx', [32768, 65536]);
  trillion = matmulModel('trillion.onnx', [1e12, 4]);
  zeroStride = zeroStrideModel();
  escapes['../../etc/passwd'] = externalModel('up.onnx', '../../etc/passwd');
  escapes['/etc/passwd'] = externalModel('absolute.onnx', '/etc/passwd');
  const linked = path.join(dir, 'models', 'linked');
  mkdirSync(linked, { recursive: true });
  symlinkSync('/etc/passwd', path.join(linked, 'weights.bin'));
  escapes['weights.bin → /etc/passwd'] = externalModel('linked.onnx', 'weights.bin', linked);
  // Hardware detection probes the providers once; the refusals below are timed without it.
  await answer('hardware.detect', {});
});

afterAll(async () => {
  await services?.dispose();
  if (cacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = cacheHome;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('inspection', () => {
  it('describes a model with huge declared inputs without allocating them', async () => {
    for (const model of [hugeInput, trillion]) {
      const { error, value } = await answer('model.inspect', { source: { kind: 'path', path: model } });
      expect(error).toBeNull();
      expect(Number.isFinite((value as { macs: number }).macs)).toBe(true);
    }
  });

  it('a Conv with strides [0, 0] is MODEL_INVALID naming the node (its MACs would be Infinity)', async () => {
    const outcome = await answer('model.inspect', { source: { kind: 'path', path: zeroStride } });
    expectRefusal(outcome, 'MODEL_INVALID', /Conv "conv1"/, /strides \[0, 0\]/);
  });

  it.each(ESCAPES)('external data at %s is MODEL_INVALID naming the tensor and the location', async (location) => {
    const outcome = await answer('model.inspect', { source: { kind: 'path', path: escapes[location] as string } });
    expectRefusal(outcome, 'MODEL_INVALID', /"W"/, location.startsWith('weights') ? /weights\.bin.*\/etc\/passwd/ : location);
  });
});

describe('quantization', () => {
  it('float32[32768, 65536] (8 GiB) × 64 evaluation samples is MODEL_TOO_LARGE before any sample is made', async () => {
    const outcome = await quantize(hugeInput, { evaluationSamples: 64 });
    expectRefusal(outcome, 'MODEL_TOO_LARGE', /input "x" float32\[32768, 65536\] × 64/, /512 GiB/, /memory free/);
    const staticJob = await quantize(hugeInput, { options: { mode: 'int8-static' }, evaluationSamples: 64 });
    expectRefusal(staticJob, 'MODEL_TOO_LARGE', /input "x" float32\[32768, 65536\] × 65 samples/);
  });

  it('[1e12, 4] is MODEL_TOO_LARGE naming the input, never "Invalid typed array length"', async () => {
    expectRefusal(await quantize(trillion), 'MODEL_TOO_LARGE', /input "x" float32\[1000000000000, 4\]/);
  });

  it('a zero stride is MODEL_INVALID naming the node', async () => {
    expectRefusal(await quantize(zeroStride), 'MODEL_INVALID', /Conv "conv1" has strides \[0, 0\]/);
  });

  it.each(ESCAPES)('external data at %s is MODEL_INVALID before onnxruntime sees the model', async (location) => {
    expectRefusal(await quantize(escapes[location] as string), 'MODEL_INVALID', /"W"|weights\.bin/);
  });
});

describe('benchmarks', () => {
  it('[1e12, 4] is MODEL_TOO_LARGE, never "Invalid typed array length"', async () => {
    const outcome = await benchRefusal(trillion);
    expectRefusal(outcome, 'MODEL_TOO_LARGE', /float32\[1000000000000, 4\]/);
    expect(outcome.error?.message).toContain('input "x"');
  });

  it('8 GiB inputs × 64 requests in flight are refused before the run starts', async () => {
    const outcome = await benchRefusal(hugeInput, { concurrency: [64] });
    expectRefusal(outcome, 'MODEL_TOO_LARGE', /input "x" float32\[32768, 65536\] × 64 requests in flight/);
  });

  it('a zero stride is MODEL_INVALID naming the node', async () => {
    expectRefusal(await benchRefusal(zeroStride), 'MODEL_INVALID', /Conv "conv1"/);
  });

  it.each(ESCAPES)('external data at %s is MODEL_INVALID', async (location) => {
    expectRefusal(await benchRefusal(escapes[location] as string), 'MODEL_INVALID', /"W"|weights\.bin/);
  });
});
