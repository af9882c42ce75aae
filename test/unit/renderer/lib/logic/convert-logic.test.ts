import { describe, expect, it } from 'vitest';
import {
  CONVERT_TOLERANCE,
  ConvertRequestSchema,
  type ConversionCheck,
  type ConvertedModel,
  type PythonEnv,
  type SourceIdentity,
} from '../../../../../src/shared/domain/convert';
import type { ModelInfo } from '../../../../../src/shared/domain/model';
import {
  buildRequest,
  checkDraft,
  classTemplate,
  defaultExampleSize,
  defaultPython,
  initialDraft,
  missingPackages,
  namedDims,
  newJobId,
  parseShape,
  pythonUsable,
  rowsFromDeclared,
  type ConvertDraft,
} from '../../../../../src/renderer/lib/logic/convert-form';
import {
  allowedDiff,
  checkLine,
  formatCosine,
  formatDiff,
  formatElapsed,
  mismatchOf,
  originLine,
  originOf,
  pythonLine,
  stageStates,
} from '../../../../../src/renderer/lib/logic/convert-summary';

function identity(overrides: Partial<SourceIdentity> = {}): SourceIdentity {
  return {
    path: '/models/cnn.pt',
    name: 'cnn.pt',
    isFolder: false,
    format: 'torchscript',
    label: 'TorchScript module (PyTorch)',
    framework: 'pytorch',
    evidence: ['ZIP with code/ and constants.pkl'],
    sha256: 'a'.repeat(64),
    sizeBytes: 12_345,
    runsStoredCode: false,
    needsModelCode: false,
    pickledClasses: [],
    packages: ['torch', 'onnx'],
    declaredInputs: [{ name: 'image', shape: [], dtype: 'float32' }],
    converted: null,
    summary: 'A TorchScript module: converting needs torch and onnx.',
    ...overrides,
  };
}

function python(overrides: Partial<PythonEnv> = {}): PythonEnv {
  return {
    path: '/usr/bin/python3',
    origin: 'path',
    version: '3.11.2',
    packages: { torch: '1.13.0', onnx: '1.12.0', tensorflow: null, tf2onnx: null },
    exporterMaxOpset: { torch: 17, tf2onnx: null },
    error: null,
    ...overrides,
  };
}

const check: ConversionCheck = {
  inputs: [{ name: 'image', shape: [1, 3, 32, 32], dtype: 'float32' }],
  seed: 1234,
  samples: 1,
  outputs: [{ name: 'probs', shape: [1, 10], maxAbsDiff: 2.98e-8, maxAbsOriginal: 0.21, cosine: 1, ok: true }],
  maxAbsDiff: 2.98e-8,
  minCosine: 1,
  tolerance: { ...CONVERT_TOLERANCE },
  passed: true,
  runtime: 'onnxruntime 1.30.0 (CPU)',
};

function converted(overrides: Partial<ConvertedModel> = {}): ConvertedModel {
  return {
    id: '0123456789abcdef',
    path: '/data/converted/0123456789abcdef/cnn.onnx',
    fileName: 'cnn.onnx',
    sizeBytes: 9_000,
    source: {
      name: 'cnn.pt',
      path: '/models/cnn.pt',
      format: 'torchscript',
      label: 'TorchScript module (PyTorch)',
      sha256: 'a'.repeat(64),
    },
    opset: 17,
    inputs: [{ name: 'image', shape: ['batch', 3, 32, 32], dtype: 'float32' }],
    python: { path: '/usr/bin/python3', version: '3.11.2', packages: { torch: '1.13.0', onnx: '1.12.0' } },
    exporter: 'torch.onnx.export (TorchScript exporter), opset 17',
    check,
    convertedAt: '2025-01-02T03:04:05.000Z',
    seconds: 4.2,
    ...overrides,
  };
}

describe('shapes as typed', () => {
  it('reads sizes and names, with commas, spaces, brackets or ×', () => {
    expect(parseShape('1, 3, 224, 224')).toEqual({ ok: true, dims: [1, 3, 224, 224] });
    expect(parseShape('[batch, sequence]')).toEqual({ ok: true, dims: ['batch', 'sequence'] });
    expect(parseShape('1×3×32×32')).toEqual({ ok: true, dims: [1, 3, 32, 32] });
    expect(parseShape('(batch 16)')).toEqual({ ok: true, dims: ['batch', 16] });
    expect(parseShape('p2o.DynamicDimension.0, 3')).toEqual({ ok: true, dims: ['p2o.DynamicDimension.0', 3] });
  });

  it('says what is wrong with a shape it cannot read', () => {
    expect(parseShape('')).toMatchObject({ ok: false, error: expect.stringContaining('Give the shape') });
    expect(parseShape('1, 0, 3')).toMatchObject({ ok: false, error: expect.stringContaining('from 1') });
    expect(parseShape('1, -3')).toMatchObject({ ok: false, error: expect.stringContaining('“-3”') });
    expect(parseShape('1, 3.5')).toMatchObject({ ok: false, error: expect.stringContaining('“3.5”') });
    expect(parseShape(Array.from({ length: 17 }, () => '1').join(','))).toMatchObject({ ok: false, error: 'At most 16 dims.' });
  });

  it('starts from the inputs the file declares, or one row to fill in', () => {
    expect(rowsFromDeclared([{ name: 'tokens', shape: ['batch', 'sequence'], dtype: 'int64' }])).toEqual([
      { name: 'tokens', shape: 'batch, sequence', dtype: 'int64' },
    ]);
    expect(rowsFromDeclared([])).toEqual([{ name: 'input', shape: '', dtype: 'float32' }]);
  });

  it('lists the named dims once each and gives sequence-like ones 8', () => {
    const rows = [
      { name: 'a', shape: 'batch, sequence', dtype: 'int64' as const },
      { name: 'b', shape: 'batch, 4', dtype: 'float32' as const },
      { name: 'c', shape: 'not a shape!', dtype: 'float32' as const },
    ];
    expect(namedDims(rows)).toEqual(['batch', 'sequence']);
    expect(defaultExampleSize('sequence')).toBe(8);
    expect(defaultExampleSize('seq_len')).toBe(8);
    expect(defaultExampleSize('batch')).toBe(1);
    const draft = initialDraft(identity({ declaredInputs: [{ name: 'tokens', shape: ['batch', 'sequence'], dtype: 'int64' }] }));
    expect(draft.exampleSizes).toEqual({ batch: '1', sequence: '8' });
  });
});

describe('the form as a conversion request', () => {
  function draftOf(overrides: Partial<ConvertDraft>): ConvertDraft {
    return { ...initialDraft(identity()), ...overrides };
  }

  it('builds a request the contract accepts, named dims kept as names', () => {
    const draft = draftOf({ inputs: [{ name: 'image', shape: 'batch, 3, 32, 32', dtype: 'float32' }], exampleSizes: { batch: '2' } });
    const checked = checkDraft(identity(), draft);
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const request = buildRequest(identity(), checked, { jobId: newJobId(0, 0.5), python: '/usr/bin/python3', trust: true, force: false });
    expect(ConvertRequestSchema.parse(request)).toEqual(request);
    expect(request).toMatchObject({
      path: '/models/cnn.pt',
      python: '/usr/bin/python3',
      inputs: [{ name: 'image', shape: ['batch', 3, 32, 32], dtype: 'float32' }],
      exampleSizes: { batch: 2 },
      // TorchScript loads without unpickling: the go-ahead is not sent for it.
      trust: false,
      force: false,
    });
    expect(request.modelCode).toBeUndefined();
  });

  it('names every field that is wrong', () => {
    const draft = draftOf({
      inputs: [
        { name: '', shape: '1, x!', dtype: 'float32' },
        { name: 'b', shape: 'len', dtype: 'int64' },
        { name: 'b', shape: '', dtype: 'int64' },
      ],
      exampleSizes: { len: 'ten' },
    });
    const checked = checkDraft(identity(), draft);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors).sort()).toEqual(['input-0-name', 'input-0-shape', 'input-2-name', 'input-2-shape', 'size-len']);
    expect(checked.errors['input-2-name']).toBe('b is named twice.');
    expect(checkDraft(identity(), draftOf({ inputs: [] }))).toMatchObject({ ok: false, errors: { inputs: expect.any(String) } });
  });

  it('asks a state_dict for its class, with JSON keyword arguments', () => {
    const source = identity({ format: 'torch-state-dict', needsModelCode: true, runsStoredCode: true, declaredInputs: [] });
    const base = { ...initialDraft(source), inputs: [{ name: 'x', shape: 'batch, 16', dtype: 'float32' as const }] };
    const empty = checkDraft(source, base);
    expect(empty).toMatchObject({ ok: false });
    if (empty.ok) return;
    expect(Object.keys(empty.errors).sort()).toEqual(['code-class', 'code-module', 'trust']);

    const badJson = checkDraft(source, {
      ...base,
      trust: true,
      code: { ...base.code, module: 'm.py', className: 'Net', kwargsJson: '[1]' },
    });
    expect(badJson).toMatchObject({ ok: false, errors: { 'code-kwargs': expect.stringContaining('JSON object') } });

    const good = checkDraft(source, {
      ...base,
      trust: true,
      code: { ...base.code, module: '/src/model_def.py', className: 'TinyMLP', kwargsJson: '{"hidden": 32}' },
    });
    expect(good).toMatchObject({
      ok: true,
      modelCode: { kind: 'class', module: '/src/model_def.py', className: 'TinyMLP', kwargsJson: '{"hidden": 32}' },
    });
    if (!good.ok) return;
    const request = buildRequest(source, good, { jobId: 'convert-1', python: null, trust: true, force: true });
    expect(ConvertRequestSchema.parse(request)).toMatchObject({ trust: true, force: true, modelCode: { className: 'TinyMLP' } });
    expect('python' in request).toBe(false);

    const factory = checkDraft(source, { ...base, trust: true, code: { ...base.code, kind: 'factory', script: ' /src/make.py ' } });
    expect(factory).toMatchObject({ ok: true, modelCode: { kind: 'factory', script: '/src/make.py' } });
  });

  it('holds a pickle back until the person agrees', () => {
    const source = identity({ format: 'torch-module', runsStoredCode: true, declaredInputs: [] });
    const draft = { ...initialDraft(source), inputs: [{ name: 'x', shape: '1, 16', dtype: 'float32' as const }] };
    expect(checkDraft(source, draft)).toMatchObject({ ok: false, errors: { trust: expect.any(String) } });
    expect(checkDraft(source, { ...draft, trust: true })).toMatchObject({ ok: true });
  });

  it('makes job ids the contract accepts, different each time', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newJobId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('writes a template naming the class typed, or Net', () => {
    expect(classTemplate('TinyMLP')).toContain('class TinyMLP(nn.Module):');
    expect(classTemplate('not a name')).toContain('class Net(nn.Module):');
  });
});

describe('choosing a Python', () => {
  it('takes the first that starts and has every package', () => {
    const bare = python({ path: '/usr/local/bin/python3', packages: { torch: null, onnx: '1.12.0' } });
    const broken = python({ path: '/opt/broken/python', version: null, error: 'exited with code 127' });
    const ready = python();
    expect(missingPackages(bare, ['torch', 'onnx'])).toEqual(['torch']);
    expect(pythonUsable(broken, ['torch', 'onnx'])).toBe(false);
    expect(defaultPython([bare, broken, ready], ['torch', 'onnx'])).toBe('/usr/bin/python3');
    expect(defaultPython([bare, broken], ['torch', 'onnx'])).toBeNull();
    expect(defaultPython([ready], ['tensorflow', 'tf2onnx'])).toBeNull();
  });
});

describe('the check and the source as people read them', () => {
  it('formats differences and cosines so small ones stay visible', () => {
    expect(formatDiff(0)).toBe('0');
    expect(formatDiff(2.98e-8)).toBe('3.0e-8');
    expect(formatDiff(0.00421)).toBe('0.00421');
    expect(formatDiff(1.5)).toBe('1.5');
    expect(formatDiff(123456)).toBe('1.2e5');
    expect(formatCosine(0.99999)).toBe('0.999990');
    expect(allowedDiff(check.outputs[0]!, check.tolerance)).toBeCloseTo(1e-4 + 1e-3 * 0.21, 12);
    expect(checkLine(check)).toBe('verified: max |Δ| 3.0e-8, cosine 1.000000');
    expect(checkLine({ ...check, passed: false, maxAbsDiff: 0.5, minCosine: 0.93 })).toBe('did not agree: max |Δ| 0.5, cosine 0.930000');
  });

  it('names the Python and the packages that converted it', () => {
    expect(pythonLine(converted().python)).toBe('Python 3.11.2 / torch 1.13.0');
    expect(pythonLine({ path: '/p', version: '3.10.0', packages: { tensorflow: '2.15.0', tf2onnx: '1.16.1' } })).toBe(
      'Python 3.10.0 / tensorflow 2.15.0 / tf2onnx 1.16.1',
    );
  });

  it('finds where an open model came from: by its path, by the source it names, or not at all', () => {
    const info = { path: '/data/converted/0123456789abcdef/cnn.onnx' } as ModelInfo;
    const origin = originOf(info, [converted()]);
    expect(origin).toMatchObject({ name: 'cnn.pt', label: 'TorchScript module (PyTorch)' });
    expect(originLine(origin!)).toBe('Converted from cnn.pt · TorchScript module (PyTorch) · verified: max |Δ| 3.0e-8, cosine 1.000000');

    const moved = {
      path: '/elsewhere/cnn.onnx',
      convertedFrom: { name: 'cnn.pt', format: 'torchscript', label: 'TorchScript', sha256: 'a'.repeat(64) },
    };
    expect(originOf(moved as unknown as ModelInfo, [converted()])?.check).toEqual(check);
    const unlisted = { ...moved, convertedFrom: { ...moved.convertedFrom, sha256: 'b'.repeat(64) } };
    expect(originLine(originOf(unlisted as unknown as ModelInfo, [converted()])!)).toBe('Converted from cnn.pt · TorchScript');
    expect(originOf({ path: '/models/plain.onnx' } as ModelInfo, [converted()])).toBeNull();
  });

  it('marks the stages done, current and waiting', () => {
    expect(stageStates(null)).toEqual(['current', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(stageStates('exporting')).toEqual(['done', 'done', 'done', 'current', 'waiting', 'waiting']);
    expect(formatElapsed(4_200)).toBe('4 s');
    expect(formatElapsed(125_000)).toBe('2 min 05 s');
  });

  it('shows a refused conversion’s figures as a check, and any other failure as it came', () => {
    const failed = { ...check, passed: false, maxAbsDiff: 1.46, minCosine: 0.74 };
    const refused = mismatchOf({ code: 'CONVERT_MISMATCH', message: 'It is not used.', detail: JSON.stringify(failed) });
    expect(refused).toEqual({ error: { code: 'CONVERT_MISMATCH', message: 'It is not used.' }, check: failed });
    const crash = { code: 'CONVERT_FAILED' as const, message: 'Python failed', detail: 'Traceback …' };
    expect(mismatchOf(crash)).toEqual({ error: crash, check: null });
    const text = { code: 'CONVERT_MISMATCH' as const, message: 'm', detail: 'not json' };
    expect(mismatchOf(text)).toEqual({ error: text, check: null });
    const other = { code: 'CONVERT_MISMATCH' as const, message: 'm', detail: '{"passed": false}' };
    expect(mismatchOf(other)).toEqual({ error: other, check: null });
  });
});
