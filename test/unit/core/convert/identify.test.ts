/**
 * Identification by content on files made byte by byte: torch.save and torch.jit.save archives, a
 * legacy torch.save file, a plain pickle, Keras HDF5 (a model, weights only), Keras v3, a SavedModel
 * folder, TFLite, ONNX, and what is none of them; also the refusal where an ONNX model is needed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifySource } from '../../../../src/core/convert/identify';
import { forwardSignature } from '../../../../src/core/convert/identify-torch';
import { refuseUnconverted } from '../../../../src/core/convert/refuse';
import { bytes, HDF5_HEAD, op, stateDict, zip } from './bytes';

let dir: string;
const file = (name: string, content: Uint8Array | string): string => {
  const target = path.join(dir, name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  return target;
};

const TORCHSCRIPT_CODE = `class Net(Module):
  __parameters__ = []
  fc : __torch__.torch.nn.modules.linear.Linear
  def forward(self: __torch__.Net,
    image: Tensor,
    mask: Optional[Tensor]=None,
    scale: float=1.) -> Tuple[Tensor, Tensor]:
    return (image, image)
`;

const KERAS_CONFIG = JSON.stringify({
  class_name: 'Functional',
  config: {
    layers: [
      { class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], dtype: 'float32', name: 'pixels' } },
      { class_name: 'InputLayer', config: { batch_input_shape: [null, null], dtype: 'int32', name: 'tokens' } },
      { class_name: 'Dense', config: { units: 10 } },
    ],
  },
});

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-identify-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('identifying PyTorch files by content', () => {
  it('reads a TorchScript archive: its module and the tensors forward takes', async () => {
    const data = bytes(op.proto(2), op.global('__torch__', 'Net'), op.emptyTuple, op.newobj, op.emptyDict, op.build, op.stop);
    const source = file(
      'model.pt',
      zip({
        'net/data.pkl': data,
        'net/code/__torch__.py': TORCHSCRIPT_CODE,
        'net/constants.pkl': bytes(op.proto(2), op.emptyTuple, op.stop),
        'net/version': '3\n',
      }),
    );
    const found = await identifySource(source);
    expect(found).toMatchObject({
      format: 'torchscript',
      framework: 'pytorch',
      runsStoredCode: false,
      needsModelCode: false,
      packages: ['torch', 'onnx'],
    });
    expect(found.declaredInputs).toEqual([
      { name: 'image', shape: [], dtype: 'float32' },
      { name: 'mask', shape: [], dtype: 'float32' },
    ]);
    expect(found.evidence).toEqual([
      'ZIP with net/code/ and net/constants.pkl (torch.jit.save)',
      'module Net',
      'forward(image, mask) takes 2 tensor(s); other arguments: scale: float',
    ]);
    expect(found.summary).toBe(
      'model.pt is a TorchScript module (PyTorch): converting it to ONNX needs Python with torch and onnx, and the shape of image, mask.',
    );
    expect(found.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells a torch.save state_dict from a whole module in the ZIP format', async () => {
    const weights = await identifySource(
      file('weights.pth', zip({ 'w/data.pkl': bytes(op.proto(2), stateDict(['fc.weight']), op.stop), 'w/version': '3' })),
    );
    expect(weights).toMatchObject({ format: 'torch-state-dict', runsStoredCode: false, needsModelCode: true });
    expect(weights.summary).toContain("the model's Python class (or a factory script)");
    const module = bytes(
      op.proto(2),
      op.global('mymodels', 'Net'),
      op.emptyTuple,
      op.newobj,
      op.emptyDict,
      op.mark,
      op.unicode('_modules'),
      op.emptyDict,
      op.setitems,
      op.build,
      op.stop,
    );
    const whole = await identifySource(file('whole.pt', zip({ 'm/data.pkl': module })));
    expect(whole).toMatchObject({ format: 'torch-module', runsStoredCode: true, pickledClasses: ['mymodels.Net'] });
    expect(whole.summary).toContain('Loading it runs code the pickle names: convert it only if you trust where it came from.');
  });

  it('reads a legacy torch.save file past its magic number, protocol and system info', async () => {
    const legacy = bytes(
      [op.proto(2), 0x8a, 0x0a, [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], op.stop],
      [op.proto(2), 'M', [0xe9, 0x03], op.stop],
      [op.proto(2), op.emptyDict, op.mark, op.unicode('little_endian'), op.newtrue, op.setitems, op.stop],
      [op.proto(2), stateDict(['a', 'b', 'c']), op.stop],
      [op.proto(2), op.mark, op.unicode('0'), op.tuple, op.stop],
      new Uint8Array(64),
    );
    const found = await identifySource(file('legacy.pth', legacy));
    expect(found).toMatchObject({ format: 'torch-state-dict', runsStoredCode: false });
    expect(found.evidence[0]).toContain('legacy torch.save file');
  });

  it('asks the go-ahead for any plain pickle, even one of tensors, and for one it cannot walk', async () => {
    const plain = await identifySource(file('plain.pkl', bytes(op.proto(4), stateDict(['w']), op.stop)));
    expect(plain).toMatchObject({ format: 'torch-pickle', runsStoredCode: true });
    const broken = await identifySource(file('broken.pkl', bytes(op.proto(4), 0xff, 0xfe)));
    expect(broken).toMatchObject({ format: 'torch-pickle', runsStoredCode: true });
    expect(broken.evidence[0]).toMatch(/^starts like a pickle \(protocol 4\), but: The pickle cannot be read: 0xff is not a pickle opcode/);
  });
});

describe('identifying TensorFlow files by content', () => {
  it('reads a Keras HDF5 model config for its inputs, and tells weights-only files apart', async () => {
    const model = file(
      'model.h5',
      bytes(HDF5_HEAD, new Uint8Array(200), 'model_config', [0, 0], KERAS_CONFIG, [0], 'keras_version', [0], '2.13.1'),
    );
    const found = await identifySource(model);
    expect(found).toMatchObject({
      format: 'keras-h5',
      framework: 'tensorflow',
      packages: ['tensorflow', 'tf2onnx'],
      needsModelCode: false,
    });
    expect(found.declaredInputs).toEqual([
      { name: 'pixels', shape: ['batch', 28, 28, 1], dtype: 'float32' },
      { name: 'tokens', shape: ['batch', 'sequence'], dtype: 'int32' },
    ]);
    expect(found.evidence).toEqual([
      'HDF5 file with a Keras model_config (model.save)',
      'saved by Keras 2.13.1',
      'Functional with 2 input(s)',
    ]);
    const weights = await identifySource(file('weights.h5', bytes(HDF5_HEAD, new Uint8Array(100), 'layer_names', [0], 'dense')));
    expect(weights).toMatchObject({ format: 'keras-h5', label: 'Keras HDF5 weights only (TensorFlow)', needsModelCode: true });
    expect(weights.summary).toContain('it holds weights only; save the whole model');
    const other = await identifySource(file('data.h5', bytes(HDF5_HEAD, new Uint8Array(100))));
    expect(other.format).toBe('unknown');
  });

  it('reads a Keras v3 archive, a SavedModel folder and a TFLite flatbuffer', async () => {
    const keras = await identifySource(
      file('model.keras', zip({ 'metadata.json': '{}', 'config.json': KERAS_CONFIG, 'model.weights.h5': bytes(HDF5_HEAD) })),
    );
    expect(keras).toMatchObject({ format: 'keras-v3', label: 'Keras v3 model (TensorFlow)' });
    expect(keras.declaredInputs.map((i) => i.name)).toEqual(['pixels', 'tokens']);
    file('saved/saved_model.pb', bytes([0x08, 0x01], 'serving_default'));
    file('saved/variables/variables.index', 'x');
    const saved = await identifySource(path.join(dir, 'saved'));
    expect(saved).toMatchObject({ format: 'tf-savedmodel', isFolder: true, sizeBytes: 18 });
    expect(saved.evidence).toEqual(['folder with saved_model.pb and variables/', 'has a serving_default signature']);
    const tflite = await identifySource(file('model.tflite', bytes([0x1c, 0, 0, 0], 'TFL3', new Uint8Array(16))));
    expect(tflite).toMatchObject({ format: 'tflite', label: 'TensorFlow Lite model' });
  });

  it('hashes a folder by its files: the same SavedModel elsewhere is the same source', async () => {
    file('copy/saved_model.pb', bytes([0x08, 0x01], 'serving_default'));
    file('copy/variables/variables.index', 'x');
    const [a, b] = await Promise.all([identifySource(path.join(dir, 'saved')), identifySource(path.join(dir, 'copy'))]);
    expect(a.sha256).toBe(b.sha256);
    file('copy/variables/variables.data-00000-of-00001', 'y');
    expect((await identifySource(path.join(dir, 'copy'))).sha256).not.toBe(a.sha256);
  });
});

describe('what is not a source', () => {
  it('says ONNX opens as it is, and names what it cannot place', async () => {
    expect(await identifySource(file('m.onnx', bytes([0x08, 0x08, 0x12, 0x04], 'test')))).toMatchObject({
      format: 'onnx',
      framework: null,
      packages: [],
    });
    const text = await identifySource(file('notes.txt', 'hello'));
    expect(text).toMatchObject({
      format: 'unknown',
      summary: 'notes.txt is not a model format Inferscope knows (its first bytes match no format Inferscope knows).',
    });
    const zipped = await identifySource(file('photos.zip', zip({ 'a.jpg': 'x' })));
    expect(zipped.evidence[0]).toBe('a ZIP archive of 1 entries, without data.pkl or a Keras config.json');
    await expect(identifySource(path.join(dir, 'missing.pt'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(identifySource('/dev/null')).rejects.toMatchObject({ code: 'MODEL_NOT_A_FILE' });
  });

  it('refuses a PyTorch or TensorFlow file where an ONNX model is needed, naming what it is', async () => {
    const source = file('net.pth', zip({ 'w/data.pkl': bytes(op.proto(2), stateDict(['fc.weight']), op.stop) }));
    await expect(refuseUnconverted(source)).rejects.toMatchObject({
      code: 'MODEL_NEEDS_CONVERSION',
      message:
        'net.pth is a state_dict, weights only (PyTorch): convert it to ONNX first ' +
        '(Convert in the app, inferscope convert on the command line).',
    });
    await expect(refuseUnconverted(path.join(dir, 'saved'))).rejects.toMatchObject({ code: 'MODEL_NEEDS_CONVERSION' });
    await expect(refuseUnconverted(path.join(dir, 'm.onnx'))).resolves.toBeUndefined();
    await expect(refuseUnconverted(path.join(dir, 'notes.txt'))).resolves.toBeUndefined();
    await expect(refuseUnconverted(path.join(dir, 'missing.pt'))).resolves.toBeUndefined();
  });
});

describe("TorchScript forward's arguments", () => {
  it('keeps tensors apart from other arguments, types with brackets included', () => {
    const code =
      'class A(Module):\n  def forward(self: __torch__.A,\n    x: Tensor,\n    pair: Tuple[int, int],\n    y: Tensor) -> Tensor:\n';
    expect(forwardSignature(code, 'A')).toEqual({ tensors: ['x', 'y'], others: ['pair: Tuple[int, int]'] });
    expect(forwardSignature('class B(Module):\n  pass\n', 'B')).toBeNull();
  });
});
