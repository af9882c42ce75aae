import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataLocation, DataType } from '../../../../src/core/onnx/codec';
import { readModel } from '../../../../src/core/onnx/read';
import { encodeModel, writeModel } from '../../../../src/core/onnx/write';
import { externalDataRef, readTensorValues } from '../../../../src/core/onnx/tensor';
import { floatTensor, makeModel, mediumModel, node, seededValues, tempDir, tensorValue } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('writeModel', () => {
  it('writes atomically and reads back the same model', async () => {
    const model = mediumModel();
    const path = join(dir.path, 'out', 'cnn.onnx');
    mkdirSync(join(dir.path, 'out'));
    const result = await writeModel(path, model);
    expect(result.externalData).toBeNull();
    expect(readdirSync(join(dir.path, 'out'))).toEqual(['cnn.onnx']);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeModel(model)))).toBe(true);
    const loaded = await readModel(path);
    expect(loaded.model.graph?.node?.map((n) => n.op_type)).toEqual(['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
  });

  it('moves large initializers to external data at 4096-aligned offsets and back', async () => {
    const big1 = floatTensor('big1', [300, 10]);
    const big2 = floatTensor('big2', [1000]);
    const small = floatTensor('small', [3]);
    const model = makeModel({
      nodes: [node('Add', ['big1', 'big1'], ['y'])],
      inputs: [],
      outputs: [tensorValue('y', DataType.FLOAT, [300, 10])],
      initializers: [big1, small, big2],
    });
    const sub = join(dir.path, 'ext');
    mkdirSync(sub);
    const path = join(sub, 'model.onnx');
    const result = await writeModel(path, model, { externalDataThresholdBytes: 1024 });
    expect(result.externalData).toMatchObject({ location: 'model.onnx.data', tensors: 2 });
    expect(readdirSync(sub).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    // The input model is untouched.
    expect(model.graph?.initializer?.[0]?.raw_data?.length).toBe(12000);

    const loaded = await readModel(path);
    const [w1, w2, w3] = loaded.model.graph!.initializer!;
    const ref1 = externalDataRef(w1!)!;
    const ref3 = externalDataRef(w3!)!;
    expect(ref1).toMatchObject({ location: 'model.onnx.data', offset: 0, length: 12000 });
    expect(ref3.offset % 4096).toBe(0);
    expect(ref3.offset).toBe(12288);
    expect(w2!.data_location ?? DataLocation.DEFAULT).toBe(DataLocation.DEFAULT);
    expect(statSync(join(sub, 'model.onnx.data')).size).toBe(12288 + 4000);
    expect(readTensorValues(w1!, loaded.external)).toEqual(seededValues(3000, 'big1'.length + 3000));
    expect(readTensorValues(w3!, loaded.external)).toEqual(seededValues(1000, 'big2'.length + 1000));
    expect(loaded.externalData[0]).toMatchObject({ location: 'model.onnx.data', tensors: 2, bytes: 16000 });

    // Writing the loaded model elsewhere without a threshold inlines the external tensors.
    const inlinePath = join(dir.path, 'inlined.onnx');
    await expect(writeModel(inlinePath, loaded.model)).rejects.toMatchObject({ code: 'EXTERNAL_DATA_MISSING' });
    await writeModel(inlinePath, loaded.model, { externalDataSource: loaded });
    const inlined = await readModel(inlinePath);
    expect(inlined.externalData).toEqual([]);
    expect(readTensorValues(inlined.model.graph!.initializer![2]!)).toEqual(seededValues(1000, 'big2'.length + 1000));
  });

  it('leaves no temporary files behind when it fails', async () => {
    const sub = join(dir.path, 'fail');
    mkdirSync(sub);
    const model = makeModel({
      nodes: [],
      inputs: [],
      outputs: [],
      initializers: [
        {
          name: 'gone',
          data_type: DataType.FLOAT,
          dims: [4],
          data_location: DataLocation.EXTERNAL,
          external_data: [{ key: 'location', value: 'gone.bin' }],
        },
        floatTensor('big', [2000]),
      ],
    });
    await expect(writeModel(join(sub, 'm.onnx'), model, { externalDataThresholdBytes: 100 })).rejects.toMatchObject({
      code: 'EXTERNAL_DATA_MISSING',
    });
    expect(readdirSync(sub)).toEqual([]);
  });
});
