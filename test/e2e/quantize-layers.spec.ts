import { deleteVariants, test, expect } from './fixtures';

/**
 * Per-layer SQNR in the Quantize view: an int8 dynamic variant of the MLP sample names its worst
 * layers, and one click makes it again with the worst one left in float, as a second variant.
 */
test.describe.configure({ mode: 'serial' });

test('lists the worst layers of a variant and re-quantizes without the worst one', async ({ app }) => {
  await app.getByTestId('nav-model').click();
  await app.getByTestId('sample-card-mlp').click();
  await expect(app.getByTestId('model-name')).toContainText('mlp');
  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('mlp');
  const list = app.getByTestId('variants-list');
  await expect(list).toBeVisible();
  await deleteVariants(app);
  const rows = app.locator('[data-testid^="variant-row-"]');

  const card = app.getByTestId('quantize-mode-int8-dynamic');
  await expect(card).toHaveAttribute('data-available', 'true');
  await card.click();
  // A new variant starts with nothing excluded (only "Use settings" and re-quantize fill the list).
  const exclude = app.getByTestId('quantize-exclude');
  if (await exclude.isVisible()) await expect(exclude).toHaveValue('');
  await app.getByTestId('quantize-run').click();
  await expect(rows).toHaveCount(1, { timeout: 30_000 });
  await expect(app.getByTestId('quantize-run')).toBeEnabled();
  const id = ((await rows.first().getAttribute('data-testid')) ?? '').replace(/^variant-row-/, '');
  const row = app.getByTestId(`variant-row-${id}`);
  await expect(row.getByTestId('variant-excluded')).toHaveCount(0);

  // The worst layers: the MLP's three Gemms, worst first, each with an SQNR in dB.
  const layers = row.getByTestId(`variant-layers-${id}`);
  await expect(layers).toHaveAttribute('data-count', '3');
  await layers.locator('summary').click();
  const layerRows = layers.getByTestId('variant-layer');
  await expect(layerRows).toHaveCount(3);
  const figures: number[] = [];
  for (let i = 0; i < 3; i++) {
    const layerRow = layerRows.nth(i);
    await expect(layerRow).toHaveAttribute('data-quantized', 'true');
    await expect(layerRow.locator('td').nth(1)).toHaveText('Gemm');
    await expect(layerRow.locator('td').nth(2)).toHaveText(/^\d+(\.\d+)? dB$/);
    figures.push(Number(await layerRow.getAttribute('data-db')));
  }
  expect([...figures].sort((a, b) => a - b)).toEqual(figures);
  expect(figures[0]).toBeGreaterThan(15);
  await expect(layers.getByTestId('variant-layers-note')).toContainText('Cumulative');
  const worst = (await layerRows.first().getAttribute('data-node')) ?? '';
  expect(worst).toMatch(/Gemm$/);

  // Exclude it and quantize again: the usual progress, then a second row whose options exclude it.
  await expect(layers.getByTestId(`variant-requantize-${id}`)).toHaveText(/Exclude the worst 1 and re-quantize/);
  await layers.getByTestId(`variant-requantize-${id}`).click();
  await expect(app.getByTestId('quantize-progress')).toBeVisible();
  await expect(rows).toHaveCount(2, { timeout: 30_000 });
  await expect(app.getByTestId('quantize-run')).toBeEnabled();
  await expect(app.getByTestId('quantize-make').getByTestId('error-panel')).toHaveCount(0);
  const second = app.locator(`[data-testid^="variant-row-"]:not([data-testid="variant-row-${id}"])`);
  await expect(second).toHaveAttribute('data-mode', 'int8-dynamic');
  await expect(second.getByTestId('variant-excluded')).toHaveAttribute('data-nodes', worst);
  const secondId = ((await second.getAttribute('data-testid')) ?? '').replace(/^variant-row-/, '');
  expect(secondId).not.toBe(id);
  // In the new variant that layer was left as it was; the other two are still transformed.
  const secondLayers = second.getByTestId(`variant-layers-${secondId}`);
  await secondLayers.locator('summary').click();
  await expect(secondLayers.locator(`[data-testid="variant-layer"][data-node="${worst}"]`)).toHaveAttribute('data-quantized', 'false');
  await expect(secondLayers.locator('[data-testid="variant-layer"][data-quantized="true"]')).toHaveCount(2);
  // The form follows, so the next variant made by hand keeps that node in float too.
  await expect(app.getByTestId('quantize-status')).toContainText('Made');
  await expect(app.getByTestId('quantize-exclude')).toHaveValue(worst);

  // Leave the host as found: other specs make their own variants from an empty form.
  for (const variantId of [secondId, id]) {
    await app.getByTestId(`variant-delete-${variantId}`).click();
    await app.getByTestId(`variant-delete-confirm-${variantId}`).click();
  }
  await expect(list).toHaveAttribute('data-count', '0');
});

test('"Until good" makes the variant again without its worst layers until the verdict is good, keeping each attempt', async ({ app }) => {
  await app.getByTestId('nav-model').click();
  await app.getByTestId('sample-card-mlp').click();
  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('mlp');
  await deleteVariants(app);
  const rows = app.locator('[data-testid^="variant-row-"]');
  await app.getByTestId('quantize-mode-int8-dynamic').click();
  await app.getByTestId('quantize-run').click();
  await expect(rows).toHaveCount(1, { timeout: 30_000 });
  await expect(app.getByTestId('quantize-run')).toBeEnabled();
  const id = ((await rows.first().getAttribute('data-testid')) ?? '').replace(/^variant-row-/, '');
  // Every variant says its verdict first: the MLP sample is evaluated on synthetic table rows made by Inferscope.
  await expect(app.getByTestId(`variant-verdict-${id}`)).toBeVisible();
  await expect(rows.first()).toHaveAttribute('data-verdict', /good|degraded|unusable|unverified/);

  const layers = app.getByTestId(`variant-layers-${id}`);
  await layers.locator('summary').click();
  await layers.getByTestId(`variant-auto-exclude-${id}`).click();
  await expect(app.getByTestId('quantize-progress')).toBeVisible();
  await expect(app.getByTestId('quantize-run')).toBeEnabled({ timeout: 60_000 });
  await expect(app.getByTestId('quantize-make').getByTestId('error-panel')).toHaveCount(0);
  // Each attempt is a variant of its own, with a verdict, ready to compare side by side.
  const count = await rows.count();
  expect(count).toBeGreaterThanOrEqual(1);
  for (let i = 0; i < count; i++) await expect(rows.nth(i)).toHaveAttribute('data-verdict', /good|degraded|unusable|unverified/);
  await deleteVariants(app);
});
