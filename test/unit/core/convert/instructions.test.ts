/**
 * What the user is told to run: the install commands for their Python (pip; apt or a virtualenv
 * for Debian's own Python), the tf2onnx calls the script makes for each TensorFlow format, and the
 * by-hand script itself, which Python must compile and read its config from exactly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installCommands, instructionsFor, missingMessage } from '../../../../src/core/convert/instructions';
import { conversionScript } from '../../../../src/core/convert/python';
import type { PythonEnv, SourceIdentity } from '../../../../src/shared/domain/convert';

const python3 = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0 ? 'python3' : null;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-instructions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (packages: Record<string, string | null>, at = '/opt/venv/bin/python'): PythonEnv => ({
  path: at,
  origin: 'virtualenv',
  version: '3.11.7',
  packages,
  exporterMaxOpset: { torch: packages.torch ? 17 : null, tf2onnx: packages.tf2onnx ? 18 : null },
  error: null,
});

const identity = (format: SourceIdentity['format'], more: Partial<SourceIdentity> = {}): SourceIdentity => ({
  path: `/models/${format}`,
  name: format === 'tf-savedmodel' ? 'resnet' : `model.${format === 'tflite' ? 'tflite' : format.startsWith('keras') ? 'keras' : 'pt'}`,
  isFolder: format === 'tf-savedmodel',
  format,
  label: format,
  framework: format.startsWith('torch') ? 'pytorch' : 'tensorflow',
  evidence: [],
  sha256: '0'.repeat(64),
  sizeBytes: 1,
  runsStoredCode: false,
  needsModelCode: false,
  pickledClasses: [],
  packages: format.startsWith('torch') ? ['torch', 'onnx'] : ['tensorflow', 'tf2onnx'],
  declaredInputs: [],
  converted: null,
  summary: '',
  ...more,
});

describe('install commands', () => {
  it('uses pip of the chosen Python, quoted for the shell', () => {
    expect(installCommands('/opt/venv/bin/python', ['torch', 'onnx'], false)).toEqual(['/opt/venv/bin/python -m pip install torch onnx']);
    expect(installCommands('/home/me/my envs/python', ['tensorflow', 'tf2onnx'], false)).toEqual([
      "'/home/me/my envs/python' -m pip install tensorflow tf2onnx",
    ]);
    expect(installCommands('/usr/bin/python3', [], true)).toEqual([]);
  });

  it("offers Debian's packages for Debian's own Python, and a virtualenv where apt has none", () => {
    expect(installCommands('/usr/bin/python3', ['torch', 'onnx'], true)).toEqual([
      'sudo apt install python3-torch python3-onnx',
      '/usr/bin/python3 -m venv ~/.venvs/inferscope && ~/.venvs/inferscope/bin/python -m pip install torch onnx',
    ]);
    expect(installCommands('/usr/bin/python3', ['tensorflow', 'tf2onnx'], true)).toEqual([
      '/usr/bin/python3 -m venv ~/.venvs/inferscope && ~/.venvs/inferscope/bin/python -m pip install tensorflow tf2onnx',
    ]);
  });

  it('says what is missing where, with the command', () => {
    expect(missingMessage(env({ tensorflow: null, tf2onnx: null }), ['tensorflow', 'tf2onnx'])).toBe(
      'Python 3.11.7 at /opt/venv/bin/python lacks tensorflow and tf2onnx, which converting needs. Install them: ' +
        '/opt/venv/bin/python -m pip install tensorflow tf2onnx',
    );
  });
});

describe('the by-hand conversion', () => {
  it.each([
    ['keras-v3', 'tf2onnx.convert.from_keras(original, input_signature=specs, opset=opset, output_path=output)'],
    ['tflite', 'tf2onnx.convert.from_tflite(config["source"], opset=opset, output_path=output)'],
    ['tf-savedmodel', '"-m", "tf2onnx.convert", "--saved-model", config["source"], "--output", output'],
  ] as const)('converts %s with tf2onnx as the app does', (format, call) => {
    const made = instructionsFor(identity(format), env({ tensorflow: '2.16.1', tf2onnx: '1.16.1' }), {
      inputs: [{ name: 'x', shape: ['batch', 224, 224, 3], dtype: 'float32' }],
    });
    expect(made.install).toEqual([]);
    expect(made.script).toContain(call);
    expect(made.script).toContain('"opset": 18');
    expect(made.command).toMatch(/^\/opt\/venv\/bin\/python convert_(model|resnet)\.py$/);
  });

  it('lists every package when no Python has them, and says what the user must fill in', () => {
    const made = instructionsFor(identity('torch-state-dict', { needsModelCode: true }), null, { inputs: [] });
    expect(made.install).toEqual(expect.arrayContaining([expect.stringContaining('pip install torch onnx')]));
    expect(made.command).toBe('python3 convert_model.py');
    expect(made.script).toContain('# Set each input\'s shape in CONFIG["inputs"] first.');
    expect(made.script).toContain('# Set CONFIG["modelCode"] to the model\'s class or factory script first.');
  });

  it.skipIf(!python3)(
    'is Python that compiles and reads back exactly the config it was given',
    () => {
      const source = identity('torchscript', { path: "/models/it's ''' odd[1,  2]\\.pt", name: 'odd.pt' });
      const made = instructionsFor(source, env({ torch: '2.3.0', onnx: '1.16.0' }), {
        inputs: [{ name: 'image', shape: ['batch', 3, 224, 224], dtype: 'float32' }],
      });
      const file = path.join(dir, 'convert_odd.py');
      writeFileSync(file, made.script);
      const read = spawnSync(
        python3!,
        [
          '-c',
          'import json,sys; src=open(sys.argv[1]).read().split("\\nif __name__")[0]; ns={}; exec(src, ns); print(json.dumps(ns["CONFIG"]))',
          file,
        ],
        { encoding: 'utf8' },
      );
      expect(read.stderr).toBe('');
      const config = JSON.parse(read.stdout) as Record<string, unknown>;
      expect(config).toMatchObject({
        source: "/models/it's ''' odd[1,  2]\\.pt",
        format: 'torchscript',
        opset: 17,
        output: 'odd.onnx',
        seed: 1234,
      });
      expect(config.sampleShapes).toEqual([[[1, 3, 224, 224]], [[2, 3, 224, 224]]]);
      writeFileSync(path.join(dir, 'shipped.py'), conversionScript());
      expect(spawnSync(python3!, ['-m', 'py_compile', path.join(dir, 'shipped.py')], { encoding: 'utf8' }).stderr).toBe('');
    },
    60_000,
  );
});
