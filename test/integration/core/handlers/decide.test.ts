import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServices, type Services } from '../../../../src/core/services';
import { nodeForkLauncher } from '../../../../src/core/worker-host/launcher';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { CommandName, CommandRequest, CommandResponse, Handlers } from '../../../../src/shared/contract';
import { benchToEnd } from '../../../../src/cli/run';
import { headlessHostHandlers } from '../../../../src/server/host-handlers';
import { repoRoot } from '../../../support/build';

// The services as every host calls them: through the contract's dispatcher, validation included.
let dir: string;
let services: Services;
let handlers: Handlers;

async function call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
  const result = await dispatch(handlers, command, request, { emit: () => undefined });
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as CommandResponse<C>;
}

const quick = { minTimeMs: 200, maxTimeMs: 1200, warmupMaxMs: 400, minIterations: 10 };

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-services-'));
  services = createServices({
    host: 'browser',
    userDataDir: dir,
    workerEntry: path.join(repoRoot, 'out/node/worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  handlers = { ...services.handlers, ...headlessHostHandlers(services, 'cli') };
});

afterAll(async () => {
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('from a model to a verdict, through the contract', () => {
  let runId = '';

  it('measures, then answers whether a GPU is needed for a reachable and an impossible target', async () => {
    // Long enough a warm-up that the verdict can rest on it even on a busy machine.
    const plan = {
      model: { kind: 'sample' as const, name: 'mnist-cnn' },
      eps: ['cpu'],
      concurrency: [1, 2],
      ...quick,
      maxTimeMs: 2000,
      warmupMaxMs: 3000,
    };
    runId = (await benchToEnd(handlers, plan)).doc.id;
    const easyVerdict = await call('advise.verdict', {
      runIds: [runId],
      requirement: { latency: { percentile: 'p95', ms: 50 }, throughputRps: 200 },
    });
    // One model measured: one answer, under its name, resting on this run.
    expect(easyVerdict.models).toHaveLength(1);
    const easy = { ...easyVerdict, ...easyVerdict.models[0]! };
    expect(easy.model).toBe('mnist-cnn');
    expect(easy.basis?.runId).toBe(runId);
    if (easy.status === 'insufficient-data') {
      // Only when this machine was too busy for stable numbers, and then the verdict must say what to re-measure.
      expect(easy.rows.some((r) => !r.reliable)).toBe(true);
      expect(easy.missing.length).toBeGreaterThan(0);
    } else {
      expect(easy.status).toBe('cpu-suffices');
      expect(easy.summary).toMatch(/GPU is not necessary/);
    }
    const impossible = await call('advise.verdict', {
      runIds: [runId],
      requirement: { latency: { percentile: 'p95', ms: 0.000001 }, throughputRps: 200 },
    });
    expect(impossible.models[0]?.status).toBe('nothing-meets');
    expect(impossible.models[0]?.breakEven).not.toBeNull();
  });

  it('keeps the requirement the user set', async () => {
    expect(await call('requirement.get', {})).toBeNull();
    const requirement = {
      latency: { percentile: 'p99' as const, ms: 20 },
      throughputRps: 50,
      maxBatchDelayMs: 0,
      prices: { cpuPerHour: 0.2, gpuByName: {} },
    };
    await call('requirement.save', { requirement });
    expect(await call('requirement.get', {})).toMatchObject(requirement);
  });

  it('exports the report as PDF, CSV and JSON', async () => {
    const requirement = { latency: { percentile: 'p95' as const, ms: 50 }, throughputRps: 200 };
    const pdf = await call('report.export', { runIds: [runId], requirement, format: 'pdf', paper: 'letter' });
    const bytes = Buffer.from(pdf!.dataBase64!, 'base64');
    expect(bytes.subarray(0, 4).toString()).toBe('%PDF');
    expect(pdf!.fileName).toMatch(/\.pdf$/);
    const csv = Buffer.from(
      (await call('report.export', { runIds: [runId], requirement, format: 'csv' }))!.dataBase64!,
      'base64',
    ).toString();
    expect(csv.trim().split('\n')).toHaveLength(3); // header + two configurations
    const json = JSON.parse(
      Buffer.from((await call('report.export', { runIds: [runId], requirement: null, format: 'json' }))!.dataBase64!, 'base64').toString(),
    );
    expect(json.id).toBe(runId);
    const withVerdict = JSON.parse(
      Buffer.from((await call('report.export', { runIds: [runId], requirement, format: 'json' }))!.dataBase64!, 'base64').toString(),
    );
    // One verdict per model, each with its summary (report schema 2).
    expect(withVerdict.schemaVersion).toBe(2);
    expect(withVerdict.verdict.models[0].summary).toBeTruthy();
    expect(withVerdict.runs[0].id).toBe(runId);
  });
});

describe('variants, through the contract', () => {
  it('makes an int8 variant, measures it beside the original, exports and deletes it', async () => {
    const source = { kind: 'sample' as const, name: 'mlp' };
    const modes = await call('quantize.modes', { source });
    expect(modes.find((m) => m.mode === 'int8-dynamic')?.ok).toBe(true);
    const variant = await call('quantize.run', { request: { source, options: { mode: 'int8-dynamic' }, jobId: 'job-1' } });
    expect(variant.report.sizeBytes.after).toBeLessThan(variant.report.sizeBytes.before / 2);
    expect(variant.report.quality[0]?.sqnrDb).toBeGreaterThan(20);
    expect((await call('variants.list', { source })).map((v) => v.id)).toContain(variant.id);

    const { doc } = await benchToEnd(handlers, { model: source, variants: [variant.id], eps: ['cpu'], ...quick });
    expect(doc.variants.map((v) => v.id)).toEqual(['original', variant.id]);
    expect(doc.configs.map((c) => c.id)).toEqual(['cpu/b1/t0/c1', `${variant.id}/cpu/b1/t0/c1`]);
    expect(doc.configs.every((c) => c.status === 'done')).toBe(true);
    expect(doc.variants[1]?.sizeBytes).toBe(variant.sizeBytes);

    const target = path.join(dir, 'exported.onnx');
    expect(await call('variants.export', { id: variant.id, path: target })).toEqual({ path: target });
    expect(statSync(target).size).toBe(readFileSync(variant.path).length);
    expect((await call('variants.delete', { id: variant.id })).deleted).toBe(true);
    expect(existsSync(variant.path)).toBe(false);
    await expect(call('bench.start', { plan: { model: source, variants: [variant.id], eps: ['cpu'] } })).rejects.toMatchObject({
      code: 'PLAN_INVALID',
    });
  });
});
