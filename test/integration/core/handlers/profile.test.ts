/**
 * A model's input profile, through the contract as every host calls it: typed once (Model view or
 * `inspect --save-profile`), then used by inspection, benchmarks and quantization without being
 * given again, found again by content after the model is copied, and cleared by saving nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { benchToEnd } from '../../../../src/cli/run';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { CommandName, CommandRequest, CommandResponse } from '../../../../src/shared/contract';
import { detectorModel, speechModel } from '../../../support/input-models';
import { scratchServices, type ScratchServices } from '../../../support/services';

let s: ScratchServices;
let detector: string;
let speech: string;

async function call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
  const result = await dispatch(s.handlers, command, request, { emit: () => undefined });
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as CommandResponse<C>;
}

const quick = { minTimeMs: 100, maxTimeMs: 600, warmupMaxMs: 200, minIterations: 10, profile: false };

beforeAll(() => {
  s = scratchServices('profile');
  detector = detectorModel(s.dir);
  speech = speechModel(s.dir);
});

afterAll(async () => {
  await s.dispose();
});

describe('input profile', () => {
  it('is empty until saved; unset H and W are refused with DIMS_REQUIRED', async () => {
    const info = await call('model.inspect', { source: { kind: 'path', path: detector } });
    expect(info.profile).toBeNull();
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.dims.filter((d) => d.source === 'unset').map((d) => d.name)).toEqual(['H', 'W']);
    await expect(call('bench.start', { plan: { model: { kind: 'path', path: detector }, eps: ['cpu'], ...quick } })).rejects.toMatchObject({
      code: 'DIMS_REQUIRED',
    });
  });

  it('saved once, it sizes the inspection, the benchmark and the quantization job', async () => {
    const source = { kind: 'path', path: detector } as const;
    const saved = await call('model.inspect', { source, dims: { H: 32, W: 48 }, saveProfile: true });
    expect(saved.profile).toMatchObject({ dims: { H: 32, W: 48 }, values: {}, origin: 'saved' });
    expect(saved.macs).toBe(32 * 48 * 4 * 27);

    // Reopened without dims: the profile applies.
    const reopened = await call('model.inspect', { source });
    expect(reopened.dims.find((d) => d.name === 'H')).toEqual({ name: 'H', value: 32, source: 'user' });
    expect(reopened.macs).toBe(saved.macs);

    const { doc } = await benchToEnd(s.handlers, { model: source, eps: ['cpu'], ...quick });
    expect(doc.status).toBe('completed');
    expect(doc.inputProfile).toMatchObject({ dims: { H: 32, W: 48 }, origin: 'saved' });
    expect(doc.configs[0]!.inputs[0]!.shape).toEqual([1, 3, 32, 48]);

    // The plan's own dims win over the profile's, name by name.
    const { doc: wider } = await benchToEnd(s.handlers, { model: source, eps: ['cpu'], dims: { W: 64 }, ...quick });
    expect(wider.configs[0]!.inputs[0]!.shape).toEqual([1, 3, 32, 64]);

    const variant = await call('quantize.run', {
      request: { source, options: { mode: 'fp16' }, jobId: 'profile-fp16', evaluationSamples: 2 },
    });
    expect(variant.evaluation.inputs?.[0]?.shape).toEqual([1, 3, 32, 48]);
  });

  it('follows the content: a copy of the model elsewhere finds it', async () => {
    const copy = path.join(s.dir, 'copied-detector.onnx');
    copyFileSync(detector, copy);
    const info = await call('model.inspect', { source: { kind: 'path', path: copy } });
    expect(info.profile?.dims).toEqual({ H: 32, W: 48 });
  });

  it('keeps input values too, and saving an empty profile clears it', async () => {
    const source = { kind: 'path', path: speech } as const;
    const saved = await call('model.inspect', { source, values: { sr: { kind: 'number', value: 8000 } }, saveProfile: true });
    expect(saved.profile?.values).toEqual({ sr: { kind: 'number', value: 8000 } });
    const { doc } = await benchToEnd(s.handlers, { model: source, eps: ['cpu'], ...quick });
    expect(doc.configs[0]!.inputs.find((i) => i.name === 'sr')).toMatchObject({ source: 'number', value: '8000' });

    const cleared = await call('model.inspect', { source, saveProfile: true });
    expect(cleared.profile).toBeNull();
    expect((await call('model.inspect', { source })).profile).toBeNull();
  });

  it('a sample states its own sizes (the transformer sample: sequence 128) until the person saves others', async () => {
    const source = { kind: 'sample', name: 'transformer-encoder' } as const;
    const info = await call('model.inspect', { source });
    expect(info.profile).toMatchObject({ dims: { sequence: 128 }, origin: 'sample', savedAt: null });
    expect(info.dims.find((d) => d.name === 'sequence')?.value).toBe(128);
    const shorter = await call('model.inspect', { source, dims: { sequence: 16 }, saveProfile: true });
    expect(shorter.profile).toMatchObject({ dims: { sequence: 16 }, origin: 'saved' });
    const { doc } = await benchToEnd(s.handlers, { model: source, eps: ['cpu'], ...quick });
    expect(doc.configs[0]!.inputs[0]!.shape).toEqual([1, 16]);
  });
});
