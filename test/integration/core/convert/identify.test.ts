/**
 * The files torch itself writes, identified through the contract without running them; the Pythons
 * found on this machine; and inspect / bench / quantize refusing a PyTorch or TensorFlow file with
 * MODEL_NEEDS_CONVERSION. A SavedModel with a Python lacking TensorFlow: the install command.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePython, PythonFinder } from '../../../../src/core/convert/pythons';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { PythonEnv, SourceIdentity } from '../../../../src/shared/domain/convert';
import { scratchServices, type ScratchServices } from '../../../support/services';
import { makeTorchFixtures, noTorchReason, runTorchTests, TORCH_PYTHON } from '../../../support/torch-fixtures';

let s: ScratchServices;
let fixtures: string;

async function call<T>(command: string, request: unknown): Promise<T> {
  const result = await dispatch(s.handlers, command, request, { emit: () => undefined });
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value as T;
}
const identify = (file: string) => call<SourceIdentity>('convert.identify', { path: path.join(fixtures, file) });

const skipped = runTorchTests ? '' : ` (skipped: ${noTorchReason})`;

beforeAll(() => {
  if (!runTorchTests) return;
  s = scratchServices('convert-identify');
  fixtures = makeTorchFixtures(s.dir);
});

afterAll(async () => {
  await s?.dispose();
});

describe.skipIf(!runTorchTests)(`files torch wrote${skipped}`, () => {
  it('identifies each file by what it holds', async () => {
    const cnn = await identify('cnn.pt');
    expect(cnn).toMatchObject({ format: 'torchscript', runsStoredCode: false, needsModelCode: false, converted: null });
    expect(cnn.declaredInputs).toEqual([{ name: 'image', shape: [], dtype: 'float32' }]);
    expect(cnn.evidence).toEqual([
      'ZIP with cnn/code/ and cnn/constants.pkl (torch.jit.save)',
      'module TinyCnn',
      'forward(image) takes 1 tensor(s)',
    ]);
    expect((await identify('tagger.pt')).declaredInputs.map((i) => i.name)).toEqual(['tokens']);

    const whole = await identify('whole.pt');
    expect(whole).toMatchObject({ format: 'torch-module', runsStoredCode: true, needsModelCode: false });
    expect(whole.pickledClasses).toEqual(['fixture_models.TinyMLP', 'torch.nn.modules.linear.Linear']);

    for (const file of ['weights.pth', 'legacy.pth', 'gate.pth']) {
      expect(await identify(file), file).toMatchObject({
        format: 'torch-state-dict',
        runsStoredCode: false,
        needsModelCode: true,
        pickledClasses: [],
      });
    }
    expect((await identify('weights.pth')).evidence[1]).toBe('a dict of 4 tensors (fc1.weight, fc1.bias, fc2.weight, fc2.bias)');

    const checkpoint = await identify('checkpoint.pth');
    expect(checkpoint).toMatchObject({ format: 'torch-pickle', needsModelCode: true });
    expect(checkpoint.evidence).toContain('a dict of epoch, model_state_dict, optimizer_state_dict');
    expect(checkpoint.evidence).toContain('model_state_dict holds 4 tensors (fc1.weight, fc1.bias, fc2.weight, fc2.bias)');

    const code = await identify('fixture_models.py');
    expect(code.format).toBe('unknown');
  });

  it('refuses a PyTorch file where an ONNX model is needed, saying what it is', async () => {
    const source = { kind: 'path', path: path.join(fixtures, 'cnn.pt') };
    const expected = 'cnn.pt is a TorchScript module (PyTorch): convert it to ONNX first';
    for (const [command, request] of [
      ['model.inspect', { source }],
      ['quantize.run', { request: { jobId: 'q', source, options: { mode: 'int8-dynamic' } } }],
      ['bench.start', { plan: { model: source, eps: ['cpu'] } }],
    ] as const) {
      const result = await dispatch(s.handlers, command, request, { emit: () => undefined });
      expect(result.ok, command).toBe(false);
      if (!result.ok)
        expect(result.error, command).toMatchObject({ code: 'MODEL_NEEDS_CONVERSION', message: expect.stringContaining(expected) });
    }
  });
});

describe.skipIf(!runTorchTests)(`this machine's Pythons${skipped}`, () => {
  it('lists the Python with torch, each interpreter once, and prefers it over one without', async () => {
    const pythons = await call<PythonEnv[]>('convert.pythons', {});
    const system = pythons.find((p) => p.path === TORCH_PYTHON);
    expect(system).toMatchObject({ origin: 'path', error: null });
    expect(system!.packages.torch).toBeTruthy();
    expect(system!.packages.onnx).toBeTruthy();
    expect(system!.exporterMaxOpset.torch).toBeGreaterThanOrEqual(13);
    // /bin/python3 and /usr/bin/python3 (a merged /usr) are one interpreter: listed once.
    expect(new Set(pythons.map((p) => p.path)).size).toBe(pythons.length);
    expect(pythons.filter((p) => p.version === system!.version && p.packages.torch).length).toBe(1);

    const bare = path.join(s.dir, 'bare');
    const made = spawnSync(TORCH_PYTHON, ['-m', 'venv', '--without-pip', bare]);
    expect(made.status).toBe(0);
    const finder = new PythonFinder({ env: { PATH: process.env.PATH, VIRTUAL_ENV: bare } });
    const found = await finder.list();
    expect(found[0]).toMatchObject({ path: path.join(bare, 'bin', 'python'), origin: 'virtualenv', packages: { torch: null } });
    // Listed first, but the first Python that has torch and onnx converts.
    expect(choosePython(found, ['torch', 'onnx']).path).toBe(TORCH_PYTHON);
    const chosen = await finder.list({ python: '/nonexistent/python3' });
    expect(chosen[0]).toMatchObject({ origin: 'chosen', version: null, error: 'There is no Python at /nonexistent/python3.' });
  });

  it('gives the install command when the Python lacks TensorFlow, and the by-hand script', async () => {
    const saved = path.join(s.dir, 'saved');
    mkdirSync(path.join(saved, 'variables'), { recursive: true });
    writeFileSync(path.join(saved, 'saved_model.pb'), 'serving_default');
    const found = await call<SourceIdentity>('convert.identify', { path: saved });
    expect(found).toMatchObject({ format: 'tf-savedmodel', framework: 'tensorflow', isFolder: true });
    const inputs = [{ name: 'x', shape: ['batch', 4], dtype: 'float32' }];
    const result = await dispatch(
      s.handlers,
      'convert.run',
      { request: { jobId: 'tf', path: saved, python: TORCH_PYTHON, inputs } },
      { emit: () => undefined },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('CONVERT_PACKAGES_MISSING');
      expect(result.error.message).toContain(`at ${TORCH_PYTHON} lacks tensorflow and tf2onnx, which converting needs. Install them:`);
      expect(result.error.detail).toContain('pip install tensorflow tf2onnx');
    }
    // A TensorFlow that is installed but does not import (a broken install): the script says so, with its code.
    const broken = path.join(s.dir, 'broken-tf');
    expect(spawnSync(TORCH_PYTHON, ['-m', 'venv', '--without-pip', broken]).status).toBe(0);
    const site = spawnSync(path.join(broken, 'bin', 'python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
      encoding: 'utf8',
    });
    const purelib = site.stdout.trim();
    for (const [name, version] of [
      ['tensorflow', '2.16.1'],
      ['tf2onnx', '1.16.1'],
    ]) {
      mkdirSync(path.join(purelib, `${name}-${version}.dist-info`), { recursive: true });
      writeFileSync(
        path.join(purelib, `${name}-${version}.dist-info`, 'METADATA'),
        `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
      );
    }
    mkdirSync(path.join(purelib, 'tensorflow'));
    writeFileSync(
      path.join(purelib, 'tensorflow', '__init__.py'),
      'raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")\n',
    );
    const request = { jobId: 'tf-broken', path: saved, python: path.join(broken, 'bin', 'python'), inputs };
    const failed = await dispatch(s.handlers, 'convert.run', { request }, { emit: () => undefined });
    expect(failed.ok).toBe(false);
    if (!failed.ok) {
      expect(failed.error.code).toBe('CONVERT_PACKAGES_MISSING');
      expect(failed.error.message).toBe(
        'tensorflow is installed but does not import in this Python (libtensorflow_framework.so.2: cannot open shared object file): ' +
          'install it again, or choose another Python.',
      );
      expect(failed.error.detail).toContain('Traceback');
    }
    const help = await call<{ install: string[]; script: string; command: string }>('convert.instructions', {
      path: saved,
      python: TORCH_PYTHON,
      inputs,
    });
    expect(help.install.join('\n')).toContain('pip install tensorflow tf2onnx');
    expect(help.command).toBe(`${TORCH_PYTHON} convert_saved.py`);
    expect(help.script).toContain('"--saved-model"');
  });
});
