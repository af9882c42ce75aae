/**
 * The measuring loop in the real worker (docs/measurement.md#one-configuration-step-by-step) on real sessions.
 * Short time limits keep the file fast; the stop rules are checked, not the numbers.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleBytes } from '../../../src/core/zoo';
import type { BenchConfigInput, BenchMeasurement, BenchProgress } from '../../../src/core/bench/measurement';
import type { RequestOptions } from '../../../src/core/worker-host/supervisor';
import type { InferscopeError } from '../../../src/shared/errors';
import { ensureWorkerBuilt } from '../../support/build';
import { outcome, scratchDir, startSupervisor, SWIFTSHADER_ICD, type TestSupervisor } from '../../support/worker';
import { detModel } from '../../support/models';

const scratch = scratchDir();
let s: TestSupervisor;
let mlpPath: string;
let detPath: string;

/** Quick limits: enough samples for the rules to act, little wall time. */
const QUICK = { minIterations: 20, minTimeMs: 100, maxTimeMs: 1_500, warmupMaxMs: 500, profileRuns: 3 } as const;

function bench(config: Partial<BenchConfigInput>, options: RequestOptions<'bench'> = {}): Promise<BenchMeasurement> {
  return s.supervisor.request({ type: 'bench', config: { modelPath: mlpPath, ep: 'cpu', threads: 1, ...QUICK, ...config } }, options);
}

beforeAll(async () => {
  await ensureWorkerBuilt();
  mlpPath = path.join(scratch.dir, 'mlp.onnx');
  writeFileSync(mlpPath, buildSampleBytes('mlp'));
  detPath = path.join(scratch.dir, 'matmul-det.onnx');
  writeFileSync(detPath, detModel(true));
  s = await startSupervisor(scratch.dir, { env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD } });
});

afterAll(async () => {
  await s.supervisor.dispose();
  scratch.remove();
});

describe('bench on the CPU EP', () => {
  it('runs every step and keeps every sample', async () => {
    const progress: Array<BenchProgress & { at: number }> = [];
    const started = performance.now();
    const r = await bench({}, { onProgress: (p) => progress.push({ ...p, at: performance.now() }) });
    const wallMs = performance.now() - started;

    expect(r.provider).toBe('CPUExecutionProvider');
    expect(r.inputs).toEqual([{ name: 'features', type: 'float32', shape: [1, 256], source: 'random', batchAxis: true }]);
    expect(r.outputs).toEqual(['logits']);
    expect(r.modelBytes).toBeGreaterThan(1_000_000);
    for (const ms of [r.loadMs, r.sessionCreateMs, r.firstRunMs]) expect(ms).toBeGreaterThan(0);
    expect(r.warmup.iterations).toBeGreaterThan(0);

    expect(r.samplesMs).toHaveLength(r.stats.count);
    expect(r.samplesPerThread).toEqual([r.samplesMs.length]);
    expect(r.samplesMs.length).toBeGreaterThanOrEqual(QUICK.minIterations);
    expect(r.measureMs).toBeGreaterThanOrEqual(QUICK.minTimeMs);
    // Every sample lies within the measuring window; together they cannot exceed it.
    expect(r.samplesMs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(r.measureMs);
    if (r.stopReason === 'ci-reached') expect(r.stats.ciHalfWidthRel).toBeLessThanOrEqual(0.01 * 1.5);
    expect(r.throughput.runsPerSec).toBeCloseTo((r.samplesMs.length / r.measureMs) * 1000, 6);

    expect(r.resources.rssAfterCreateBytes).toBeGreaterThan(0);
    expect(r.resources.rssPeakBytes).toBeGreaterThanOrEqual(r.resources.rssAfterCreateBytes);
    expect(r.resources.cpuUserMs).toBeGreaterThan(0);
    expect(r.resources.avgCoresBusy).toBeGreaterThan(0.3);

    expect(r.placement?.byProvider.map((p) => p.provider)).toEqual(['CPUExecutionProvider']);
    expect(r.placement?.fallbackNodes).toEqual([]);
    expect(r.placement?.runs).toBe(QUICK.profileRuns);
    expect(r.placementError).toBeNull();

    const phases = progress.map((p) => p.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(['load', 'session-create', 'first-run', 'warmup', 'measure', 'profile']);
    // ≤ 20 per second from the loop, plus one message per phase change.
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(wallMs / 50) + 6);
  });

  it('stops at the maximum time when the CI target cannot be reached, and reports the CI it got', async () => {
    const r = await bench({ ciTargetRel: 1e-9, minTimeMs: 0, maxTimeMs: 250, warmupMaxMs: 0, profile: false });
    expect(r.stopReason).toBe('max-time');
    expect(r.measureMs).toBeGreaterThanOrEqual(250);
    // One run past the limit at most: generous, so a busy machine's stall cannot fail it.
    expect(r.measureMs).toBeLessThan(1000);
    expect(r.stats.ciHalfWidthRel).toBeGreaterThan(0);
    expect(r.warmup).toMatchObject({ iterations: 0, stable: false });
    expect(r.placement).toBeNull();
  });

  it('stops at maxIterations', async () => {
    const r = await bench({ maxIterations: 37, minIterations: 10, minTimeMs: 0, ciTargetRel: 1e-9, profile: false });
    expect(r.stopReason).toBe('max-iterations');
    expect(r.samplesMs).toHaveLength(37);
  });

  it('sets the batch dimension and counts items per second', async () => {
    const r = await bench({ batch: 4, profile: false, maxTimeMs: 500 });
    expect(r.inputs[0]?.shape).toEqual([4, 256]);
    expect(r.throughput.itemsPerSec).toBeCloseTo(r.throughput.runsPerSec * 4, 6);
  });

  it('passes the graph optimization level to ONNX Runtime (fusions appear only when optimizing)', async () => {
    const opsAt = async (graphOptimizationLevel: 'disabled' | 'all'): Promise<string[]> => {
      const r = await bench({ graphOptimizationLevel, maxTimeMs: 200, minTimeMs: 0, warmupMaxMs: 0 });
      return (r.placement?.nodes ?? []).map((n) => n.op);
    };
    expect(await opsAt('all')).toContain('FusedGemm');
    const unoptimized = await opsAt('disabled');
    expect(unoptimized).not.toContain('FusedGemm');
    expect(unoptimized).toContain('Relu');
  });

  it('feeds the user’s own tensors and refuses ones of the wrong size', async () => {
    const data = new Uint8Array(new Float32Array(2 * 256).fill(0.5).buffer);
    const r = await bench({
      profile: false,
      maxTimeMs: 300,
      inputs: { tensors: [{ name: 'features', type: 'float32', dims: [2, 256], data }] },
    });
    expect(r.inputs).toEqual([{ name: 'features', type: 'float32', shape: [2, 256], source: 'user', batchAxis: true }]);
    // Items per second count the batch fed (the tensor's 2), not the configuration's batch of 1.
    expect(r.throughput.itemsPerSec).toBeCloseTo(r.throughput.runsPerSec * 2, 6);
    const wrong = await outcome(bench({ inputs: { tensors: [{ name: 'features', type: 'float32', dims: [3, 256], data }] } }));
    expect(wrong).toBe('INPUT_INVALID');
  });

  it('measures N concurrent requests on N sessions', async () => {
    const r = await bench({ concurrency: 2, profile: false, maxTimeMs: 800 });
    expect(r.samplesPerThread).toHaveLength(2);
    expect(r.samplesPerThread.reduce((a, b) => a + b, 0)).toBe(r.samplesMs.length);
    for (const n of r.samplesPerThread) expect(n).toBeGreaterThan(0);
    expect(r.throughput.runsPerSec).toBeCloseTo((r.samplesMs.length / r.measureMs) * 1000, 6);
  });

  it('answers typed errors for a missing model, an unknown EP and a malformed config', async () => {
    expect(await outcome(bench({ modelPath: path.join(scratch.dir, 'nothing.onnx') }))).toBe('MODEL_NOT_FOUND');
    expect(await outcome(bench({ ep: 'nope' }))).toBe('EP_UNAVAILABLE');
    expect(await outcome(bench({ minTimeMs: 2_000, maxTimeMs: 1_000 }))).toBe('BAD_REQUEST');
  });

  it('cancels between runs without killing the worker', async () => {
    const pid = s.supervisor.pid;
    const controller = new AbortController();
    const running = bench(
      { ciTargetRel: 1e-9, maxTimeMs: 20_000, profile: false },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'measure') controller.abort();
        },
      },
    );
    const error = (await running.catch((e: unknown) => e)) as InferscopeError;
    expect(error.code).toBe('CANCELLED');
    // The worker acknowledges, so the next request runs on the same process.
    const next = await bench({ profile: false, maxTimeMs: 200, minTimeMs: 0 });
    expect(next.samplesMs.length).toBeGreaterThan(0);
    expect(s.supervisor.pid).toBe(pid);
  });
});

describe.skipIf(!existsSync(SWIFTSHADER_ICD))('bench on the WebGPU EP (SwiftShader)', () => {
  it('reports which nodes ran on WebGPU and which fell back to the CPU', async () => {
    const r = await bench({ modelPath: detPath, ep: 'webgpu', threads: 0, maxTimeMs: 600, minTimeMs: 50, warmupMaxMs: 200 });
    expect(r.provider).toBe('WebGpuExecutionProvider');
    expect(r.placement?.fallbackNodes).toEqual([{ node: 'Det', op: 'Det', provider: 'CPUExecutionProvider' }]);
    const providers = r.placement?.byProvider.map((p) => p.provider).sort();
    expect(providers).toEqual(['CPUExecutionProvider', 'WebGpuExecutionProvider']);
  });

  it('refuses concurrency above 1 in one process', async () => {
    expect(await outcome(bench({ modelPath: detPath, ep: 'webgpu', concurrency: 2 }))).toBe('NOT_SUPPORTED');
  });
});
