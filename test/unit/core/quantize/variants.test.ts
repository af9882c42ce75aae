import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QuantizeJobResult } from '../../../../src/core/worker-host/protocol';
import {
  modeAvailability,
  quantizeCpu,
  variantId,
  variantLabel,
  VariantStore,
  type VariantSource,
} from '../../../../src/core/quantize/variants';
import { buildSampleModel } from '../../../../src/core/zoo';
import type { QuantizeReport } from '../../../../src/shared/domain/quantize';
import { CalibrationSpecSchema } from '../../../../src/shared/domain/variant';
import { InferscopeError } from '../../../../src/shared/errors';
import { scratch } from './data-helpers';

let dir: string;
let remove: () => void;
beforeEach(() => ({ dir, remove } = scratch()));
afterEach(() => remove());

const random = CalibrationSpecSchema.parse({ kind: 'random' });
const source: VariantSource = { path: '/models/m.onnx', name: 'm.onnx', sha256: 'ab'.repeat(32), sizeBytes: 1000 };
const report: QuantizeReport = {
  mode: 'int8-dynamic',
  sizeBytes: { before: 1000, after: 300 },
  nodesQuantized: 2,
  settings: {},
  skipped: [],
  quality: [],
  warnings: [],
};

/** What the worker does for `run`: write the model where told, answer with the figures. */
function writes(bytes: string, extra: Partial<QuantizeJobResult> = {}) {
  return async (outputPath: string): Promise<QuantizeJobResult> => {
    writeFileSync(outputPath, bytes);
    return {
      report,
      sizeBytes: bytes.length,
      externalData: null,
      calibration: { kind: 'none', samples: 0, note: 'this mode needs no calibration' },
      evaluation: { samples: 8, source: 'random' },
      durationMs: 12,
      ...extra,
    };
  };
}

describe('variant ids and labels', () => {
  it('hash options, calibration and source, whatever the key order; not the job id or evaluation count', () => {
    const a = variantId(
      { options: { mode: 'int8-static', perChannel: true, calibrationMethod: 'minmax' }, calibration: random },
      source.sha256,
    );
    const b = variantId(
      { options: { calibrationMethod: 'minmax', perChannel: true, mode: 'int8-static' }, calibration: random, evaluationSamples: 100 },
      source.sha256,
    );
    expect(a).toBe(b);
    expect(a).toMatch(/^int8-static-[0-9a-f]{12}$/);
    expect(variantId({ options: { mode: 'int8-static', perChannel: false }, calibration: random }, source.sha256)).not.toBe(a);
    // What the app's form sends in full and the CLI leaves out names the same variant.
    const plain = variantId({ options: { mode: 'int8-dynamic' }, calibration: random }, source.sha256);
    expect(
      variantId(
        { options: { mode: 'int8-dynamic', perChannel: false, quantizeLstm: false, exclude: [], include: [] }, calibration: random },
        source.sha256,
      ),
    ).toBe(plain);
    expect(variantId({ options: { mode: 'int8-dynamic', perChannel: true }, calibration: random }, source.sha256)).not.toBe(plain);
    expect(variantId({ options: { mode: 'fp16', keepIoTypes: true, blockList: [] }, calibration: random }, source.sha256)).toBe(
      variantId({ options: { mode: 'fp16' }, calibration: random }, source.sha256),
    );
    expect(
      variantId(
        {
          options: { mode: 'int8-static', perChannel: true, calibrationMethod: 'minmax' },
          calibration: CalibrationSpecSchema.parse({ kind: 'random', seed: 2 }),
        },
        source.sha256,
      ),
    ).not.toBe(a);
    expect(
      variantId({ options: { mode: 'int8-static', perChannel: true, calibrationMethod: 'minmax' }, calibration: random }, 'cd'.repeat(32)),
    ).not.toBe(a);
  });

  it('read like people say them', () => {
    expect(variantLabel({ mode: 'int8-dynamic' })).toBe('int8 dynamic');
    expect(variantLabel({ mode: 'int8-static', perChannel: true })).toBe('int8 static (minmax, per-channel)');
    expect(variantLabel({ mode: 'int8-static', calibrationMethod: 'entropy', exclude: ['a', 'b'] })).toBe(
      'int8 static (entropy, 2 excluded)',
    );
    expect(variantLabel({ mode: 'fp16' })).toBe('fp16');
    expect(variantLabel({ mode: 'int4' })).toBe('int4 (block 32)');
    expect(variantLabel({ mode: 'int4', blockSize: 128 })).toBe('int4 (block 128)');
    expect(variantLabel({ mode: 'q4f16' })).toBe('q4f16');
  });
});

describe('VariantStore', () => {
  it('installs a variant only when the job succeeded, lists, gets and deletes it', async () => {
    const store = new VariantStore(path.join(dir, 'variants'));
    const request = { options: { mode: 'int8-dynamic' as const }, calibration: random };
    const variant = await store.create(request, source, writes('model-bytes'));
    expect(variant.path).toBe(path.join(dir, 'variants', source.sha256.slice(0, 16), variant.id, 'model.onnx'));
    expect(variant).toMatchObject({ mode: 'int8-dynamic', label: 'int8 dynamic', sizeBytes: 11, source, report, durationMs: 12 });
    expect(existsSync(variant.path)).toBe(true);
    expect(await store.list()).toEqual([variant]);
    expect(await store.list(source.sha256)).toEqual([variant]);
    expect(await store.list('cd'.repeat(32))).toEqual([]);
    expect(await store.get(variant.id)).toEqual(variant);
    expect(await store.get('no-such-variant')).toBeNull();
    expect(await store.get('../../etc')).toBeNull();
    expect(await store.delete(variant.id)).toBe(true);
    expect(await store.delete(variant.id)).toBe(false);
    expect(await store.list()).toEqual([]);
    expect(readdirSync(path.join(dir, 'variants'))).toEqual([]);
  });

  it("replaces the same request's variant instead of keeping two", async () => {
    const store = new VariantStore(path.join(dir, 'variants'));
    const request = { options: { mode: 'fp16' as const }, calibration: random };
    const first = await store.create(request, source, writes('first'));
    const second = await store.create({ ...request, evaluationSamples: 3 }, source, writes('second!'));
    expect(second.id).toBe(first.id);
    const listed = await store.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.sizeBytes).toBe(7);
    const other = await store.create({ options: { mode: 'int4' }, calibration: random }, source, writes('x'));
    expect((await store.list()).map((v) => v.id).sort()).toEqual([first.id, other.id].sort());
  });

  it('leaves nothing behind when the job fails after writing part of the model', async () => {
    const store = new VariantStore(path.join(dir, 'variants'));
    const failing = async (outputPath: string): Promise<QuantizeJobResult> => {
      writeFileSync(outputPath, 'half a mod');
      throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
    };
    await expect(store.create({ options: { mode: 'int8-dynamic' }, calibration: random }, source, failing)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(await store.list()).toEqual([]);
    expect(readdirSync(path.join(dir, 'variants', source.sha256.slice(0, 16)))).toEqual([]);
    // A worker answer that does not fit the schema is refused the same way.
    await expect(
      store.create({ options: { mode: 'int8-dynamic' }, calibration: random }, source, writes('m', { sizeBytes: -1 })),
    ).rejects.toThrow();
    expect(readdirSync(path.join(dir, 'variants', source.sha256.slice(0, 16)))).toEqual([]);
  });

  it('skips folders without a complete variant (no variant.json, or its model gone)', async () => {
    const store = new VariantStore(path.join(dir, 'variants'));
    const variant = await store.create({ options: { mode: 'fp16' }, calibration: random }, source, writes('m'));
    writeFileSync(path.join(path.dirname(variant.path), 'variant.json'), '{"not":"a variant"}');
    expect(await store.list()).toEqual([]);
  });
});

describe('modeAvailability', () => {
  const vnni = quantizeCpu('x64', ['sse4_2', 'avx2', 'fma', 'avx512f', 'avx512_vnni']);
  const noVnni = quantizeCpu('x64', ['sse4_2', 'avx2', 'fma']);

  it('records only the CPU flags that matter', () => {
    expect(vnni).toEqual({ arch: 'x64', flags: ['avx2', 'fma', 'avx512f', 'avx512_vnni'] });
  });

  it('advises a CNN: static int8 for convolutions, VNNI or not, fp16 for GPUs, int4 not for small heads', () => {
    const modes = modeAvailability(buildSampleModel('mnist-cnn'), noVnni);
    const by = Object.fromEntries(modes.map((m) => [m.mode, m]));
    expect(modes.map((m) => m.mode)).toEqual(['int8-dynamic', 'int8-static', 'fp16', 'int4', 'q4f16']);
    expect(modes.every((m) => m.ok && m.reason === null)).toBe(true);
    expect(by['int8-dynamic']!.advice.join(' ')).toContain('This CPU has no VNNI: int8 may not be faster than fp32');
    expect(by['int8-dynamic']!.advice.join(' ')).toContain('static int8 is the better mode for CNNs');
    expect(by['int8-static']!.advice.join(' ')).toContain('QLinearConv');
    expect(by['int8-static']!.advice.join(' ')).not.toContain('attention');
    expect(by.fp16!.advice.join(' ')).toContain('fp16 on the CPU runs through casts and is usually slower; it pays off on CUDA/WebGPU');
    expect(by.int4!.advice.join(' ')).toContain('int4 targets large MatMuls (LLMs); small CNN heads lose accuracy');
    expect(by.int4!.advice.join(' ')).toMatch(/largest MatMul weight has [\d,]+ values/);
    expect(
      modeAvailability(buildSampleModel('mnist-cnn'), vnni)
        .find((m) => m.mode === 'int8-static')!
        .advice.join(' '),
    ).toContain('This CPU has VNNI');
  });

  it('advises a transformer: dynamic int8, not static inside attention, fp16 overflow risks', () => {
    const modes = modeAvailability(buildSampleModel('transformer-encoder'), vnni);
    const by = Object.fromEntries(modes.map((m) => [m.mode, m]));
    expect(by['int8-static']!.advice.join(' ')).toContain(
      'Static int8 of attention layers hurts accuracy: prefer dynamic int8 for transformers',
    );
    expect(by['int8-dynamic']!.advice.join(' ')).toContain('usual choice for transformers');
    expect(by.fp16!.advice.join(' ')).toMatch(/fp16 can overflow in .*(ReduceMean|Pow|LayerNormalization)/);
  });

  it('says why a mode cannot apply', () => {
    const fp16Model = buildSampleModel('mlp');
    // Convert the sample's weights to fp16 by declaring them so: enough for the refusal check.
    for (const t of fp16Model.graph!.initializer!) t.data_type = 10;
    const modes = modeAvailability(fp16Model);
    const fp16 = modes.find((m) => m.mode === 'fp16')!;
    expect(fp16.ok).toBe(false);
    expect(fp16.reason).toMatch(/already holds float16/);
    expect(fp16.advice).toEqual([]);
  });
});
