/** quantizeFile, the one path from a model file to a variant file (the worker runs every job through it). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModelProto } from '../../../../src/core/onnx/codec';
import { writeModel } from '../../../../src/core/onnx/write';
import { int8Dynamic } from '../../../../src/core/quantize';
import { quantizeFile } from '../../../../src/core/quantize/file';
import { buildSampleModel } from '../../../../src/core/zoo';
import { QuantizeReportSchema } from '../../../../src/shared/domain/quantize';
import { bytesOf } from './helpers';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferscope-quant-file-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sampleFile(name: string): Promise<string> {
  const modelPath = join(dir, `${name}.onnx`);
  await writeModel(modelPath, buildSampleModel(name));
  return modelPath;
}

describe('quantizeFile', () => {
  it('makes the variant, checks it loads and reports size and quality per output', async () => {
    const model = buildSampleModel('mlp');
    const modelPath = await sampleFile('mlp');
    const outputPath = join(dir, 'mlp.int8.onnx');
    const progress: string[] = [];
    const result = await quantizeFile(
      {
        modelPath,
        outputPath,
        options: { mode: 'int8-dynamic', perChannel: true },
        calibration: { kind: 'random', samples: 1, seed: 1 },
        evaluationSamples: 2,
        dims: { batch: 4 },
        layerReport: 'never',
      },
      { onProgress: (p) => progress.push(p.stage) },
    );
    const report = QuantizeReportSchema.parse(result.report);
    const written = readFileSync(outputPath);
    expect(report.mode).toBe('int8-dynamic');
    expect(report.sizeBytes.before).toBe(bytesOf(model).length);
    expect(report.sizeBytes.after).toBe(written.length);
    expect(result.sizeBytes).toBe(written.length);
    expect(result.externalData).toBeNull();
    expect(report.sizeBytes.after).toBeLessThan(report.sizeBytes.before / 3);
    expect(report.nodesQuantized).toBe(3);
    expect(report.settings).toMatchObject({ weightType: 'int8', perChannel: true });
    expect(report.quality.map((q) => q.name)).toEqual(['logits']);
    expect(report.quality[0]!.elements).toBe(2 * 4 * 10);
    expect(report.quality[0]!.top1Agreement).toBeGreaterThanOrEqual(0.75);
    expect(progress).toContain('verify');
    // The file holds the model the transformation makes.
    const transformed = await int8Dynamic.apply(buildSampleModel('mlp'), { mode: 'int8-dynamic', perChannel: true });
    expect(decodeModelProto(written).graph!.node!.map((n) => n.op_type)).toEqual(transformed.model.graph!.node!.map((n) => n.op_type));
  });

  it('fp16 of a CNN: the variant loads in onnxruntime and is compared, and the warnings say what stayed float', async () => {
    const result = await quantizeFile({
      modelPath: await sampleFile('mnist-cnn'),
      outputPath: join(dir, 'mnist-cnn.fp16.onnx'),
      options: { mode: 'fp16' },
      calibration: { kind: 'random', samples: 1, seed: 1 },
      evaluationSamples: 1,
      layerReport: 'never',
    });
    expect(result.report.quality.length).toBeGreaterThan(0);
    expect(result.report.warnings.length).toBeGreaterThan(0);
  });

  it('rejects invalid options before doing any work', async () => {
    const outputPath = join(dir, 'never.onnx');
    await expect(
      quantizeFile({
        // Not even read: a missing file would be MODEL_NOT_FOUND.
        modelPath: join(dir, 'missing.onnx'),
        outputPath,
        options: { mode: 'int4', blockSize: 24 as 32 },
        calibration: { kind: 'random', samples: 1, seed: 1 },
        evaluationSamples: 1,
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/blockSize/) });
    expect(existsSync(outputPath)).toBe(false);
  });
});
