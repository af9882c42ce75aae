import { describe, expect, it } from 'vitest';
import type { LayerQuality, QuantizeReport } from '../../../../../src/shared/domain/quantize';
import { QuantizeRequestSchema, VariantSchema } from '../../../../../src/shared/domain/variant';
import {
  excludeCounts,
  exclusionCandidates,
  optionsExcluding,
  requantizeRequest,
  worstLayers,
  worstToExclude,
} from '../../../../../src/renderer/lib/logic/quantize-layers';
import { defaultDataDraft } from '../../../../../src/renderer/lib/logic/quantize-options';

function layer(node: string, sqnrDb: number | null, quantized: boolean): LayerQuality {
  return { node, opType: 'MatMul', output: `${node}_out`, sqnrDb, maxAbsDiff: 0.1, cosine: 0.999, nonFinite: 0, quantized };
}

const report: Pick<QuantizeReport, 'layers'> = {
  layers: [layer('attn_scores', 18, false), layer('out_proj', 21, true), layer('ffn_out', 24, true), layer('q_proj', 30, true)],
};

describe('worst layers of a variant', () => {
  it('lists the worst first and offers only transformed layers for exclusion', () => {
    expect(worstLayers(report, 2).map((l) => l.node)).toEqual(['attn_scores', 'out_proj']);
    expect(exclusionCandidates(report).map((l) => l.node)).toEqual(['out_proj', 'ffn_out', 'q_proj']);
    expect(worstToExclude(report, 2)).toEqual(['out_proj', 'ffn_out']);
    expect(worstToExclude(report, 9)).toEqual(['out_proj', 'ffn_out', 'q_proj']);
    expect(worstLayers({})).toEqual([]);
    expect(worstToExclude({}, 1)).toEqual([]);
  });

  it('offers counts the variant has enough transformed layers for', () => {
    expect(excludeCounts(0)).toEqual([]);
    expect(excludeCounts(1)).toEqual([1]);
    expect(excludeCounts(4)).toEqual([1, 2, 3, 4]);
    expect(excludeCounts(7)).toEqual([1, 2, 3, 5, 7]);
    expect(excludeCounts(40)).toEqual([1, 2, 3, 5, 10]);
  });

  it('adds the nodes to the exclude list once and takes them out of the include list', () => {
    expect(optionsExcluding({ mode: 'int8-dynamic', perChannel: true }, ['a'])).toEqual({
      mode: 'int8-dynamic',
      perChannel: true,
      exclude: ['a'],
    });
    expect(optionsExcluding({ mode: 'int4', exclude: ['a'], include: ['a', 'b'] }, ['a', 'c'])).toEqual({
      mode: 'int4',
      exclude: ['a', 'c'],
      include: ['b'],
    });
    expect(optionsExcluding({ mode: 'int4', include: ['a'] }, ['a'])).toEqual({ mode: 'int4', exclude: ['a'] });
  });

  it('builds the request from the variant’s options and the form’s inputs', () => {
    const source = { kind: 'sample' as const, name: 'mlp' };
    const variant = { options: { mode: 'int8-static' as const, perChannel: true, cpu: { arch: 'x64', flags: ['avx2'] } } };
    const built = requantizeRequest({ variant, nodes: ['/fc3/Gemm'], source, data: defaultDataDraft(), evaluationSamples: '4' });
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.request.options).toEqual({ ...variant.options, exclude: ['/fc3/Gemm'] });
    expect(built.request.evaluationSamples).toBe(4);
    expect(QuantizeRequestSchema.parse({ ...built.request, jobId: 'j' }).calibration).toEqual({ kind: 'random', samples: 16, seed: 1 });

    const bad = requantizeRequest({
      variant,
      nodes: ['/fc3/Gemm'],
      source,
      data: { ...defaultDataDraft(), kind: 'tensors', dir: '' },
      evaluationSamples: 'x',
    });
    expect(bad).toEqual({ ok: false, errors: { dir: expect.any(String), evaluationSamples: expect.any(String) } });
    expect(requantizeRequest({ variant, nodes: [], source, data: defaultDataDraft(), evaluationSamples: '4' }).ok).toBe(false);
  });

  it('reads variant.json files written before per-layer figures existed', () => {
    const old = {
      id: 'int8-dynamic-0123456789ab',
      mode: 'int8-dynamic',
      label: 'int8 dynamic',
      path: '/x/model.onnx',
      sizeBytes: 10,
      createdAt: '2025-01-01T00:00:00.000Z',
      source: { path: '/m.onnx', name: 'm.onnx', sha256: 'ab', sizeBytes: 40 },
      options: { mode: 'int8-dynamic' },
      report: {
        mode: 'int8-dynamic',
        sizeBytes: { before: 40, after: 10 },
        nodesQuantized: 1,
        settings: {},
        skipped: [],
        quality: [],
        warnings: [],
      },
      calibration: { kind: 'none', samples: 0, note: '' },
      evaluation: { samples: 0, source: 'random' },
      durationMs: 1,
    };
    const parsed = VariantSchema.parse(old);
    expect(parsed.report.layers).toBeUndefined();
    expect(worstLayers(parsed.report)).toEqual([]);
    const withLayers = VariantSchema.parse({ ...old, report: { ...old.report, layers: report.layers, layersNote: 'measured' } });
    expect(withLayers.report.layers).toEqual(report.layers);
  });
});
