import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../../../src/core/quantize';
import { QuantizeReportSchema } from '../../../src/shared/domain/quantize';
import { buildSampleModel } from '../../../src/core/zoo';
import { decodeModelProto } from '../../../src/core/onnx/codec';
import { bytesOf, sampleInputs } from './helpers';

describe('quantizeModel', () => {
  it('makes the variant, checks it loads and reports size and quality per output', async () => {
    const model = buildSampleModel('mlp');
    const progress: string[] = [];
    const outcome = await quantizeModel({
      model,
      options: { mode: 'int8-dynamic', perChannel: true },
      evaluationInputs: sampleInputs('mlp', model, 2, 4, { batch: 4 }),
      onProgress: (p) => progress.push(p.stage),
    });
    const report = QuantizeReportSchema.parse(outcome.report);
    expect(report.mode).toBe('int8-dynamic');
    expect(report.sizeBytes.before).toBe(bytesOf(model).length);
    expect(report.sizeBytes.after).toBe(outcome.bytes.length);
    expect(report.sizeBytes.after).toBeLessThan(report.sizeBytes.before / 3);
    expect(report.nodesQuantized).toBe(3);
    expect(report.settings).toMatchObject({ weightType: 'int8', perChannel: true });
    expect(report.quality.map((q) => q.name)).toEqual(['logits']);
    expect(report.quality[0]!.elements).toBe(2 * 4 * 10);
    expect(report.quality[0]!.top1Agreement).toBeGreaterThanOrEqual(0.75);
    expect(progress).toContain('verify');
    expect(decodeModelProto(outcome.bytes).graph!.node!.length).toBe(outcome.model.graph!.node!.length);
  });

  it('without evaluation inputs still proves the model loads, and reports no quality', async () => {
    const outcome = await quantizeModel({ model: buildSampleModel('mnist-cnn'), options: { mode: 'fp16' } });
    expect(outcome.report.quality).toEqual([]);
    expect(outcome.report.warnings.length).toBeGreaterThan(0);
  });

  it('rejects invalid options before doing any work', async () => {
    await expect(
      quantizeModel({ model: buildSampleModel('mlp'), options: { mode: 'int4', blockSize: 24 as 32 } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/blockSize/) });
  });
});
