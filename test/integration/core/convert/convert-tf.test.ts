/**
 * TensorFlow → ONNX for real where a Python with tensorflow and tf2onnx exists (TensorFlow is not
 * packaged for Debian, so most machines here skip it, saying why): the same Keras model saved as
 * .keras, .h5, a SavedModel and .tflite, each converted with tf2onnx and checked in onnxruntime.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PythonFinder } from '../../../../src/core/convert/pythons';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { ConvertedModel } from '../../../../src/shared/domain/convert';
import { repoRoot } from '../../../support/build';
import { scratchServices, type ScratchServices } from '../../../support/services';

const pythons = await new PythonFinder().list();
const tfPython = pythons.find((p) => !p.error && p.packages.tensorflow && p.packages.tf2onnx && p.packages.onnx) ?? null;
const reason = `no Python found here has tensorflow, tf2onnx and onnx (looked at ${pythons.map((p) => p.path).join(', ') || 'none'})`;

let s: ScratchServices;
let models: string;

describe.skipIf(!tfPython)(`TensorFlow → ONNX, checked${tfPython ? ` with ${tfPython.path}` : ` (skipped: ${reason})`}`, () => {
  beforeAll(() => {
    s = scratchServices('convert-tf');
    models = path.join(s.dir, 'tf-models');
    const made = spawnSync(tfPython!.path, [path.join(repoRoot, 'test/support/tf-models.py'), models], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (made.status !== 0) throw new Error(`tf-models.py failed: ${made.stderr}`);
  }, 300_000);

  afterAll(async () => {
    await s?.dispose();
  });

  it.each([
    ['mlp.keras', 'keras-v3'],
    ['mlp.h5', 'keras-h5'],
    ['mlp_saved', 'tf-savedmodel'],
    ['mlp.tflite', 'tflite'],
  ])(
    'converts %s (%s) with tf2onnx and checks it against TensorFlow',
    async (file, format) => {
      const request = {
        jobId: `tf-${format}`,
        path: path.join(models, file),
        inputs: [{ name: 'features', shape: ['batch', 8], dtype: 'float32' }],
      };
      const result = await dispatch(s.handlers, 'convert.run', { request }, { emit: () => undefined });
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}\n${result.error.detail ?? ''}`);
      const model = result.value as ConvertedModel;
      console.info(`${file} → ${model.fileName} (${model.exporter}): max |Δ| ${model.check.maxAbsDiff}, cosine ${model.check.minCosine}`);
      expect(model.source.format).toBe(format);
      expect(model.exporter).toContain('tf2onnx');
      expect(model.check.passed).toBe(true);
    },
    300_000,
  );
});
