/**
 * Measuring on another machine, for real: `inferscope serve` processes on loopback, one playing
 * this app (driven over its WebSocket as the page drives it), the others other machines with data
 * folders of their own. Real uploads, real runs in real workers, real processes killed.
 */
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine, MachineStatus } from '../../../src/shared/domain/machine';
import type { RunDocument, RunSummary } from '../../../src/shared/domain/run';
import type { Variant } from '../../../src/shared/domain/variant';
import { request } from '../../security/serve';
import { Page, quickPlan, removeHomes, startHost, type Host } from './hosts';

let app: Host;
let gpuBox: Host;
let page: Page;
let model: string;

beforeAll(async () => {
  [app, gpuBox] = await Promise.all([startHost(), startHost()]);
  page = await Page.open(app);
  // A model file on this app's machine (a sample's bytes under a name of the user's).
  await page.value('model.inspect', { source: { kind: 'sample', name: 'mlp' } });
  const samples = path.join(app.data, 'samples');
  const file = readdirSync(samples).find((name) => name.startsWith('mlp'));
  model = path.join(app.home, 'my-model.onnx');
  copyFileSync(path.join(samples, file as string), model);
});

afterAll(async () => {
  page?.close();
  await Promise.all([app?.stop(), gpuBox?.stop()]);
  removeHomes();
});

async function finished(runId: string): Promise<Record<string, unknown>> {
  return page.waitFor('bench.finished', (p) => p.runId === runId);
}

describe('adding a machine', () => {
  it('checks the URL serve printed and saves it: versions, hardware, and the token in memory only (a browser host)', async () => {
    const machine = await page.value<Machine>('machines.add', { url: gpuBox.url, name: 'gpu-box' });
    expect(machine).toMatchObject({
      id: 'gpu-box',
      name: 'gpu-box',
      url: `http://127.0.0.1:${gpuBox.port}`,
      local: false,
      token: 'memory',
    });
    expect(machine.tokenNote).toMatch(/memory only/);
    expect(machine.status).toMatchObject({ reachable: true, compatible: true, appVersion: expect.any(String), contractVersion: 1 });
    expect(machine.status?.hardware?.providers.find((p) => p.name === 'cpu')?.status).toBe('ready');

    const list = await page.value<Machine[]>('machines.list', {});
    expect(list.map((m) => [m.id, m.name, m.local])).toEqual([
      ['local', 'this machine', true],
      ['gpu-box', 'gpu-box', false],
    ]);
    // The token is never written to the data folder by a browser host.
    expect(JSON.stringify(list)).not.toContain(gpuBox.token);
    expect(existsSync(path.join(app.data, 'machine-tokens.json'))).toBe(false);
  });

  it('refuses a wrong token, nothing there, and a URL without a token, each with its code, and saves none of them', async () => {
    const wrong = await page.invoke('machines.add', { url: `http://127.0.0.1:${gpuBox.port}/?token=${'x'.repeat(32)}`, name: 'other' });
    expect(wrong.error).toMatchObject({
      code: 'MACHINE_UNAUTHORIZED',
      message: expect.stringMatching(/^other: it refused the access token/),
    });

    const nobody = await page.invoke('machines.add', { url: `http://127.0.0.1:1/?token=${'y'.repeat(32)}`, name: 'nobody' });
    expect(nobody.error).toMatchObject({
      code: 'MACHINE_UNREACHABLE',
      message: expect.stringMatching(/^nobody: cannot reach .*connection refused/),
    });

    const bare = await page.invoke('machines.add', { url: `http://127.0.0.1:${gpuBox.port}/` });
    expect(bare.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/no access token/) });

    const names = (await page.value<Machine[]>('machines.list', {})).map((m) => m.id);
    expect(names).toEqual(['local', 'gpu-box']);
  });

  it('refuses a machine that speaks another contract, naming both versions', async () => {
    const newer = await startHost([], { INFERSCOPE_TEST_CONTRACT_VERSION: '99' });
    try {
      const answer = await page.invoke('machines.add', { url: newer.url, name: 'newer' });
      expect(answer.error).toMatchObject({ code: 'MACHINE_INCOMPATIBLE', detail: 'contract 99 there, 1 here' });
      expect(answer.error?.message).toMatch(
        /^newer: it runs Inferscope .* \(contract 99\); this app is .* \(contract 1\): update this app\.$/,
      );
      expect((await page.value<Machine[]>('machines.list', {})).map((m) => m.id)).toEqual(['local', 'gpu-box']);
    } finally {
      await newer.stop();
    }
  });

  it('checks this machine too: its own versions and hardware', async () => {
    const status = await page.value<MachineStatus>('machines.check', { id: 'local' });
    expect(status).toMatchObject({ id: 'local', reachable: true, compatible: true, contractVersion: 1, host: 'browser' });
    expect(status.hardware?.cpu.brand).toBeTruthy();
  });
});

describe('running a plan on two machines', () => {
  it('measures the same plan here and there, streams both here, and saves both here with their machines', async () => {
    const here = await page.value<RunDocument>('bench.start', { plan: quickPlan({ kind: 'path', path: model }) });
    await finished(here.id);
    const there = await page.value<RunDocument>('bench.start', { plan: quickPlan({ kind: 'path', path: model }), machine: 'gpu-box' });
    expect(there.machine).toEqual({ id: 'gpu-box', name: 'gpu-box', url: `http://127.0.0.1:${gpuBox.port}` });
    const end = await finished(there.id);
    expect(end).toMatchObject({ status: 'completed' });
    // The machine's events reached this app's page under the run's id.
    expect(page.events.filter((e) => e.payload.runId === there.id).map((e) => e.event)).toEqual(
      expect.arrayContaining(['bench.started', 'bench.progress', 'bench.config', 'bench.finished']),
    );

    const saved = await page.value<RunDocument>('runs.get', { id: there.id });
    expect(saved.status).toBe('completed');
    expect(saved.machine?.name).toBe('gpu-box');
    // Named as the model is here; measured (and described) there: the remote's host and its data folder.
    expect(saved.plan.model).toEqual({ kind: 'path', path: model });
    expect(saved.model.path).toBe(model);
    expect(saved.configs[0]?.status).toBe('done');
    expect(saved.configs[0]?.samples.length).toBeGreaterThanOrEqual(10);
    expect(saved.environment.host).toBe('browser');

    const list = await page.value<RunSummary[]>('runs.list', {});
    const summary = list.find((r) => r.id === there.id);
    expect(summary?.remote?.id).toBe('gpu-box');
    expect(summary?.machine).toMatch(/^gpu-box · /);
    expect(list.find((r) => r.id === here.id)?.remote ?? null).toBeNull();

    // The run is the machine's too: it measured it, under the same id.
    const remotePage = await Page.open(gpuBox);
    try {
      expect((await remotePage.value<RunSummary[]>('runs.list', {})).map((r) => r.id)).toContain(there.id);
    } finally {
      remotePage.close();
    }
  });

  it('sends a model once: a second run there finds it by content', async () => {
    const before = (await page.value<Machine[]>('machines.list', {})).find((m) => m.id === 'gpu-box');
    expect(before?.transfers).toMatchObject({ modelsSent: 1, bytesSent: statSync(model).size });
    const again = await page.value<RunDocument>('bench.start', { plan: quickPlan({ kind: 'path', path: model }), machine: 'gpu-box' });
    await finished(again.id);
    const after = (await page.value<Machine[]>('machines.list', {})).find((m) => m.id === 'gpu-box');
    expect(after?.transfers).toEqual({
      modelsSent: 1,
      bytesSent: statSync(model).size,
      modelsFound: (before?.transfers.modelsFound ?? 0) + 1,
    });
    const kept = readdirSync(path.join(gpuBox.data, 'uploads', 'sha256'));
    expect(kept.filter((name) => !name.startsWith('.'))).toHaveLength(1);
  });

  it('cancels a run there from here', async () => {
    const slow = quickPlan(
      { kind: 'sample', name: 'mlp' },
      { minTimeMs: 60_000, maxTimeMs: 60_000, epOptions: { cpu: { 'inferscope.testSlowRunMs': 20 } } },
    );
    const run = await page.value<RunDocument>('bench.start', { plan: slow, machine: 'gpu-box' });
    expect(await page.value<string[]>('bench.active', {})).toContain(run.id);
    await page.waitFor('bench.progress', (p) => p.runId === run.id && p.phase === 'measure');
    expect(await page.value('bench.cancel', { runId: run.id })).toEqual({ cancelled: true });
    expect(await finished(run.id)).toMatchObject({ status: 'cancelled' });
    const saved = await page.value<RunDocument>('runs.get', { id: run.id });
    expect(saved).toMatchObject({ status: 'cancelled', machine: { id: 'gpu-box' } });
    expect(await page.value<string[]>('bench.active', {})).not.toContain(run.id);
  });

  it('makes a variant there that stays there, with its measured comparison here, and measures it there by id', async () => {
    const jobId = 'remote-int8';
    const request = { source: { kind: 'path', path: model }, options: { mode: 'int8-dynamic' }, jobId };
    const variant = await page.value<Variant>('quantize.run', { request, machine: 'gpu-box' });
    expect(variant.machine?.id).toBe('gpu-box');
    expect(variant.source.path).toBe(model);
    expect(variant.path.startsWith(gpuBox.data)).toBe(true);
    expect(variant.report.quality.length).toBeGreaterThan(0);
    expect(page.events.some((e) => e.event === 'quantize.progress' && e.payload.jobId === jobId)).toBe(true);

    const there = await page.value<Variant[]>('variants.list', { source: { kind: 'path', path: model }, machine: 'gpu-box' });
    expect(there.map((v) => v.id)).toContain(variant.id);
    expect(await page.value<Variant[]>('variants.list', { source: { kind: 'path', path: model } })).toEqual([]);

    const run = await page.value<RunDocument>('bench.start', {
      plan: quickPlan({ kind: 'path', path: model }, { variants: [variant.id], includeOriginal: false }),
      machine: 'gpu-box',
    });
    expect(await finished(run.id)).toMatchObject({ status: 'completed' });
    const saved = await page.value<RunDocument>('runs.get', { id: run.id });
    expect(saved.variants.map((v) => v.id)).toEqual([variant.id]);

    const folder = await page.invoke('quantize.run', {
      request: { ...request, jobId: 'remote-folder', options: { mode: 'int8-static' }, calibration: { kind: 'tensors', dir: app.home } },
      machine: 'gpu-box',
    });
    expect(folder.error).toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringMatching(/^gpu-box: this job uses tensors in a folder/),
    });
  });

  it('refuses a plan that reads files here other than the model, before sending anything', async () => {
    const answer = await page.invoke('bench.start', {
      plan: quickPlan({ kind: 'path', path: model }, { inputs: { dir: app.home } }),
      machine: 'gpu-box',
    });
    expect(answer.error).toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringMatching(/^gpu-box: this plan uses a folder of inputs/),
    });
    const unknown = await page.invoke('bench.start', { plan: quickPlan({ kind: 'path', path: model }), machine: 'nowhere' });
    expect(unknown.error).toMatchObject({ code: 'MACHINE_NOT_FOUND', message: expect.stringMatching(/saved: gpu-box/) });
  });
});

describe('a machine that fails', () => {
  it("keeps the machine's upload limit, as the machine's", async () => {
    const small = await startHost(['--max-upload', '1KiB']);
    try {
      await page.value('machines.add', { url: small.url, name: 'small-box' });
      const answer = await page.invoke('bench.start', { plan: quickPlan({ kind: 'path', path: model }), machine: 'small-box' });
      expect(answer.error).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.stringMatching(/^small-box: my-model\.onnx is .*uploads to this host are limited to 1 KiB/),
      });
      // The content-addressed upload checks the bytes against their hash too: nothing stays of a lie.
      const lie = await request(small, `/api/upload?sha256=${'a'.repeat(64)}&name=x.onnx`, {
        method: 'POST',
        headers: { cookie: `inferscope_token=${small.token}` },
        body: 'not the bytes of that hash',
      });
      expect(lie.status).toBe(400);
      expect(readdirSync(path.join(small.data, 'uploads', 'sha256')).filter((n) => !n.startsWith('.'))).toEqual([]);
    } finally {
      await small.stop();
    }
  });

  it('ends a run failed, attributed to the machine, when the machine is killed mid-run; this app keeps working', async () => {
    const doomed = await startHost();
    try {
      await page.value('machines.add', { url: doomed.url, name: 'doomed' });
      const slow = quickPlan({ kind: 'sample', name: 'mlp' }, { minTimeMs: 60_000, maxTimeMs: 60_000 });
      const run = await page.value<RunDocument>('bench.start', { plan: slow, machine: 'doomed' });
      await page.waitFor('bench.progress', (p) => p.runId === run.id && p.phase === 'measure');
      await doomed.kill('SIGKILL');
      const end = await finished(run.id);
      expect(end).toMatchObject({ status: 'failed', error: { code: 'MACHINE_UNREACHABLE' } });
      expect(String((end.error as { message: string }).message)).toMatch(/^doomed: the connection to http:\/\/127\.0\.0\.1:\d+ was lost/);

      const saved = await page.value<RunDocument>('runs.get', { id: run.id });
      expect(saved).toMatchObject({ status: 'failed', error: { code: 'MACHINE_UNREACHABLE' }, machine: { name: 'doomed' } });
      expect(saved.configs[0]).toMatchObject({ status: 'failed', error: { code: 'MACHINE_UNREACHABLE' } });
      expect(app.alive()).toBe(true);
      expect((await page.invoke('app.info', {})).ok).toBe(true);
      const status = await page.value<MachineStatus>('machines.check', { id: 'doomed' });
      expect(status).toMatchObject({ reachable: false, compatible: false, error: { code: 'MACHINE_UNREACHABLE' } });
      // A plan here still runs.
      const local = await page.value<RunDocument>('bench.start', { plan: quickPlan({ kind: 'sample', name: 'mlp' }) });
      expect(await finished(local.id)).toMatchObject({ status: 'completed' });
    } finally {
      await doomed.kill();
    }
  });

  it('forgets a machine with its token', async () => {
    const left = await page.value<Machine[]>('machines.remove', { id: 'doomed' });
    expect(left.map((m) => m.id)).not.toContain('doomed');
    expect((await page.invoke('machines.remove', { id: 'local' })).error?.code).toBe('BAD_REQUEST');
    expect((await page.invoke('machines.check', { id: 'doomed' })).error?.code).toBe('MACHINE_NOT_FOUND');
  });
});
