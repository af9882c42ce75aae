/** Models whose weights live in an external data file: read through LoadedModel.external. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLocation } from '../../../src/core/onnx/codec';
import { readModel, writeModel, type LoadedModel } from '../../../src/core/onnx/read';
import { quantizeModel } from '../../../src/core/quantize';
import { buildSampleModel } from '../../../src/core/zoo';
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
  ])('%o reads the external weights and writes them inline', async (options, floor) => {
    const evaluationInputs = sampleInputs('mlp', loaded.model, 2, 3, { batch: 4 });
    const calibrationData = sampleInputs('mlp', loaded.model, 8, 1, { batch: 4 });
    const { model, report } = await quantizeModel({
      model: loaded.model,
      options: { ...options, external: loaded.external, calibrationData },
      evaluationInputs,
    });
    // New tensors are inline; only tensors the transformation left untouched (biases) may still
    // point at the original file, for writeModel to copy from the source.
    const originallyExternal = new Set(loaded.model.graph!.initializer!.filter((t) => t.data_location === DataLocation.EXTERNAL).map((t) => t.name));
    for (const t of model.graph!.initializer!.filter((t) => t.data_location === DataLocation.EXTERNAL)) {
      expect(originallyExternal.has(t.name)).toBe(true);
      expect(t.name).toMatch(/bias$/);
    }
    expect(report.sizeBytes.before).toBeGreaterThan(1_000_000);
    expect(report.quality[0]!.sqnrDb).toBeGreaterThan(floor);
    // Written next to nothing of the original, it still loads: writeModel copies the old external tensors.
    const out = join(dir, options.mode, 'model.onnx');
    await mkdir(join(dir, options.mode));
    await writeModel(out, model, { externalDataSource: loaded });
    const session = await ort.InferenceSession.create(out, { logSeverityLevel: 3 });
    await session.release();
  });

  it('int8-static of a large model (past protobuf\'s 2 GiB, or just large) runs its sessions from files, and makes the same variant', async () => {
    const calibrationData = sampleInputs('mlp', loaded.model, 8, 1, { batch: 4 });
    const evaluationInputs = sampleInputs('mlp', loaded.model, 2, 3, { batch: 4 });
    const run = (scratchAboveBytes?: number) =>
      quantizeModel({
        model: loaded.model,
        options: { mode: 'int8-static', perChannel: true, external: loaded.external, calibrationData, ...(scratchAboveBytes === undefined ? {} : { scratchAboveBytes }) },
        evaluationInputs,
      });
    const inMemory = await run();
    // Every model counts as large: pre-processing and calibration go through a scratch folder
    // with external data, as they do for a model of several GiB.
    const throughFiles = await run(0);
    // Nothing points into the scratch folder, which is gone.
    const scratchRefs = throughFiles.model.graph!.initializer!.filter((t) => t.data_location === DataLocation.EXTERNAL && !/bias$/.test(t.name ?? ''));
    expect(scratchRefs).toEqual([]);
    const values = (model: typeof inMemory.model) =>
      Object.fromEntries(model.graph!.initializer!.filter((t) => t.data_location !== DataLocation.EXTERNAL).map((t) => [t.name, Buffer.from(t.raw_data ?? new Uint8Array()).toString('base64')]));
    expect(values(throughFiles.model)).toEqual(values(inMemory.model));
    expect(throughFiles.model.graph!.node!.map((n) => n.op_type)).toEqual(inMemory.model.graph!.node!.map((n) => n.op_type));
    expect(throughFiles.report.quality[0]!.sqnrDb).toBeCloseTo(inMemory.report.quality[0]!.sqnrDb!, 6);
  });
});
