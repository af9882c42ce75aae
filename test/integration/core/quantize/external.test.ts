/** Models whose weights live in an external data file: read through LoadedModel.external. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLocation } from '../../../../src/core/onnx/codec';
import { readModel, type LoadedModel } from '../../../../src/core/onnx/read';
import { writeModel } from '../../../../src/core/onnx/write';
import { evaluateQuality, int8Static } from '../../../../src/core/quantize';
import { quantizeFile } from '../../../../src/core/quantize/file';
import { sessionBytes } from '../../../../src/core/quantize/tensors';
import { buildSampleModel } from '../../../../src/core/zoo';
import { sampleInputs } from './helpers';

let dir: string;
let loaded: LoadedModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferscope-quant-external-'));
  const path = join(dir, 'mlp.onnx');
  await writeModel(path, buildSampleModel('mlp'), { externalDataThresholdBytes: 1024 });
  loaded = await readModel(path);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('external data', () => {
  it('the fixture really keeps its weights outside the .onnx file', () => {
    const external = loaded.model.graph!.initializer!.filter((t) => t.data_location === DataLocation.EXTERNAL);
    expect(external.length).toBeGreaterThanOrEqual(3);
    expect(loaded.externalData.length).toBe(1);
  });

  it.each([
    [{ mode: 'int8-dynamic' as const }, 25],
    [{ mode: 'fp16' as const }, 50],
    [{ mode: 'int4' as const }, 12],
    [{ mode: 'int8-static' as const }, 20],
  ])('%o reads the external weights and writes a variant that depends on nothing of the original', async (options, floor) => {
    const out = join(dir, options.mode, 'model.onnx');
    await mkdir(join(dir, options.mode));
    const { report, externalData } = await quantizeFile({
      modelPath: loaded.path,
      outputPath: out,
      options,
      calibration: { kind: 'random', samples: 8, seed: 1 },
      evaluationSamples: 2,
      dims: { batch: 4 },
      layerReport: 'never',
    });
    expect(report.sizeBytes.before).toBeGreaterThan(1_000_000);
    expect(report.quality[0]!.sqnrDb).toBeGreaterThan(floor);
    // A source that kept its weights outside gets a variant that does too, in its own file: no
    // tensor points at the original's data (writeModel copies the tensors the transformation left alone).
    expect(externalData?.location).toBe('model.onnx.data');
    const variant = await readModel(out);
    expect(variant.externalData.map((f) => f.location)).toEqual(['model.onnx.data']);
    const session = await ort.InferenceSession.create(out, { logSeverityLevel: 3 });
    await session.release();
  });

  it(
    "int8-static of a large model (past protobuf's 2 GiB, or just large) runs its sessions from files, and makes the same " + 'variant',
    async () => {
      const calibrationData = sampleInputs('mlp', loaded.model, 8, 1, { batch: 4 });
      const evaluationInputs = sampleInputs('mlp', loaded.model, 2, 3, { batch: 4 });
      const run = async (scratchAboveBytes?: number) => {
        const options = { mode: 'int8-static' as const, perChannel: true, external: loaded.external, calibrationData };
        const { model } = await int8Static.apply(loaded.model, {
          ...options,
          ...(scratchAboveBytes === undefined ? {} : { scratchAboveBytes }),
        });
        const quality = await evaluateQuality(
          sessionBytes(loaded.model, loaded.external),
          sessionBytes(model, loaded.external),
          evaluationInputs,
        );
        return { model, quality };
      };
      const inMemory = await run();
      // Every model counts as large: pre-processing and calibration go through a scratch folder
      // with external data, as they do for a model of several GiB.
      const throughFiles = await run(0);
      // Nothing points into the scratch folder, which is gone.
      const scratchRefs = throughFiles.model.graph!.initializer!.filter(
        (t) => t.data_location === DataLocation.EXTERNAL && !/bias$/.test(t.name ?? ''),
      );
      expect(scratchRefs).toEqual([]);
      const values = (model: typeof inMemory.model) =>
        Object.fromEntries(
          model
            .graph!.initializer!.filter((t) => t.data_location !== DataLocation.EXTERNAL)
            .map((t) => [t.name, Buffer.from(t.raw_data ?? new Uint8Array()).toString('base64')]),
        );
      expect(values(throughFiles.model)).toEqual(values(inMemory.model));
      expect(throughFiles.model.graph!.node!.map((n) => n.op_type)).toEqual(inMemory.model.graph!.node!.map((n) => n.op_type));
      expect(throughFiles.quality[0]!.sqnrDb).toBeCloseTo(inMemory.quality[0]!.sqnrDb!, 6);
    },
  );
});
