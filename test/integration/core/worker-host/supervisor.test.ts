/**
 * The worker and its supervisor, for real: real processes, real onnxruntime-node
 * sessions, failures provoked inside the real worker through its test hooks.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbeModel } from '../../../../src/core/zoo/probe';
import { CANCEL_GRACE_MS, type WorkerSupervisor } from '../../../../src/core/worker-host/supervisor';
import type { ProbeResult } from '../../../../src/core/worker-host/protocol';
import { InferscopeError } from '../../../../src/shared/errors';
import { ensureWorkerBuilt } from '../../../support/build';
import { detModel, reshapeFailsAtRun } from '../../../support/models';
import { isAlive, outcome, scratchDir, startSupervisor, SWIFTSHADER_ICD, type TestSupervisor } from '../../../support/worker';

const scratch = scratchDir();
const modelBytes = buildProbeModel();
const supervisors: WorkerSupervisor[] = [];

async function supervised(options: Parameters<typeof startSupervisor>[1] = {}): Promise<TestSupervisor> {
  const s = await startSupervisor(scratch.dir, options);
  supervisors.push(s.supervisor);
  return s;
}

function expectOk(result: ProbeResult): Extract<ProbeResult, { ok: true }> {
  if (!result.ok) throw new Error(`probe failed: ${result.code} ${result.message}`);
  return result;
}

beforeAll(async () => {
  await ensureWorkerBuilt();
});

afterAll(async () => {
  await Promise.all(supervisors.map((s) => s.dispose()));
  scratch.remove();
});

describe('handshake and probes', () => {
  let s: TestSupervisor;
  beforeAll(async () => {
    s = await supervised({ env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD } });
  });

  it('answers the handshake with its versions and execution providers', async () => {
    const ready = await s.supervisor.start();
    expect(ready.versions.node).toBe(process.versions.node);
    expect(ready.versions.onnxruntime).toBe('1.30.0');
    expect(ready.transport).toBe('node-fork');
    expect(ready.backends.map((b) => b.name)).toEqual(expect.arrayContaining(['cpu', 'webgpu']));
    expect(ready.pid).toBe(s.supervisor.pid);
    expect(ready.pid).not.toBe(process.pid);
  });

  it('probes the CPU execution provider', async () => {
    const result = expectOk(await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
    expect(result.detail.provider).toBe('CPUExecutionProvider');
    expect(result.detail.nodesOnEp).toBe(result.detail.nodes);
    expect(result.detail.fallbackNodes).toEqual([]);
    expect(result.ms).toBeGreaterThan(0);
    expect(result.ms).toBeGreaterThanOrEqual(result.detail.sessionCreateMs + result.detail.firstRunMs);
  });

  it('accepts the model as base64 (JSON transports)', async () => {
    const result = await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes: Buffer.from(modelBytes).toString('base64') });
    expect(result.ok).toBe(true);
  });

  it.skipIf(!existsSync(SWIFTSHADER_ICD))('probes the WebGPU execution provider on SwiftShader and sees nodes placed on it', async () => {
    const result = expectOk(await s.supervisor.request({ type: 'probe', ep: 'webgpu', modelBytes }));
    expect(result.detail.provider).toBe('WebGpuExecutionProvider');
    expect(result.detail.nodesOnEp).toBeGreaterThan(0);
  });

  it('answers EP_UNAVAILABLE for an execution provider this build does not have', async () => {
    const result = await s.supervisor.request({ type: 'probe', ep: 'nope', modelBytes });
    expect(result).toMatchObject({ ok: false, code: 'EP_UNAVAILABLE' });
  });

  it('answers EP_UNAVAILABLE when a known provider cannot start (CUDA libraries not installed here)', async () => {
    const result = await s.supervisor.request({ type: 'probe', ep: 'cuda', modelBytes });
    expect(result).toMatchObject({ ok: false, code: 'EP_UNAVAILABLE' });
  });

  it('answers EP_FAILED when the provider starts but cannot run the model, and keeps the worker', async () => {
    const pid = s.supervisor.pid;
    const result = await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes: reshapeFailsAtRun() });
    expect(result).toMatchObject({ ok: false, code: 'EP_FAILED' });
    expect(s.supervisor.pid).toBe(pid);
    expect(s.exits).toEqual([]);
  });

  it.skipIf(!existsSync(SWIFTSHADER_ICD))('answers EP_FAILED when ONNX Runtime accepts WebGPU but runs every node on the CPU', async () => {
    const result = await s.supervisor.request({ type: 'probe', ep: 'webgpu', modelBytes: detModel(false) });
    expect(result).toMatchObject({ ok: false, code: 'EP_FAILED' });
    if (!result.ok) expect(result.message).toContain('CPUExecutionProvider');
  });

  it.skipIf(!existsSync(SWIFTSHADER_ICD))('names the nodes that fell back to the CPU', async () => {
    const result = expectOk(await s.supervisor.request({ type: 'probe', ep: 'webgpu', modelBytes: detModel(true) }));
    expect(result.detail.fallbackNodes).toEqual([{ node: 'Det', op: 'Det', provider: 'CPUExecutionProvider' }]);
    expect(result.detail.nodesOnEp).toBeGreaterThan(0);
  });

  it('refuses a malformed request with BAD_REQUEST before it reaches the worker', async () => {
    const error = await s.supervisor.request({ type: 'probe', ep: '', modelBytes } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferscopeError);
    expect((error as InferscopeError).code).toBe('BAD_REQUEST');
  });
});

describe('failures', () => {
  it(
    'reports a worker that exits mid-request as WORKER_CRASHED with its exit code and stderr, then serves the next request ' +
      'from a fresh worker',
    async () => {
      const s = await supervised();
      const first = (await s.supervisor.start()).pid;
      const error = (await s.supervisor.request({ type: 'crash-for-test', how: 'exit' }).catch((e: unknown) => e)) as InferscopeError;
      expect(error.code).toBe('WORKER_CRASHED');
      expect(error.message).toContain('exit code 71');
      expect(error.detail).toContain('exiting with code 71');
      const exit = await s.nextExit();
      expect(exit).toMatchObject({ reason: 'abnormal-exit', code: 71, signal: null, pid: first });

      expectOk(await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
      expect(s.supervisor.pid).toBeDefined();
      expect(s.supervisor.pid).not.toBe(first);
    },
  );

  it('reports an abort (SIGABRT) as WORKER_CRASHED naming the signal', async () => {
    const s = await supervised();
    const error = (await s.supervisor.request({ type: 'crash-for-test', how: 'abort' }).catch((e: unknown) => e)) as InferscopeError;
    expect(error.code).toBe('WORKER_CRASHED');
    expect(error.message).toContain('SIGABRT');
    expect((await s.nextExit()).reason).toBe('crashed');
  });

  it('kills a hung worker at the request timeout (WORKER_TIMEOUT) and the next request works', async () => {
    const s = await supervised();
    const hung = (await s.supervisor.start()).pid;
    const started = performance.now();
    const code = await outcome(s.supervisor.request({ type: 'crash-for-test', how: 'hang' }, { timeoutMs: 300 }));
    expect(code).toBe('WORKER_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((await s.nextExit()).reason).toBe('timeout');
    expect(isAlive(hung)).toBe(false);

    expectOk(await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
    expect(s.supervisor.pid).not.toBe(hung);
  });

  it('cancels a hung request within 1 s: CANCELLED at once, the worker killed within the grace period', async () => {
    const s = await supervised();
    const hung = (await s.supervisor.start()).pid;
    const controller = new AbortController();
    const request = s.supervisor.request({ type: 'crash-for-test', how: 'hang' }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    const cancelledAt = performance.now();
    controller.abort();
    expect(await outcome(request)).toBe('CANCELLED');
    const settledMs = performance.now() - cancelledAt;
    const exit = await s.nextExit();
    const killedMs = performance.now() - cancelledAt;
    expect(exit.reason).toBe('cancelled');
    expect(settledMs).toBeLessThan(1_000);
    expect(killedMs).toBeLessThan(1_000);
    expect(killedMs).toBeGreaterThanOrEqual(CANCEL_GRACE_MS - 50);

    expectOk(await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
    expect(s.supervisor.pid).not.toBe(hung);
  });

  it('cancels a cooperative request without killing the worker', async () => {
    const s = await supervised();
    const pid = (await s.supervisor.start()).pid;
    const request = s.supervisor.request({ type: 'crash-for-test', how: 'wait-for-cancel' }, { id: 'waiting' });
    await new Promise((r) => setTimeout(r, 50));
    const cancelledAt = performance.now();
    s.supervisor.cancel('waiting');
    expect(await outcome(request)).toBe('CANCELLED');
    expect(performance.now() - cancelledAt).toBeLessThan(1_000);

    expectOk(await s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
    expect(s.supervisor.pid).toBe(pid);
    expect(s.exits).toEqual([]);
  });

  it('never leaves a promise pending when the worker dies: queued requests run on the next worker', async () => {
    const s = await supervised();
    const crash = s.supervisor.request({ type: 'crash-for-test', how: 'exit' });
    const queued = [
      s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }),
      s.supervisor.request({ type: 'probe', ep: 'nope', modelBytes }),
    ];
    expect(await outcome(crash)).toBe('WORKER_CRASHED');
    const [cpu, nope] = await Promise.all(queued);
    expect(cpu?.ok).toBe(true);
    expect(nope).toMatchObject({ ok: false, code: 'EP_UNAVAILABLE' });
  });

  it('backs off between restarts after consecutive failures (0, then 250 ms)', async () => {
    const s = await supervised();
    const spawns: number[] = [];
    s.supervisor.on('spawn', () => spawns.push(performance.now()));
    const exitsAt: number[] = [];
    s.supervisor.on('exit', () => exitsAt.push(performance.now()));
    for (let i = 0; i < 3; i++) {
      expect(await outcome(s.supervisor.request({ type: 'crash-for-test', how: 'exit' }))).toBe('WORKER_CRASHED');
    }
    // spawns[1] follows the first crash at once; spawns[2] waits the second delay.
    expect(spawns).toHaveLength(3);
    expect((spawns[1] as number) - (exitsAt[0] as number)).toBeLessThan(200);
    expect((spawns[2] as number) - (exitsAt[1] as number)).toBeGreaterThanOrEqual(240);
  });

  it('rejects everything pending with CANCELLED on dispose and leaves no process behind', async () => {
    const s = await supervised();
    const pid = (await s.supervisor.start()).pid;
    const running = outcome(s.supervisor.request({ type: 'crash-for-test', how: 'wait-for-cancel' }));
    const queued = outcome(s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }));
    await s.supervisor.dispose();
    expect(await running).toBe('CANCELLED');
    expect(await queued).toBe('CANCELLED');
    expect(isAlive(pid)).toBe(false);
    expect(s.exits.map((e) => e.reason)).toEqual(['disposed']);
    expect(await outcome(s.supervisor.request({ type: 'probe', ep: 'cpu', modelBytes }))).toBe('CANCELLED');
  });

  it('ignores crash-for-test unless the worker was started with test hooks', async () => {
    const s = await supervised({ hooks: false });
    expect(await outcome(s.supervisor.request({ type: 'crash-for-test', how: 'exit' }))).toBe('NOT_SUPPORTED');
    expect(s.exits).toEqual([]);
  });
});
