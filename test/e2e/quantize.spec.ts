import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { buildModelBytes, GraphBuilder } from '../../src/core/onnx/build';
import { deleteVariants, test, expect } from './fixtures';

/**
 * Quantizing from the browser host, as a person would: int8 and fp16 variants of the MLP sample,
 * their sizes and quality, a short side-by-side speed comparison on the CPU, exporting a variant
 * as a download, and deleting one.
 */
test.describe.configure({ mode: 'serial' });

const MEDIAN = /^\d+(\.\d+)? (ns|µs|ms)$/;

async function makeVariant(app: Page, mode: string): Promise<{ id: string; row: Locator }> {
  const card = app.getByTestId(`quantize-mode-${mode}`);
  // Availability comes from 'quantize.modes' for this model.
  await expect(card).toHaveAttribute('data-available', 'true');
  await card.click();
  await expect(card).toHaveAttribute('aria-checked', 'true');
  await app.getByTestId('quantize-run').click();
  const row = app.locator(`[data-testid^="variant-row-"][data-mode="${mode}"]`);
  await expect(row).toHaveCount(1, { timeout: 30_000 });
  // The job is over: the button is back and no error was shown.
  await expect(app.getByTestId('quantize-run')).toBeEnabled();
  await expect(app.getByTestId('quantize-make').getByTestId('error-panel')).toHaveCount(0);
  const testId = (await row.getAttribute('data-testid')) ?? '';
  return { id: testId.replace(/^variant-row-/, ''), row };
}

test('makes int8 and fp16 variants, compares their speed on the CPU, exports and deletes', async ({ app }) => {
  await app.getByTestId('nav-model').click();
  await app.getByTestId('sample-card-mlp').click();
  await expect(app.getByTestId('model-name')).toContainText('mlp');

  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('mlp');
  const list = app.getByTestId('variants-list');
  await expect(list).toBeVisible();
  await deleteVariants(app);

  // int8 dynamic: smaller, with an SQNR per output.
  const int8 = await makeVariant(app, 'int8-dynamic');
  const before = Number(await int8.row.getAttribute('data-size-before'));
  const after = Number(await int8.row.getAttribute('data-size-after'));
  expect(before).toBeGreaterThan(0);
  expect(after).toBeLessThan(before * 0.5);
  await expect(int8.row.getByTestId('variant-size')).toContainText('%');
  const sqnr = int8.row.getByTestId('variant-sqnr').first();
  await expect(sqnr).toHaveText(/^\d+(\.\d+)? dB$/);
  expect(Number(await sqnr.getAttribute('data-db'))).toBeGreaterThan(20);
  await expect(app.getByTestId('quantize-status')).toContainText('Made');

  // fp16 too: about half the size.
  const fp16 = await makeVariant(app, 'fp16');
  expect(Number(await fp16.row.getAttribute('data-size-after'))).toBeLessThan(before * 0.6);
  await expect(fp16.row.getByTestId('variant-sqnr').first()).toHaveText(/dB|identical/);
  await expect(app.locator('[data-testid^="variant-row-"]')).toHaveCount(2);

  // Side by side on the CPU only, with short measuring times.
  const compare = app.getByTestId('quantize-compare');
  await expect(compare.getByTestId('compare-ep-cpu')).toBeChecked({ timeout: 60_000 });
  const webgpu = compare.getByTestId('compare-ep-webgpu');
  if ((await webgpu.count()) > 0 && (await webgpu.isChecked())) await webgpu.uncheck();
  await expect(compare.getByTestId(`compare-variant-${int8.id}`)).toBeChecked();
  await expect(compare.getByTestId(`compare-variant-${fp16.id}`)).toBeChecked();
  await compare.getByTestId('compare-min-time').fill('0.3');
  await compare.getByTestId('compare-max-time').fill('1');
  await expect(compare.getByTestId('compare-hint')).toContainText('3 configurations');
  await compare.getByTestId('quantize-compare-start').click();
  await expect(compare.getByTestId('compare-results')).toBeVisible();
  // Another view and back while it measures: the comparison is still followed.
  await app.getByTestId('nav-hardware').click();
  await expect(app.getByTestId('cpu-brand')).not.toBeEmpty();
  await app.getByTestId('nav-quantize').click();

  const results = compare.getByTestId('compare-results');
  await expect(results).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  const table = compare.getByTestId('compare-table-cpu');
  for (const id of ['original', int8.id, fp16.id]) {
    const row = table.getByTestId(`compare-row-cpu-${id}`);
    await expect(row).toHaveAttribute('data-status', 'done');
    await expect(row.getByTestId('compare-median')).toHaveText(MEDIAN);
  }
  await expect(table.getByTestId(`compare-row-cpu-${int8.id}`).getByTestId('compare-speedup')).toHaveText(/×/);
  await expect(compare.getByTestId('quantize-scatter')).toHaveAttribute('data-points', '2');
  await expect(compare.getByTestId('quantize-advice')).not.toBeEmpty();
  const runId = (await compare.getByTestId('compare-run-id').textContent()) ?? '';
  expect(runId).not.toBe('');
  // The comparison is an ordinary run: the Runs view opens it.
  await compare.getByTestId('compare-open-run').click();
  await expect(app.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', runId);
  await app.getByTestId('nav-quantize').click();
  await expect(compare.getByTestId('compare-results')).toHaveAttribute('data-run-id', runId);

  // Export: the browser host downloads the variant's .onnx file.
  const download = app.waitForEvent('download');
  await int8.row.getByTestId(`variant-export-${int8.id}`).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^mlp.*-${int8.id}\\.onnx$`));
  const path = await file.path();
  const bytes = readFileSync(path);
  expect(bytes.length).toBeGreaterThan(0);
  expect(bytes.length).toBe(Number(await int8.row.getAttribute('data-file-size')));
  // A ModelProto starts with field 1 (ir_version) as a varint: tag byte 0x08.
  expect(bytes[0]).toBe(0x08);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path);
  expect(session.inputNames).toEqual(['features']);
  await session.release();

  // Delete asks once more, then the row goes.
  await fp16.row.getByTestId(`variant-delete-${fp16.id}`).click();
  await fp16.row.getByTestId(`variant-delete-confirm-${fp16.id}`).click();
  await expect(app.getByTestId(`variant-row-${fp16.id}`)).toHaveCount(0);
  await expect(app.locator('[data-testid^="variant-row-"]')).toHaveCount(1);
  // The host forgot it too: a fresh read of the list agrees.
  await app.reload();
  // The open model survives the reload.
  await app.getByTestId('nav-model').click();
  await expect(app.getByTestId('model-name')).toContainText('mlp');
  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('variants-list')).toHaveAttribute('data-count', '1');
  await expect(app.getByTestId(`variant-row-${int8.id}`)).toBeVisible();
});

test('quantizes the LSTM of an uploaded model when asked to', async ({ app }) => {
  // A keyword spotter as speech models are exported: a sequence-first LSTM and a dense head.
  const g = new GraphBuilder('keyword-spotter');
  const x = g.input('features', 'float32', [8, 1, 20]);
  const wave = (n: number, seed: number, gain: number) => Float32Array.from({ length: n }, (_, i) => gain * Math.sin(i * 0.61 + seed));
  const [, last] = g.node(
    'LSTM',
    [x, g.initializer('lstm_W', wave(128 * 20, 1, 0.3), [1, 128, 20]), g.initializer('lstm_R', wave(128 * 32, 2, 0.2), [1, 128, 32])],
    ['sequence', 'last'],
    { hidden_size: 32 },
    { name: 'lstm' },
  );
  const flat = g.op('Reshape', [last!, g.initializer('shape', BigInt64Array.from([-1n, 32n]), [2], 'int64')]);
  g.op('Gemm', [flat, g.initializer('head_W', wave(32 * 10, 3, 0.4), [32, 10])], {}, { output: 'scores', name: 'head' });
  g.output('scores', 'float32', [1, 10]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-lstm-'));
  const file = path.join(dir, 'keyword-spotter.onnx');
  writeFileSync(file, buildModelBytes(g, { opset: 17 }));

  await app.getByTestId('nav-model').click();
  const chooser = app.waitForEvent('filechooser');
  await app.getByTestId('open-model').click();
  await (await chooser).setFiles(file);
  await expect(app.getByTestId('model-name')).toContainText('keyword-spotter');

  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('keyword-spotter');
  await expect(app.getByTestId('variants-list')).toBeVisible();
  await deleteVariants(app);
  const card = app.getByTestId('quantize-mode-int8-dynamic');
  await expect(card).toHaveAttribute('data-available', 'true');
  await expect(card).toContainText('LSTMs stay float32 unless LSTM quantization is on');
  await card.click();
  const lstm = app.getByTestId('quantize-lstm');
  await expect(lstm).not.toBeChecked();
  await lstm.check();
  await app.getByTestId('quantize-run').click();
  const row = app.locator('[data-testid^="variant-row-"][data-mode="int8-dynamic"]').filter({ hasText: 'LSTM' });
  await expect(row).toHaveCount(1, { timeout: 30_000 });
  await expect(row.getByTestId('variant-label')).toHaveText('int8 dynamic (LSTM)');
  // The LSTM and the head.
  await expect(row.getByTestId('variant-nodes')).toHaveText('2');
  expect(Number(await row.getByTestId('variant-sqnr').first().getAttribute('data-db'))).toBeGreaterThan(20);
  rmSync(dir, { recursive: true, force: true });
});
