/**
 * nodeForkLauncher against the WorkerLauncher contract the supervisor relies on (the
 * Electron launcher implements the same interface and is type-checked only), plus the
 * supervisor's handling of workers that fail before or around the handshake, using
 * small stand-in worker scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeForkLauncher, STDERR_TAIL_BYTES, type WorkerExitInfo } from '../../../../src/core/worker-host/launcher';
import { workerEnvironment } from '../../../../src/core/worker-host/supervisor';
import { ReadyMessageSchema } from '../../../../src/core/worker-host/protocol';
import { buildProbeModel } from '../../../../src/core/zoo/probe';
import type { InferscopeError } from '../../../../src/shared/errors';
import { ensureWorkerBuilt } from '../../../support/build';
import { outcome, scratchDir, startSupervisor, writeScript } from '../../../support/worker';

const scratch = scratchDir();
let entry: string;

beforeAll(async () => {
  entry = await ensureWorkerBuilt();
});
afterAll(() => scratch.remove());

function firstMessage(handle: ReturnType<typeof nodeForkLauncher.launch>): Promise<unknown> {
  return new Promise((resolve) => handle.onMessage(resolve));
}
function exitOf(handle: ReturnType<typeof nodeForkLauncher.launch>): Promise<WorkerExitInfo> {
  return new Promise((resolve) => handle.onExit(resolve));
}

describe('nodeForkLauncher', () => {
  it('starts the worker, carries structured-clone messages both ways and kills it', async () => {
    const handle = nodeForkLauncher.launch(entry, { env: workerEnvironment({ XDG_CACHE_HOME: scratch.dir }) });
    expect(handle.pid).toEqual(expect.any(Number));
    const ready = ReadyMessageSchema.parse(await firstMessage(handle));
    expect(ready.pid).toBe(handle.pid);

    // A Uint8Array goes over as bytes, not as a JSON object of indices.
    const answer = new Promise<unknown>((resolve) => handle.onMessage((m) => (m as { type?: string }).type === 'result' && resolve(m)));
    handle.postMessage({ type: 'probe', id: 'p', ep: 'cpu', modelBytes: buildProbeModel() });
    expect(await answer).toMatchObject({ type: 'result', id: 'p', value: { ok: true } });

    const exited = exitOf(handle);
    handle.kill();
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    // Reported once, also to a listener that comes late; sending to a dead process is a no-op.
    expect(await exitOf(handle)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(() => handle.postMessage({ type: 'hello' })).not.toThrow();
  });

  it('lets the worker answer a malformed request with BAD_REQUEST instead of failing', async () => {
    const handle = nodeForkLauncher.launch(entry, { env: workerEnvironment({ XDG_CACHE_HOME: scratch.dir }) });
    await firstMessage(handle);
    const answer = new Promise<unknown>((resolve) => handle.onMessage((m) => (m as { type?: string }).type === 'error' && resolve(m)));
    handle.postMessage({ type: 'probe', id: 'bad', ep: 'cpu' });
    expect(await answer).toMatchObject({ type: 'error', id: 'bad', error: { code: 'BAD_REQUEST' } });
    const exited = exitOf(handle);
    handle.kill();
    await exited;
  });

  it('keeps the last ~2 KB of stderr', async () => {
    const script = writeScript(
      scratch.dir,
      'noisy.mjs',
      `
      for (let i = 0; i < 500; i++) process.stderr.write('line ' + i + ' of noise\\n');
      process.stderr.write('the last words\\n');
      process.exitCode = 3;
    `,
    );
    const handle = nodeForkLauncher.launch(script, { env: workerEnvironment() });
    expect(await exitOf(handle)).toEqual({ code: 3, signal: null });
    const tail = handle.stderrTail();
    expect(tail.length).toBeLessThanOrEqual(STDERR_TAIL_BYTES);
    expect(tail.length).toBeGreaterThan(STDERR_TAIL_BYTES - 100);
    expect(tail.endsWith('the last words\n')).toBe(true);
  });

  it('does not pass the host’s Node flags to the worker', async () => {
    const script = writeScript(scratch.dir, 'flags.mjs', `process.send(process.execArgv, () => process.exit(0));`);
    const handle = nodeForkLauncher.launch(script, { env: workerEnvironment() });
    expect(await firstMessage(handle)).toEqual([]);
    const withFlags = nodeForkLauncher.launch(script, { env: workerEnvironment(), execArgv: ['--max-old-space-size=256'] });
    expect(await firstMessage(withFlags)).toEqual(['--max-old-space-size=256']);
  });
});

describe('supervisor start failures and protocol errors', () => {
  it('fails with WORKER_START_FAILED, stderr attached, when the entry does not exist', async () => {
    const s = await startSupervisor(scratch.dir, { workerEntry: `${scratch.dir}/missing-worker.js` });
    const error = (await s.supervisor
      .request({ type: 'probe', ep: 'cpu', modelBytes: buildProbeModel() })
      .catch((e: unknown) => e)) as InferscopeError;
    expect(error.code).toBe('WORKER_START_FAILED');
    expect(error.detail).toContain('Cannot find module');
    expect((await s.nextExit()).reason).toBe('start-failed');
  });

  it('fails with WORKER_START_FAILED when the worker never answers the handshake, and kills it', async () => {
    const silent = writeScript(scratch.dir, 'silent.mjs', `process.on('message', () => {}); setInterval(() => {}, 1000);`);
    const s = await startSupervisor(scratch.dir, { workerEntry: silent, startTimeoutMs: 300 });
    expect(await outcome(s.supervisor.start())).toBe('WORKER_START_FAILED');
    expect((await s.nextExit()).reason).toBe('start-failed');
  });

  it('stops a worker that breaks the protocol and rejects its request with WORKER_CRASHED', async () => {
    const liar = writeScript(
      scratch.dir,
      'liar.mjs',
      `
      const versions = { node: process.versions.node, onnxruntime: 'none' };
      process.send({ type: 'ready', pid: process.pid, versions, backends: [], transport: 'node-fork' });
      process.on('message', (m) => { if (m.type === 'probe') process.send({ type: 'result', id: m.id, value: { ok: 'maybe' } }); });
    `,
    );
    const s = await startSupervisor(scratch.dir, { workerEntry: liar });
    const error = (await s.supervisor
      .request({ type: 'probe', ep: 'cpu', modelBytes: buildProbeModel() })
      .catch((e: unknown) => e)) as InferscopeError;
    expect(error.code).toBe('WORKER_CRASHED');
    expect(error.detail).toContain('invalid result for "probe"');
    expect((await s.nextExit()).reason).toBe('protocol-error');
    await s.supervisor.dispose();
  });
});
