import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Services } from '../../../../src/core/services';
import { RunDocumentSchema, type BenchProgressEvent, type RunDocument } from '../../../../src/shared/domain/run';
import type { BenchPlanInput } from '../../../../src/shared/domain/plan';
import type { EventPayload } from '../../../../src/shared/contract';
import { configCharts } from '../../../../src/shared/domain/config-charts';
import { CHART_POINTS_CAP } from '../../../../src/shared/stats/latency-series';
import { RunStore } from '../../../../src/core/store/runs';
import { InferscopeError } from '../../../../src/shared/errors';
import { scratchServices, type ScratchServices } from '../../../support/services';
import { buildModelBytes, GraphBuilder, type Dim } from '../../../../src/core/onnx/build';
import { detectorModel, flaggedModel, speechModel } from '../../../support/input-models';

// The worker honours its crash trigger only with test hooks on; it inherits this environment.
process.env.INFERSCOPE_TEST_HOOKS = '1';

let dir: string;
let services: Services;
const events: { event: string; payload: unknown }[] = [];
const context = { emit: (event: string, payload: unknown) => void events.push({ event, payload }) };

const quick = { minTimeMs: 200, maxTimeMs: 1500, warmupMaxMs: 500, minIterations: 10 } satisfies Partial<BenchPlanInput>;

/** The run as the contract gives it: the in-memory document of its last `bench.finished`, then as saved. */
async function finishedRun(runId: string): Promise<RunDocument> {
  const deadline = Date.now() + 120_000;
  while (!events.some((e) => e.event === 'bench.finished' && (e.payload as { runId: string }).runId === runId)) {
    if (Date.now() > deadline) throw new Error(`run ${runId} never finished`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return services.handlers['runs.get']({ id: runId }, context as never);
}

async function runToEnd(plan: BenchPlanInput): Promise<RunDocument> {
  const started = await services.handlers['bench.start']({ plan: plan as never }, context as never);
  return finishedRun(started.id);
}

let scratch: ScratchServices;

beforeAll(() => {
  scratch = scratchServices('runner');
  ({ dir, services } = scratch);
});

afterAll(() => scratch?.dispose());

describe('benchmark runner', () => {
  it('measures every configuration of a plan and saves a complete, versioned run document', async () => {
    events.length = 0;
    const doc = await runToEnd({ model: { kind: 'sample', name: 'mnist-cnn' }, eps: ['cpu'], batches: [1, 2], ...quick });
    expect(doc.status).toBe('completed');
    expect(doc.configs.map((c) => c.id)).toEqual(['cpu/b1/t0/c1', 'cpu/b2/t0/c1']);
    for (const c of doc.configs) {
      expect(c.status).toBe('done');
      expect(c.latencyMs?.count).toBe(c.samples.length);
      expect(c.samples.length).toBeGreaterThanOrEqual(10);
      expect(c.latencyMs!.ciLow).toBeLessThanOrEqual(c.latencyMs!.median);
      expect(c.latencyMs!.ciHigh).toBeGreaterThanOrEqual(c.latencyMs!.median);
      expect(c.throughput!.itemsPerSec).toBeCloseTo(c.throughput!.runsPerSec * c.batch, 6);
      expect(c.sessionCreateMs).toBeGreaterThan(0);
      expect(c.memory!.rssPeakBytes).toBeGreaterThanOrEqual(c.memory!.rssBeforeCreateBytes);
      expect(c.placement?.nodesByEp).toHaveProperty('CPUExecutionProvider');
      expect(c.placement?.fallbackNodes).toEqual([]);
    }
    expect(doc.configs[1]!.inputs[0]!.shape).toEqual([2, 1, 28, 28]);
    expect(doc.environment.hardware.cpu.logicalCores).toBeGreaterThan(0);
    expect(doc.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    // What is on disk is what the run reported, and it parses against the schema.
    const saved = await services.handlers['runs.get']({ id: doc.id }, context as never);
    expect(RunDocumentSchema.parse(saved)).toEqual(doc);
    // Live progress: events with samples, never more than ~20 per second.
    const progress = events.filter((e) => e.event === 'bench.progress').map((e) => e.payload as BenchProgressEvent);
    expect(progress.some((p) => p.phase === 'measure' && p.samplesMs.length > 0)).toBe(true);
    // A finished configuration's event: its results and the charts of its samples, not the samples themselves.
    const configEvents = events.filter((e) => e.event === 'bench.config').map((e) => e.payload as EventPayload<'bench.config'>);
    expect(configEvents).toHaveLength(2);
    for (const [i, { config, charts }] of configEvents.entries()) {
      const saved = doc.configs[i]!;
      expect(config).toEqual({ ...saved, samples: [] });
      expect(charts).toEqual(configCharts(saved));
      expect(charts!.histogram.total).toBe(saved.samples.length);
      expect(charts!.points.ms.length).toBeLessThanOrEqual(CHART_POINTS_CAP);
      expect(charts!.timeline.total).toBe(saved.samples.length);
    }
    expect(events.at(-1)?.event).toBe('bench.finished');
    // A run read without its samples: everything else as saved.
    const lean = await services.handlers['runs.get']({ id: doc.id, samples: false }, context as never);
    expect(lean).toEqual({ ...doc, configs: doc.configs.map((c) => ({ ...c, samples: [] })) });
    // The profiled pass's trace is downloadable as chrome://tracing JSON.
    const trace = await services.handlers['runs.trace']({ id: doc.id, configId: 'cpu/b1/t0/c1' }, context as never);
    const parsed = JSON.parse(trace.text) as unknown[];
    expect(Array.isArray(parsed) && parsed.some((e) => (e as { cat?: string }).cat === 'Node')).toBe(true);
    const listed = await services.handlers['runs.list']({}, context as never);
    expect(listed.find((r) => r.id === doc.id)?.done).toBe(2);
  });

  it('keeps earlier results when the worker crashes mid-plan, and the next run works', async () => {
    const doc = await runToEnd({
      model: { kind: 'sample', name: 'mnist-cnn' },
      eps: ['cpu', 'webgpu'],
      epOptions: { webgpu: { 'inferscope.testCrash': 'exit' } },
      ...quick,
    });
    const [cpu, webgpu] = doc.configs;
    expect(cpu?.status).toBe('done');
    expect(cpu?.latencyMs?.median).toBeGreaterThan(0);
    expect(webgpu?.status).toBe('failed');
    expect(webgpu?.error?.code).toBe('WORKER_CRASHED');
    expect(webgpu?.error?.message).toMatch(/71/);
    const saved = await services.handlers['runs.get']({ id: doc.id }, context as never);
    expect(saved.configs[0]?.samples.length).toBe(cpu?.samples.length);
    const next = await runToEnd({ model: { kind: 'sample', name: 'mlp' }, eps: ['cpu'], ...quick });
    expect(next.configs[0]?.status).toBe('done');
  });

  it('cancels a running plan within a second, keeping what it finished', async () => {
    events.length = 0;
    const started = await services.handlers['bench.start'](
      {
        plan: {
          model: { kind: 'sample', name: 'mlp' },
          eps: ['cpu'],
          batches: [1, 4],
          minTimeMs: 200,
          maxTimeMs: 1500,
          warmupMaxMs: 300,
          minIterations: 10,
          ciTargetRel: 0.0001,
        } as never,
      },
      context as never,
    );
    // Wait for the second configuration to be measuring, then cancel.
    const deadline = Date.now() + 30_000;
    while (
      !events.some(
        (e) =>
          e.event === 'bench.progress' &&
          (e.payload as BenchProgressEvent).configIndex === 1 &&
          (e.payload as BenchProgressEvent).phase === 'measure',
      )
    ) {
      if (Date.now() > deadline) throw new Error('the second configuration never started measuring');
      await new Promise((r) => setTimeout(r, 20));
    }
    const cancelledAt = Date.now();
    expect((await services.handlers['bench.cancel']({ runId: started.id }, context as never)).cancelled).toBe(true);
    const doc = await finishedRun(started.id);
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(doc?.status).toBe('cancelled');
    expect(doc?.configs[0]?.status).toBe('done');
    expect(doc?.configs[1]?.status).toBe('cancelled');
    const saved = await services.handlers['runs.get']({ id: started.id }, context as never);
    expect(saved.status).toBe('cancelled');
  });

  it('feeds the user’s own .npy tensors and refuses a corrupt inputs file with INPUT_INVALID', async () => {
    const inputs = path.join(dir, 'inputs');
    mkdirSync(inputs);
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const npy = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from('NUMPY'),
      Buffer.from([1, 0]),
      Buffer.from([padded.length & 0xff, padded.length >> 8]),
      Buffer.from(padded, 'latin1'),
      Buffer.from(new Float32Array(784).fill(0.5).buffer),
    ]);
    writeFileSync(path.join(inputs, 'input.npy'), npy);
    const doc = await runToEnd({ model: { kind: 'sample', name: 'mnist-cnn' }, eps: ['cpu'], inputs: { dir: inputs }, ...quick });
    expect(doc.configs[0]?.inputs[0]?.source).toBe('user');

    const broken = path.join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'input.npy'), npy.subarray(0, 200));
    const attempt = services.handlers['bench.start'](
      { plan: { model: { kind: 'sample', name: 'mnist-cnn' }, eps: ['cpu'], inputs: { dir: broken } } as never },
      context as never,
    );
    await expect(attempt).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('refuses batch sizes a model with its batch axis fixed at 1 cannot take, and counts items from the batch fed', async () => {
    /** x[shape] · W[16×16], as a model file of its own. */
    const model = (name: string, shape: Dim[]): string => {
      const g = new GraphBuilder(name);
      const x = g.input('x', 'float32', shape);
      const weights = Float32Array.from({ length: 256 }, (_, i) => ((i % 7) - 3) / 8);
      g.output(g.op('MatMul', [x, g.initializer('W', weights, [16, 16])]), 'float32', [shape[0] ?? 1, 16]);
      const file = path.join(dir, `${name}.onnx`);
      writeFileSync(file, buildModelBytes(g));
      return file;
    };
    const fixed = model('fixed-batch', [1, 16]);
    const refused = services.handlers['bench.start'](
      { plan: { model: { kind: 'path', path: fixed }, eps: ['cpu'], batches: [1, 4], ...quick } as never },
      context as never,
    );
    await expect(refused).rejects.toMatchObject({
      code: 'BATCH_UNSUPPORTED',
      message: expect.stringContaining("input 'x' [1, 16] has its first axis fixed at 1: this model takes batch 1 only"),
    });
    const one = await runToEnd({ model: { kind: 'path', path: fixed }, eps: ['cpu'], batches: [1], profile: false, ...quick });
    expect(one.configs[0]?.inputs).toEqual([{ name: 'x', type: 'float32', shape: [1, 16], source: 'random', batchAxis: false }]);
    expect(one.configs[0]?.throughput?.itemsPerSec).toBeCloseTo(one.configs[0]!.throughput!.runsPerSec, 6);

    const dynamic = model('dynamic-batch', ['N', 16]);
    const doc = await runToEnd({ model: { kind: 'path', path: dynamic }, eps: ['cpu'], batches: [4], profile: false, ...quick });
    const c = doc.configs[0]!;
    expect(c.status).toBe('done');
    expect(c.inputs[0]).toMatchObject({ shape: [4, 16], batchAxis: true });
    expect(c.throughput!.runsPerSec).toBeCloseTo((c.samples.length / c.measureMs!) * 1000, 6);
    expect(c.throughput!.itemsPerSec).toBeCloseTo(4 * c.throughput!.runsPerSec, 6);
  });

  it('feeds a sample rate and a state their stated defaults, and refuses an unexplained integer scalar (INPUT_REQUIRED)', async () => {
    const speech = await runToEnd({ model: { kind: 'path', path: speechModel(dir) }, eps: ['cpu'], profile: false, ...quick });
    const fed = speech.configs[0]!;
    expect(fed.status).toBe('done');
    expect(fed.inputs).toEqual([
      { name: 'x', type: 'float32', shape: [1, 16], source: 'random', batchAxis: true },
      { name: 'sr', type: 'int64', shape: [], source: 'number', value: '16000 (speech models take 16 kHz)', batchAxis: false },
      {
        name: 'state',
        type: 'float32',
        shape: [1, 16],
        source: 'zeros',
        value: 'zeros (a recurrent state starts at zero)',
        batchAxis: false,
      },
    ]);
    const flagged = flaggedModel(dir);
    const refused = services.handlers['bench.start'](
      { plan: { model: { kind: 'path', path: flagged }, eps: ['cpu'] } as never },
      context as never,
    );
    await expect(refused).rejects.toMatchObject({ code: 'INPUT_REQUIRED', message: expect.stringContaining('the input value “flag”') });
    const given = await runToEnd({
      model: { kind: 'path', path: flagged },
      eps: ['cpu'],
      inputs: { values: { flag: { kind: 'number', value: 2 } } },
      profile: false,
      ...quick,
    });
    expect(given.configs[0]?.inputs[1]).toMatchObject({ name: 'flag', shape: [], source: 'number', value: '2' });
  });

  it('refuses [N,3,H,W] with H and W unset (DIMS_REQUIRED), and feeds [1,3,32,32] once they are set', async () => {
    const detector = detectorModel(dir);
    const refused = services.handlers['bench.start'](
      { plan: { model: { kind: 'path', path: detector }, eps: ['cpu'] } as never },
      context as never,
    );
    await expect(refused).rejects.toMatchObject({
      code: 'DIMS_REQUIRED',
      message: expect.stringMatching(/"H".*"W".*the size “H” and the size “W”/),
    });
    const doc = await runToEnd({ model: { kind: 'path', path: detector }, eps: ['cpu'], dims: { H: 32, W: 32 }, profile: false, ...quick });
    expect(doc.configs[0]?.status).toBe('done');
    expect(doc.configs[0]?.inputs[0]).toMatchObject({ name: 'images', shape: [1, 3, 32, 32], source: 'random' });
  });

  it('marks a run left "running" by a process that is gone as interrupted, keeping its finished configurations', async () => {
    const store = new RunStore(path.join(dir, 'runs'));
    const list = await store.list();
    const done = await store.get(list.find((r) => r.status === 'completed')!.id);
    const orphan = {
      ...done,
      id: 'orphan-run',
      status: 'running' as const,
      configs: [done.configs[0]!, { ...done.configs[0]!, id: 'cpu/b9/t0/c1', status: 'running' as const }],
    };
    await store.save(orphan);
    const reopened = await store.get('orphan-run');
    expect(reopened.status).toBe('interrupted');
    expect(reopened.configs[0]?.status).toBe('done');
    expect(reopened.configs[1]?.status).toBe('cancelled');
    await expect(store.get('no-such-run')).rejects.toBeInstanceOf(InferscopeError);
  });
});

describe('capacity sweep', () => {
  it('doubles the requests in flight until throughput stops growing, per setup', async () => {
    const doc = await runToEnd({
      model: { kind: 'sample', name: 'mlp' },
      eps: ['cpu'],
      threads: [1],
      sweep: { percentile: 'p95', targetMs: null, minGain: 0.05, maxConcurrency: 8 },
      ...quick,
    });
    const levels = doc.configs.map((c) => c.concurrency);
    expect(levels[0]).toBe(1);
    expect(levels.length).toBeGreaterThanOrEqual(2);
    // 1, 2, 4, … in order, each level twice the one before, never above the cap.
    levels.forEach((c, i) => expect(c).toBe(2 ** i));
    expect(Math.max(...levels)).toBeLessThanOrEqual(8);
    expect(doc.configs.every((c) => c.status === 'done')).toBe(true);
    // It stopped for a reason the measurements show: saturation (or the cap).
    const last = doc.configs.at(-1)!;
    const before = doc.configs.at(-2)!;
    if (last.concurrency < 8) expect(last.throughput!.runsPerSec).toBeLessThan(before.throughput!.runsPerSec * 1.05);
  });

  it('stops the sweep once the latency percentile breaks the target', async () => {
    const doc = await runToEnd({
      model: { kind: 'sample', name: 'mlp' },
      eps: ['cpu'],
      threads: [1],
      // Any real latency breaks a 1 ns target: only concurrency 1 is measured.
      sweep: { percentile: 'p95', targetMs: 0.000001, minGain: 0, maxConcurrency: 8 },
      ...quick,
    });
    expect(doc.configs.map((c) => c.concurrency)).toEqual([1]);
  });

  it('measures WebGPU one request at a time: higher levels are not planned, the run says why, and its sweep stops at 1', async () => {
    const fixed = await runToEnd({
      model: { kind: 'sample', name: 'mnist-cnn' },
      eps: ['cpu', 'webgpu'],
      concurrency: [1, 2],
      profile: false,
      ...quick,
    });
    const byId = new Map(fixed.configs.map((c) => [c.id, c]));
    expect(byId.get('webgpu/b1/t0/c1')?.status).toBe('done');
    expect(byId.get('cpu/b1/t0/c2')?.status).toBe('done');
    // Not planned at all (nothing to skip later), and the run names the level left out and why.
    expect(byId.has('webgpu/b1/t0/c2')).toBe(false);
    expect(fixed.warnings).toContainEqual(
      expect.objectContaining({ code: 'sweep-limited', message: expect.stringMatching(/one request at a time.*Not planned: 2 requests/) }),
    );
    expect(fixed.status).toBe('completed');

    const swept = await runToEnd({
      model: { kind: 'sample', name: 'mnist-cnn' },
      eps: ['webgpu'],
      sweep: { percentile: 'p95', targetMs: null, minGain: 0, maxConcurrency: 8 },
      profile: false,
      ...quick,
    });
    expect(swept.configs.map((c) => [c.id, c.status])).toEqual([['webgpu/b1/t0/c1', 'done']]);
    expect(swept.warnings).toContainEqual(expect.objectContaining({ code: 'sweep-limited', configId: 'webgpu/b1/t0/c1' }));
  });
});
