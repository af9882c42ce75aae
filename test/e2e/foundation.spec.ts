import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModelBytes, GraphBuilder } from '../../src/core/onnx/build';
import { E2E_HOME } from '../../playwright.config';
import { test, expect } from './fixtures';

test.describe('foundation: hardware and model inspection in the browser host', () => {
  test('shows the CPU model and the status of every execution provider', async ({ app }) => {
    await app.getByTestId('nav-hardware').click();
    const brand = app.getByTestId('cpu-brand');
    await expect(brand).not.toBeEmpty();
    expect((await brand.textContent())?.trim().length).toBeGreaterThan(3);
    const cpu = app.getByTestId('provider-row-cpu');
    await expect(cpu).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    const webgpu = app.getByTestId('provider-row-webgpu');
    await expect(webgpu).toHaveAttribute('data-status', /ready|failed|no-device/);
    await expect(app.getByTestId('provider-row-cuda')).toHaveAttribute('data-status', /not-installed|no-device/);
  });

  test('opens a sample model and shows its inputs and operator chart', async ({ app }) => {
    await app.getByTestId('nav-model').click();
    await app.getByTestId('sample-card-mnist-cnn').click();
    await expect(app.getByTestId('model-name')).toContainText('mnist-cnn');
    const inputs = app.getByTestId('inputs-table');
    await expect(inputs).toContainText('float32');
    await expect(inputs).toContainText('28');
    const chart = app.getByTestId('op-chart').locator('canvas');
    await expect(chart).toBeVisible();
    const box = await chart.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThan(50);
    await expect(app.getByTestId('macs')).toContainText(/\d/);
    // Back on the start page, the model is in the recent files.
    await app.getByTestId('close-model').click();
    await expect(app.getByTestId('recent-list')).toContainText('mnist-cnn');
  });

  test('resolves symbolic dimensions of the transformer sample', async ({ app }) => {
    await app.getByTestId('nav-model').click();
    await app.getByTestId('sample-card-transformer-encoder').click();
    await expect(app.getByTestId('model-name')).toContainText('transformer-encoder');
    const dims = app.getByTestId('dims-form');
    await expect(dims).toBeVisible();
    await expect(app.getByTestId('inputs-table')).toContainText('sequence');
  });

  test('shows a clear error with its code for a corrupt file, and stays usable', async ({ app }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-'));
    const corrupt = path.join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is definitely not a protobuf model \u0000\u0001\u0002'.repeat(20)));
    await app.getByTestId('nav-model').click();
    await app.getByTestId('path-input').fill(corrupt);
    await app.getByTestId('path-open').click();
    const panel = app.getByTestId('error-panel');
    await expect(panel).toBeVisible();
    await expect(panel).toHaveAttribute('data-code', /MODEL_NOT_ONNX|MODEL_TRUNCATED/);
    await app.getByTestId('path-input').fill(path.join(dir, 'missing.onnx'));
    await app.getByTestId('path-open').click();
    await expect(app.getByTestId('error-panel')).toHaveAttribute('data-code', 'MODEL_NOT_FOUND');
    // Still usable: a sample opens after the errors.
    await app.getByTestId('sample-card-mlp').click();
    await expect(app.getByTestId('model-name')).toContainText('mlp');
  });

  test('uploads a model picked with the file chooser', async ({ app }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-'));
    const garbage = path.join(dir, 'uploaded.onnx');
    writeFileSync(garbage, Buffer.alloc(0));
    await app.getByTestId('nav-model').click();
    const chooser = app.waitForEvent('filechooser');
    await app.getByTestId('open-model').click();
    await (await chooser).setFiles(garbage);
    await expect(app.getByTestId('error-panel')).toHaveAttribute('data-code', 'MODEL_EMPTY');
    // The name the person chose, not where the host keeps the upload.
    await expect(app.getByTestId('error-panel')).toContainText('uploaded.onnx is empty');
    await expect(app.getByTestId('error-panel')).not.toContainText('uploads');
  });

  test('an uploaded model is removed from the host when it is closed, and leaves Recent', async ({ app }) => {
    const g = new GraphBuilder('upload-probe');
    const x = g.input('x', 'float32', [1, 4]);
    const w = g.initializer(
      'w',
      Float32Array.from({ length: 8 }, (_, i) => i / 8),
      [4, 2],
    );
    g.op('MatMul', [x, w], {}, { output: 'y', name: 'mm' });
    g.output('y', 'float32', [1, 2]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-upload-'));
    const file = path.join(dir, 'upload-probe.onnx');
    writeFileSync(file, buildModelBytes(g, { opset: 17 }));
    const uploads = path.join(E2E_HOME, 'uploads');
    const before = existsSync(uploads) ? readdirSync(uploads).length : 0;

    await app.getByTestId('nav-model').click();
    const chooser = app.waitForEvent('filechooser');
    await app.getByTestId('open-model').click();
    await (await chooser).setFiles(file);
    await expect(app.getByTestId('model-name')).toContainText('upload-probe');
    expect(readdirSync(uploads).length).toBe(before + 1);

    await app.getByTestId('close-model').click();
    await expect(app.getByTestId('recent-list')).toBeVisible();
    await expect(app.getByTestId('recent-list')).not.toContainText('upload-probe');
    await expect.poll(() => readdirSync(uploads).length).toBe(before);
  });
});
