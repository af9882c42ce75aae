import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLocation, DataType, encodeModelProto } from '../../../../src/core/onnx/codec';
import { decodeModel, readModel, scanTopLevel } from '../../../../src/core/onnx/read';
import { encodeModel } from '../../../../src/core/onnx/write';
import { makeModel, mediumModel, node, tempDir, tensorValue } from './helpers';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};
const syncCode = (fn: () => unknown): string => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) & 0xff;
  };
}

describe('readModel errors', () => {
  it('MODEL_NOT_FOUND for a missing path', async () => {
    expect(await codeOf(readModel(join(dir.path, 'nope.onnx')))).toBe('MODEL_NOT_FOUND');
    expect(await codeOf(readModel(join(dir.path, 'nope', 'deeper.onnx')))).toBe('MODEL_NOT_FOUND');
  });

  it('MODEL_NOT_A_FILE for a directory', async () => {
    mkdirSync(join(dir.path, 'folder.onnx'));
    expect(await codeOf(readModel(join(dir.path, 'folder.onnx')))).toBe('MODEL_NOT_A_FILE');
  });

  it('MODEL_EMPTY for an empty file', async () => {
    writeFileSync(join(dir.path, 'empty.onnx'), '');
    expect(await codeOf(readModel(join(dir.path, 'empty.onnx')))).toBe('MODEL_EMPTY');
  });

  it('MODEL_NOT_ONNX for random bytes of many sizes', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = prng(seed);
      const size = 1 + ((seed * 7919) % 5000);
      const bytes = Uint8Array.from({ length: size }, next);
      expect(
        syncCode(() => decodeModel(bytes)),
        `seed ${seed}`,
      ).toBe('MODEL_NOT_ONNX');
    }
    const path = join(dir.path, 'random.onnx');
    writeFileSync(path, Uint8Array.from({ length: 4096 }, prng(99)));
    expect(await codeOf(readModel(path))).toBe('MODEL_NOT_ONNX');
  });

  it('MODEL_NOT_ONNX with a hint for other formats', () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6]);
    expect(() => decodeModel(zip)).toThrow(/ZIP archive/);
    const text = new TextEncoder().encode('hello, this is not a model\n'.repeat(10));
    expect(() => decodeModel(text)).toThrow(/text file/);
    expect(syncCode(() => decodeModel(text))).toBe('MODEL_NOT_ONNX');
  });

  it('MODEL_NOT_ONNX for a valid protobuf that is not a model (no graph)', () => {
    const notModel = encodeModelProto({ producer_name: 'x', doc_string: 'no graph here' });
    expect(syncCode(() => decodeModel(notModel))).toBe('MODEL_NOT_ONNX');
  });

  it('MODEL_TRUNCATED for every prefix of a real model', () => {
    const model = mediumModel();
    const bytes = encodeModel(model);
    expect(bytes.length).toBeGreaterThan(2000);
    // Cut exactly before metadata_props (the last field) the rest is itself a complete, valid
    // model: nothing in the bytes can tell it was ever longer.
    const withoutMetadata = encodeModel({ ...model, metadata_props: [] }).length;
    for (let cut = 2; cut < bytes.length; cut++) {
      const code = syncCode(() => decodeModel(bytes.subarray(0, cut)));
      const expected = cut === withoutMetadata ? 'no error' : 'MODEL_TRUNCATED';
      if (code !== expected) throw new Error(`prefix of ${cut}/${bytes.length} bytes gave ${code}`);
    }
  });

  it('MODEL_TRUNCATED for a cut-short file on disk', async () => {
    const bytes = encodeModel(mediumModel());
    const path = join(dir.path, 'cut.onnx');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expect(await codeOf(readModel(path))).toBe('MODEL_TRUNCATED');
  });

  it('scanTopLevel tells a cut from a broken layout', () => {
    const bytes = encodeModel(mediumModel());
    expect(scanTopLevel(bytes).status).toBe('complete');
    expect(scanTopLevel(bytes.subarray(0, bytes.length - 1)).status).toBe('cut');
    expect(scanTopLevel(new Uint8Array([0xff, 0xff, 0xff])).status).not.toBe('complete');
  });

  it('EXTERNAL_DATA_MISSING names the missing file; MODEL_INVALID for ".." and absolute paths', async () => {
    const ext = (location: string, offset = 0) =>
      makeModel({
        nodes: [node('Relu', ['w'], ['y'])],
        inputs: [],
        outputs: [tensorValue('y', DataType.FLOAT, [4])],
        initializers: [
          {
            name: 'w',
            data_type: DataType.FLOAT,
            dims: [4],
            data_location: DataLocation.EXTERNAL,
            external_data: [
              { key: 'location', value: location },
              { key: 'offset', value: String(offset) },
              { key: 'length', value: '16' },
            ],
          },
        ],
      });
    const missing = join(dir.path, 'missing-ext.onnx');
    writeFileSync(missing, encodeModel(ext('weights.bin')));
    await expect(readModel(missing)).rejects.toMatchObject({ code: 'EXTERNAL_DATA_MISSING', detail: 'weights.bin' });
    await expect(readModel(missing)).rejects.toThrow(/weights\.bin/);

    writeFileSync(join(dir.path, 'short.bin'), new Uint8Array(20));
    const beyond = join(dir.path, 'beyond.onnx');
    writeFileSync(beyond, encodeModel(ext('short.bin', 8)));
    await expect(readModel(beyond)).rejects.toMatchObject({ code: 'EXTERNAL_DATA_MISSING', detail: 'short.bin' });

    const escape = join(dir.path, 'escape.onnx');
    writeFileSync(escape, encodeModel(ext('../short.bin')));
    expect(await codeOf(readModel(escape))).toBe('MODEL_INVALID');
    const absolute = join(dir.path, 'absolute.onnx');
    writeFileSync(absolute, encodeModel(ext(join(dir.path, 'short.bin'))));
    expect(await codeOf(readModel(absolute))).toBe('MODEL_INVALID');

    const fine = join(dir.path, 'fine.onnx');
    writeFileSync(fine, encodeModel(ext('short.bin', 4)));
    const loaded = await readModel(fine);
    expect(loaded.externalData).toEqual([
      { location: 'short.bin', path: join(dir.path, 'short.bin'), fileBytes: 20, bytes: 16, tensors: 1 },
    ]);
  });
});
