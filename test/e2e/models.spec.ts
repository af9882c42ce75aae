import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { DataType, encodeModelProto } from '../../src/core/onnx/codec';
import { corpusModels, isCached, modelFile } from '../../scripts/corpus.mjs';
import { detectorModel } from '../support/input-models';
import { floatTensor, makeModel, node, seededValues, tensorValue } from '../unit/core/onnx/helpers';
import { test, expect } from './fixtures';

/**
 * Models as people bring them, in the browser host: a detector whose H and W nothing sets (the input
 * profile typed once on the Model page sizes the benchmark and is kept when the model is reopened), a
 * legacy IR-3 / opset-9 model upgraded from the Model view, and a real OCR classifier from the corpus.
 */
test.describe.configure({ mode: 'serial' });

const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-models-'));

function legacyModel(file: string): string {
  const model = makeModel({
    irVersion: 3,
    opset: 9,
    inputs: [tensorValue('x', DataType.FLOAT, ['N', 3, 8, 8]), tensorValue('W', DataType.FLOAT, [4, 3, 3, 3])],
    outputs: [tensorValue('y', DataType.FLOAT)],
    initializers: [floatTensor('W', [4, 3, 3, 3], seededValues(108, 5))],
    nodes: [
      node('Conv', ['x', 'W'], ['c'], { pads: [1, 1, 1, 1] }, { name: 'conv' }),
      node('Clip', ['c'], ['r'], { min: { float: 0 }, max: { float: 6 } }, { name: 'clip' }),
      node('Softmax', ['r'], ['y'], {}, { name: 'softmax' }),
    ],
  });
  writeFileSync(file, encodeModelProto(model));
  return file;
}

/** A model file of its own for this test run: the host keeps profiles by content, and its data folder outlives runs. */
function unique(file: string): string {
  const stamp = encodeModelProto({ doc_string: `e2e ${Date.now()} ${Math.random()}` });
  writeFileSync(file, Buffer.concat([readFileSync(file), stamp]));
  return file;
}

async function openPath(app: Page, file: string) {
  await app.getByTestId('nav-model').click();
  if (await app.getByTestId('close-model').isVisible()) await app.getByTestId('close-model').click();
  await app.getByTestId('path-input').fill(file);
  await app.getByTestId('path-open').click();
  await expect(app.getByTestId('model-name')).toContainText(path.basename(file));
}

/** CPU only, short times, and a minimum run count out of reach so each configuration measures for its maximum time. */
async function quickCpuPlan(app: Page) {
  const webgpu = app.getByTestId('bench-ep-webgpu');
  await expect(webgpu).toBeAttached({ timeout: 60_000 });
  if (await webgpu.isEnabled()) await webgpu.uncheck();
  await app.getByTestId('bench-advanced').locator('summary').click();
  await app.getByTestId('bench-min-time').fill('0.2');
  await app.getByTestId('bench-max-time').fill('0.6');
  await app.getByTestId('bench-warmup-max').fill('0.3');
  await app.getByTestId('bench-repetitions').fill('1');
}

test('the input profile typed on the Model page sizes the benchmark, shows in the run, and is kept', async ({ app }) => {
  const file = unique(detectorModel(dir));
  await openPath(app, file);
  await expect(app.getByTestId('profile-saved')).toContainText('Nothing saved yet');
  await expect(app.getByTestId('dims-form')).toContainText('not set');
  await app.getByTestId('dim-input-H').fill('32');
  await app.getByTestId('dim-input-W').fill('48');
  await app.getByTestId('dims-apply').click();
  await expect(app.getByTestId('profile-saved')).toContainText('Saved for this model');
  await expect(app.getByTestId('macs')).toContainText(/\d/);

  await app.getByTestId('nav-bench').click();
  await expect(app.getByTestId('bench-dim-H')).toHaveValue('32');
  await expect(app.getByTestId('bench-dim-W')).toHaveValue('48');
  await quickCpuPlan(app);
  await expect(app.getByTestId('bench-duration')).toContainText(/about .+ in all/);
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(app.getByTestId('method-inputs-fed')).toContainText('images float32[1, 3, 32, 48] seeded random');
  await expect(app.getByTestId('method-input-profile')).toContainText('H=32, W=48');

  // Reopened later, the model comes with its profile.
  await openPath(app, file);
  await expect(app.getByTestId('dim-input-H')).toHaveValue('32');
  await expect(app.getByTestId('profile-saved')).toContainText('Saved for this model');
});

test('a legacy IR-3 / opset-9 model is upgraded from the Model view, checked, and opens at opset 13', async ({ app }) => {
  const file = unique(legacyModel(path.join(dir, 'legacy-cnn.onnx')));
  await openPath(app, file);
  await expect(app.getByTestId('model-ir')).toHaveText('v3');
  // N is a batch: 1 unless set, so nothing needs typing before the upgrade.
  await expect(app.getByTestId('dim-input-N')).toHaveValue('1');
  await app.getByTestId('upgrade-start').click();
  const result = app.getByTestId('upgrade-result');
  await expect(result).toContainText('IR 3 / opset 9 → IR 8 / opset 13', { timeout: 60_000 });
  await expect(result).toContainText('verified in onnxruntime');
  const download = app.waitForEvent('download');
  await app.getByTestId('upgrade-download').click();
  expect((await download).suggestedFilename()).toBe('legacy-cnn.opset13.onnx');
  await app.getByTestId('upgrade-open').click();
  await expect(app.getByTestId('model-name')).toContainText('legacy-cnn.opset13.onnx');
  await expect(app.getByTestId('model-ir')).toHaveText('v8');
  await expect(app.getByTestId('model-opsets')).toContainText('13');
  await expect(app.getByTestId('upgrade-card')).toHaveCount(0);
});

test('a real OCR classifier (opset 9, Paddle export) from the corpus: profile, upgrade, benchmark', async ({ app }) => {
  const model = corpusModels().find((m) => m.id === 'ppocr-v2-cls');
  test.skip(!model || !isCached(model), 'not in the corpus cache: run `npm run corpus:fetch`');
  if (!model) return;
  await openPath(app, modelFile(model.id));
  // [p2o.DynamicDimension.0, 3, H, W]: none of the three is named like a batch, so all are asked for.
  await app.getByTestId('dim-input-p2o.DynamicDimension.0').fill('1');
  await app.getByTestId('dim-input-p2o.DynamicDimension.1').fill('48');
  await app.getByTestId('dim-input-p2o.DynamicDimension.2').fill('192');
  // The host keeps profiles across runs of this test: saving is needed only when they differ.
  const apply = app.getByTestId('dims-apply');
  if (await apply.isEnabled()) await apply.click();
  await expect(app.getByTestId('profile-saved')).toContainText('Saved for this model');
  await app.getByTestId('upgrade-start').click();
  await expect(app.getByTestId('upgrade-result')).toContainText('→ IR 8 / opset 13', { timeout: 60_000 });

  await app.getByTestId('nav-bench').click();
  await expect(app.getByTestId('bench-dim-p2o.DynamicDimension.1')).toHaveValue('48');
  await quickCpuPlan(app);
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(app.getByTestId('method-inputs-fed')).toContainText('x float32[1, 3, 48, 192]');
  await expect(app.locator('[data-testid="bench-median"]').first()).toHaveText(/\d+(\.\d+)? (µs|ms)/);
});
