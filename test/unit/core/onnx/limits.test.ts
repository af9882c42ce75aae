import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, openSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ModelInfoSchema } from '../../../../src/shared/domain/model';
import { DataLocation, DataType, type ModelProto, type TensorProto } from '../../../../src/core/onnx/codec';
import { inspectModel } from '../../../../src/core/onnx/inspect';
import { readModel } from '../../../../src/core/onnx/read';
import { encodeModel } from '../../../../src/core/onnx/write';
import { readTensorValues } from '../../../../src/core/onnx/tensor';
import { floatTensor, makeModel, node, subgraph, tempDir, tensorValue, type AttrValue } from './helpers';
import { makeTensor } from '../../../../src/core/onnx/tensor';

// Models that break ONNX's rules, or ask for more than any machine has: each is refused with a
// coded error naming what is wrong, and none ends in INTERNAL (or in an allocation).
let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('inferscope-limits-');
});
afterAll(() => dir.cleanup());

const F = DataType.FLOAT;
let counter = 0;
function save(model: ModelProto, folder = dir.path): string {
  const path = join(folder, `m${counter++}.onnx`);
  writeFileSync(path, encodeModel(model));
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

function conv(op: string, attrs: Record<string, AttrValue>, x = [1, 3, 8, 8], w = [4, 3, 3, 3]): ModelProto {
  return makeModel({
    inputs: [tensorValue('x', F, x)],
    outputs: [tensorValue('y', F)],
    initializers: op === 'Conv' || op === 'ConvTranspose' ? [floatTensor('w', w)] : [],
    nodes: [node(op, op === 'Conv' || op === 'ConvTranspose' ? ['x', 'w'] : ['x'], ['y'], attrs, { name: 'layer1' })],
  });
}

function external(name: string, location: string, dims: number[], offset = 0, type = F): TensorProto {
  return {
    name,
    data_type: type,
    dims,
    data_location: DataLocation.EXTERNAL,
    external_data: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
    ],
  };
}

const withWeight = (w: TensorProto): ModelProto =>
  makeModel({
    inputs: [],
    outputs: [tensorValue('y', w.data_type ?? F)],
    initializers: [w],
    nodes: [node('Identity', [w.name ?? ''], ['y'])],
  });

describe('window attributes that break ONNX rules are MODEL_INVALID, naming the node', () => {
  it.each([
    ['Conv', { strides: [0, 0], kernel_shape: [3, 3] }, /Conv "layer1" has strides \[0, 0\]/],
    ['Conv', { dilations: [0, 1], kernel_shape: [3, 3] }, /Conv "layer1" has dilations \[0, 1\]/],
    ['Conv', { strides: [-1, 1], kernel_shape: [3, 3] }, /strides \[-1, 1\]/],
    ['MaxPool', { kernel_shape: [2, 2], strides: [0, 2] }, /MaxPool "layer1" has strides \[0, 2\]/],
    ['AveragePool', { kernel_shape: [0, 2] }, /AveragePool "layer1" has kernel_shape \[0, 2\]/],
    ['ConvTranspose', { strides: [0, 0] }, /ConvTranspose "layer1" has strides \[0, 0\]/],
  ] as const)('%s %o', async (op, attrs, message) => {
    const error = await refusal(inspectModel(save(conv(op, attrs as Record<string, AttrValue>))));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(message);
  });

  it('a kernel larger than its padded input: the output size would be below 1', async () => {
    const error = await refusal(inspectModel(save(conv('Conv', { kernel_shape: [5, 5] }, [1, 3, 3, 3], [4, 3, 5, 5]))));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/Conv "layer1" would have an output of size -1 at axis 2: its input there is 3 and its kernel spans 5/);
    // With enough padding the same kernel is fine.
    const padded = await inspectModel(save(conv('Conv', { kernel_shape: [5, 5], pads: [1, 1, 1, 1] }, [1, 3, 3, 3], [4, 3, 5, 5])));
    expect(padded.macs).toBe(4 * 3 * 5 * 5);
  });
});

describe('If branches', () => {
  // then_branch: a 5×5 kernel, valid only for inputs of 5 and more; else_branch passes x through.
  const branchy = (condition: 'input' | 'true') =>
    makeModel({
      inputs: [tensorValue('x', F, [1, 3, 3, 3]), ...(condition === 'input' ? [tensorValue('big', DataType.BOOL, [])] : [])],
      outputs: [tensorValue('y', F)],
      initializers: [floatTensor('w', [3, 3, 5, 5]), ...(condition === 'true' ? [makeTensor('big', DataType.BOOL, [], [1])] : [])],
      nodes: [
        node('If', ['big'], ['y'], {
          then_branch: subgraph(
            'then',
            [node('Conv', ['x', 'w'], ['t'], { kernel_shape: [5, 5] }, { name: 'large_kernel' })],
            [tensorValue('t', F)],
          ),
          else_branch: subgraph('else', [node('Identity', ['x'], ['e'])], [tensorValue('e', F)]),
        }),
      ],
    });

  it('a branch that may not run does not make the model invalid; one known to run does', async () => {
    const info = await inspectModel(save(branchy('input')));
    expect(ModelInfoSchema.parse(info)).toEqual(info);
    const error = await refusal(inspectModel(save(branchy('true'))));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/Conv "large_kernel" would have an output of size -1/);
  });
});

describe('MACs are a finite number or unknown, never Infinity', () => {
  it('shapes near int64 limits leave the count unknown', async () => {
    const big = 4e18;
    const model = makeModel({
      inputs: [tensorValue('a', F, new Array(20).fill(big)), tensorValue('b', F, [big, big])],
      outputs: [tensorValue('y', F)],
      nodes: [node('MatMul', ['a', 'b'], ['y'])],
    });
    const info = await inspectModel(save(model));
    expect(ModelInfoSchema.parse(info)).toEqual(info);
    expect(info.macs).toBeNull();
    expect(info.flops).toBeNull();
    expect(info.macsReason).toMatch(/MatMul/);
  });

  it('a declared size of -1 (an exporter\'s "open") is no size: the batch default applies', async () => {
    const info = await inspectModel(save(conv('Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, [-1, 3, 8, 8])));
    expect(info.macs).toBe(8 * 8 * 4 * 27);
  });
});

describe('tensors whose dims do not match their data', () => {
  it('an inline [1e12] tensor holding 4 bytes is MODEL_INVALID, before anything counts by it', async () => {
    const w: TensorProto = { name: 'w', data_type: F, dims: [1e12], raw_data: new Uint8Array(4) };
    const error = await refusal(readModel(save(withWeight(w))));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/initializer "w" float32\[1000000000000\] would take at least 931 GiB, but m\d+\.onnx is only \d+ B/);
  });

  it('a negative dim is MODEL_INVALID', async () => {
    const error = await refusal(readModel(save(withWeight({ name: 'w', data_type: F, dims: [4, -2], raw_data: new Uint8Array(0) }))));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toContain('Initializer "w" float32[4, -2] has dimension -2 at axis 1');
  });
});

describe('external data', () => {
  it('a location that links out of the model folder is MODEL_INVALID; links inside it are fine', async () => {
    const folder = join(dir.path, 'links');
    const outside = join(dir.path, 'outside');
    mkdirSync(folder);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.bin'), new Uint8Array(16));
    symlinkSync(join(outside, 'secret.bin'), join(folder, 'weights.bin'));
    const error = await refusal(readModel(save(withWeight(external('w', 'weights.bin', [4])), folder)));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/Tensor "w" keeps its data in "weights\.bin", which links to .*outside/);

    // A Hugging Face cache: the model and its data are both links into blobs/.
    const blobs = join(dir.path, 'blobs');
    const snapshot = join(dir.path, 'snapshot');
    mkdirSync(blobs);
    mkdirSync(snapshot);
    writeFileSync(join(blobs, 'model-blob'), encodeModel(withWeight(external('w', 'model.onnx.data', [4]))));
    writeFileSync(join(blobs, 'data-blob'), new Uint8Array(16));
    symlinkSync(join(blobs, 'model-blob'), join(snapshot, 'model.onnx'));
    symlinkSync(join(blobs, 'data-blob'), join(snapshot, 'model.onnx.data'));
    const loaded = await readModel(join(snapshot, 'model.onnx'));
    expect(loaded.externalData[0]?.fileBytes).toBe(16);
  });

  it('reads past 2 GiB into a file, and refuses a tensor larger than memory before allocating it', async () => {
    const folder = join(dir.path, 'sparse');
    mkdirSync(folder);
    const data = join(folder, 'weights.bin');
    writeFileSync(data, '');
    // Sparse: takes no disk space, and nothing reads more than 16 bytes of it.
    truncateSync(data, 2 ** 40);
    const offset = 2 ** 31 + 4096;
    const fd = openSync(data, 'r+');
    writeSync(fd, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), 0, 16, offset);
    closeSync(fd);

    const far = await readModel(save(withWeight(external('w', 'weights.bin', [4], offset)), folder));
    const w = far.model.graph?.initializer?.[0] as TensorProto;
    expect(readTensorValues(w, far.external)).toEqual(new Float32Array([1, 2, 3, 4]));

    const huge = await readModel(save(withWeight(external('huge', 'weights.bin', [2 ** 40], 0, DataType.UINT8)), folder));
    const tensor = huge.model.graph?.initializer?.[0] as TensorProto;
    const error = (() => {
      try {
        readTensorValues(tensor, huge.external);
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('expected a refusal');
    })();
    expect(error.code).toBe('MODEL_TOO_LARGE');
    expect(error.message).toContain('tensor "huge" uint8[1099511627776]');
  });
});
