/**
 * Faults replayed against real worker processes and a real file system: a worker frozen with
 * SIGSTOP, an inference that never returns (a test hook blocks the thread inside session.run)
 * and a disk that fills up during a run (a tmpfs of a few MiB, filled by this test). Each must
 * end in a typed error within seconds, keeping what was measured, and the run must go on or
 * stop as the user would want. Timed assertions here only catch hangs (the old path took
 * max-time + 130 s); the detection times are printed figures.
 */
import { sha256File } from '../../src/core/store/files';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchRunner, type RunnerContext } from '../../src/core/bench/runner';
import type { WorkerExitEvent } from '../../src/core/worker-host/supervisor';
import { detectHardware } from '../../src/core/hardware';
import { inspectModel } from '../../src/core/onnx/inspect';
import { parseRunDocument, RunStore } from '../../src/core/store/runs';
import { buildProbeModel, ensureSample } from '../../src/core/zoo';
import type { EventName } from '../../src/shared/contract';
import type { HardwareProfile } from '../../src/shared/domain/hardware';
import type { BenchPlanInput } from '../../src/shared/domain/plan';
import type { BenchProgressEvent, ConfigResult, RunDocument } from '../../src/shared/domain/run';
import { InferscopeError, type ErrorInfo } from '../../src/shared/errors';
import { outcome, scratchDir, startSupervisor, type TestSupervisor } from '../support/worker';

/** Short, so the tests are quick; the product's default is 10 s. */
const STALL_MS = 2_000;

const scratch = scratchDir();
let s: TestSupervisor;
let modelPath: string;
let hardware: HardwareProfile;

beforeAll(async () => {
  s = await startSupervisor(scratch.dir, { stallTimeoutMs: STALL_MS });
  modelPath = await ensureSample('mnist-cnn', path.join(scratch.dir, 'samples'));
  // The CPU provider, probed for real in the worker under test.
  hardware = await detectHardware({
    backends: [{ name: 'cpu', bundled: true }],
    probeProviders: async (candidates) => {
      const results = [];
      for (const candidate of candidates) {
        const probe = await s.supervisor.request({ type: 'probe', ep: candidate.name, modelBytes: buildProbeModel() });
        results.push({ name: candidate.name, ok: probe.ok, probeMs: probe.ok ? probe.ms : 0, detail: probe.ok ? 'probed' : probe.message });
      }
      return results;
    },
  });
});

afterAll(async () => {
  await s?.supervisor.dispose();
  scratch.remove();
});

interface Recorded {
  event: EventName;
  payload: unknown;
  at: number;
}

function runnerFor(runsDir: string): { runner: BenchRunner; store: RunStore } {
  const store: RunStore = new RunStore(runsDir, (id) => runner.isActive(id));
  const runner: BenchRunner = new BenchRunner({
    supervisor: s.supervisor,
    store,
    resolveModel: async () => ({ path: modelPath, sample: 'mnist-cnn' }),
    inspect: (file, dims) => inspectModel(file, { dims }),
    profile: async (file) => ({ sha256: await sha256File(file), profile: null }),
    hardware: async () => hardware,
    variant: () => Promise.reject(new InferscopeError('PLAN_INVALID', 'These tests measure no variants.')),
    environment: {
      host: 'cli',
      app: { version: 'test' },
      versions: { node: process.versions.node, onnxruntime: '1.30.0', electron: null, chromium: null },
    },
  });
  return { runner, store };
}

/** Runs a plan to its end; `onEvent` sees every event as it is emitted. */
async function runToEnd(
  runner: BenchRunner,
  plan: BenchPlanInput,
  onEvent: (recorded: Recorded) => void = () => {},
): Promise<{ doc: RunDocument; events: Recorded[] }> {
  const events: Recorded[] = [];
  const context: RunnerContext = {
    emit: (event, payload) => {
      const recorded = { event, payload, at: Date.now() };
      events.push(recorded);
      onEvent(recorded);
    },
  };
  const started = await runner.start(plan, context);
  const doc = await runner.wait(started.id);
  if (!doc) throw new Error('the run was not active');
  return { doc, events };
}

/** The exit event of the worker process `pid`, once it has come. */
async function exitOf(pid: number | undefined): Promise<WorkerExitEvent> {
  for (;;) {
    const exit = s.exits.find((e) => e.pid === pid);
    if (exit) return exit;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function configEvent(events: Recorded[], configId: string): Recorded | undefined {
  return events.find((e) => e.event === 'bench.config' && (e.payload as { config: ConfigResult }).config.id === configId);
}

const model = { kind: 'sample', name: 'mnist-cnn' } as const;

describe('a frozen worker', () => {
  it('SIGSTOP mid-measurement: WORKER_STALLED within the stall timeout, its samples kept, the next configuration measured', async () => {
    const { runner } = runnerFor(path.join(scratch.dir, 'runs-stop'));
    let stopped: { pid: number; at: number } | undefined;
    const { doc, events } = await runToEnd(
      runner,
      // A CI target no run reaches: the first configuration measures for its whole max time.
      { model, eps: ['cpu'], batches: [1, 2], minTimeMs: 500, maxTimeMs: 5_000, warmupMaxMs: 300, minIterations: 10, ciTargetRel: 1e-5 },
      ({ event, payload }) => {
        const p = payload as BenchProgressEvent;
        const measuringFirst = event === 'bench.progress' && p.configIndex === 0 && p.phase === 'measure' && p.samplesMs.length > 0;
        if (stopped || !measuringFirst) return;
        const pid = s.supervisor.pid as number;
        process.kill(pid, 'SIGSTOP');
        stopped = { pid, at: Date.now() };
      },
    );
    expect(stopped).toBeDefined();
    const [first, second] = doc.configs;
    expect(first?.status).toBe('failed');
    expect(first?.error?.code).toBe('WORKER_STALLED');
    expect(first?.error?.message).toMatch(/no heartbeat/);
    expect(first?.samples.length).toBeGreaterThan(0);
    expect(first?.latencyMs).toBeNull();
    expect(second?.status).toBe('done');
    expect(second?.samples.length).toBeGreaterThanOrEqual(10);
    expect(doc.status).toBe('completed');

    const noticedMs = (configEvent(events, 'cpu/b1/t0/c1')?.at ?? Infinity) - (stopped?.at ?? 0);
    console.log(`SIGSTOP noticed after ${noticedMs} ms (stall timeout ${STALL_MS} ms; before: max time + 130 s)`);
    // Silence is counted from the last beat, at most one interval (400 ms here) before the stop.
    expect(noticedMs).toBeGreaterThan(STALL_MS - 1_000);
    expect(noticedMs).toBeLessThan(STALL_MS + 8_000);
    expect((await exitOf(stopped?.pid)).reason).toBe('stalled');
  });

  it('a probe request is held to the heartbeat too', async () => {
    await s.supervisor.start();
    const pid = s.supervisor.pid as number;
    process.kill(pid, 'SIGSTOP');
    const started = Date.now();
    expect(await outcome(s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes: buildProbeModel() }))).toBe('WORKER_STALLED');
    console.log(`A frozen worker failed its probe after ${Date.now() - started} ms`);
    expect((await exitOf(pid)).reason).toBe('stalled');
  });
});

describe('an inference that never returns', () => {
  it('WORKER_STALLED, the samples before it delivered, and the next request works', async () => {
    const received: number[] = [];
    let pid: number | undefined;
    let lastSampleAt = Date.now();
    const request = s.supervisor.request(
      {
        type: 'bench',
        config: {
          modelPath,
          ep: 'cpu',
          // Run 3001 blocks its thread for good; without warm-up, runs 2–3000 are samples.
          epOptions: { 'inferscope.testHangAfterRuns': 3000 },
          warmupMaxMs: 0,
          minIterations: 10,
          minTimeMs: 60_000,
          maxTimeMs: 60_000,
          profile: false,
        },
      },
      {
        onProgress: (p) => {
          pid ??= s.supervisor.pid;
          received.push(...p.recentSamplesMs);
          lastSampleAt = Date.now();
        },
      },
    );
    const error = (await request.catch((e: unknown) => e)) as InferscopeError;
    const noticedMs = Date.now() - lastSampleAt;
    expect(error).toBeInstanceOf(InferscopeError);
    expect(error.code).toBe('WORKER_STALLED');
    expect(error.message).toMatch(/One inference has run for/);
    expect(error.detail).toMatch(/blocking inside run 3001/);
    expect(received.length).toBeGreaterThan(1);
    expect(received.length).toBeLessThanOrEqual(2999);
    const slowest = Math.max(...received);
    const before = `${received.length} samples before it, slowest ${slowest.toFixed(2)} ms`;
    console.log(`Never-ending inference noticed ${noticedMs} ms after the last samples arrived (${before})`);
    expect(noticedMs).toBeLessThan(STALL_MS + 8_000);
    expect((await exitOf(pid)).reason).toBe('stalled');

    const next = await s.supervisor.request({
      type: 'bench',
      config: { modelPath, ep: 'cpu', warmupMaxMs: 0, minIterations: 5, minTimeMs: 0, maxTimeMs: 500, profile: false },
    });
    expect(next.samplesMs.length).toBeGreaterThanOrEqual(5);
  });
});

/** Mounts a tmpfs of `size` at `dir`; the reason it cannot, or null. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux') return 'tmpfs is Linux only';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

/** Writes zeros into `file` until the file system refuses: ENOSPC. */
function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (const size of [chunk.length, 4096, 512]) {
      for (;;) {
        try {
          written += writeSync(fd, chunk, 0, size);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('a disk that fills during a run', () => {
  const disk = path.join(scratch.dir, 'small-disk');
  let mounted = false;

  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', disk]);
  });

  it('stops with DISK_FULL naming the file, keeps the configurations saved before, and the saved document stays whole', async (ctx) => {
    mkdirSync(disk, { recursive: true });
    const refused = mountTmpfs(disk, '16m');
    if (refused) {
      console.warn(`Skipped the real full disk: ${refused}`);
      ctx.skip(refused);
    }
    mounted = true;
    const runsDir = path.join(disk, 'runs');
    const { runner, store } = runnerFor(runsDir);
    let filled = 0;
    const { doc, events } = await runToEnd(
      runner,
      { model, eps: ['cpu'], batches: [1, 2, 4], minTimeMs: 200, maxTimeMs: 1_000, warmupMaxMs: 300, minIterations: 10 },
      ({ event, payload }) => {
        // The first configuration is saved: now something else takes every free byte.
        const firstSaved = event === 'bench.config' && (payload as { config: ConfigResult }).config.id === 'cpu/b1/t0/c1';
        if (firstSaved) filled = fillDisk(path.join(disk, 'filler'));
      },
    );
    expect(filled).toBeGreaterThan(0);
    const file = path.join(runsDir, `${doc.id}.json`);

    // The run as this process knows it: what stopped it, what it measured.
    expect(doc.status).toBe('failed');
    expect(doc.error?.code).toBe('DISK_FULL');
    expect(doc.error?.message).toContain(file);
    expect(doc.error?.message).toMatch(/keeps the 1 measured configuration saved before/);
    expect(doc.configs.map((c) => c.status)).toEqual(['done', 'done', 'cancelled']);
    const finished = events.find((e) => e.event === 'bench.finished')?.payload as { status: string; error?: ErrorInfo };
    expect(finished).toMatchObject({ status: 'failed', error: { code: 'DISK_FULL' } });
    const configEvents = events.filter((e) => e.event === 'bench.config').map((e) => (e.payload as { config: ConfigResult }).config);
    expect(configEvents.map((c) => c.status)).toEqual(['done', 'done']);
    // The trace of the second configuration could not be kept: its placement is, without a trace file.
    expect(doc.configs[0]?.placement?.traceFile).toBe('cpu_b1_t0_c1.trace.json');
    expect(doc.configs[1]?.placement?.nodesByEp).toHaveProperty('CPUExecutionProvider');
    expect(doc.configs[1]?.placement?.traceFile).toBeNull();
    // This process still answers with the newest document, error included.
    expect((await store.get(doc.id)).error?.code).toBe('DISK_FULL');
    expect((await store.list()).find((r) => r.id === doc.id)).toMatchObject({ status: 'failed', done: 2 });

    // On disk: the last complete save, whole, with the first configuration and its samples.
    const saved = parseRunDocument(readFileSync(file, 'utf8'), file);
    expect(saved.configs.map((c) => c.status)).toEqual(['done', 'pending', 'pending']);
    expect(saved.configs[0]?.samples).toEqual(doc.configs[0]?.samples);
    expect(readdirSync(runsDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // Opened later by another process: interrupted, the measured configuration kept.
    const reopened = await new RunStore(runsDir).get(doc.id);
    expect(reopened.status).toBe('interrupted');
    expect(reopened.configs.map((c) => c.status)).toEqual(['done', 'cancelled', 'cancelled']);
  });
});
