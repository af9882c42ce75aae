import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';

/**
 * Benchmarking from the browser host, as a person would: plan, live progress, results, cancel,
 * reload mid-run, WebGPU placement, and the run history. Measuring times are kept short (the
 * CI target is set out of reach so each configuration measures for exactly its time cap).
 */
test.describe.configure({ mode: 'serial' });

const runIds: { first?: string; cancelled?: string; webgpu?: string } = {};

async function openBenchWithSample(app: Page) {
  await app.getByTestId('nav-bench').click();
  const model = app.getByTestId('bench-model');
  await expect(model.locator('option[value="sample:mnist-cnn"]')).toHaveCount(1);
  await model.selectOption('sample:mnist-cnn');
  await expect(app.getByTestId('bench-plan')).toContainText('8 nodes');
  // Providers come from the hardware detection; CPU is always ready.
  await expect(app.getByTestId('bench-ep-cpu')).toBeChecked({ timeout: 60_000 });
}

/** Leaves only the CPU ticked, once detection has reported WebGPU (ready or not) so it cannot tick itself later. */
async function cpuOnly(app: Page) {
  const webgpu = app.getByTestId('bench-ep-webgpu');
  await expect(webgpu).toBeAttached({ timeout: 60_000 });
  if (await webgpu.isEnabled()) await webgpu.uncheck();
  await expect(app.getByTestId('bench-ep-cpu')).toBeChecked();
}

async function shortTimes(app: Page, minS: string, maxS: string) {
  await app.getByTestId('bench-advanced').locator('summary').click();
  await app.getByTestId('bench-min-time').fill(minS);
  await app.getByTestId('bench-max-time').fill(maxS);
  // Out of reach on purpose, so that measuring lasts exactly the maximum time even on a fast, quiet machine
  // (where a CI of ±0.01 % can be reached within a second).
  await app.getByTestId('bench-ci-target').fill('0.01');
  await app.getByTestId('bench-min-iterations').fill('100000000');
  await app.getByTestId('bench-warmup-max').fill('1');
  // One process per configuration keeps these timings exact; repetitions have their own test.
  await app.getByTestId('bench-repetitions').fill('1');
}

async function fractionOf(app: Page): Promise<number> {
  return Number((await app.getByTestId('bench-progress').getAttribute('data-fraction')) ?? 0);
}

test('measures the CPU live, stays responsive, and fills the results table', async ({ app }) => {
  await app.getByTestId('nav-model').click();
  await app.getByTestId('sample-card-mnist-cnn').click();
  await expect(app.getByTestId('model-name')).toContainText('mnist-cnn');

  await app.getByTestId('nav-bench').click();
  // The model open in the Model view is the one the plan measures.
  await expect(app.getByTestId('bench-model')).toHaveValue(/mnist-cnn/);
  await cpuOnly(app);
  await shortTimes(app, '0.5', '2');
  await expect(app.getByTestId('bench-config-count')).toContainText('1 configuration');

  await app.getByTestId('bench-start').click();
  const progress = app.getByTestId('bench-progress');
  await expect(progress).toBeVisible();
  const runId = await app.getByTestId('run-dashboard').getAttribute('data-run-id');
  expect(runId).toBeTruthy();
  runIds.first = runId ?? undefined;

  // Samples reach the live chart while measuring, and the bar moves.
  await expect
    .poll(async () => Number(await app.getByTestId('bench-live-chart').getAttribute('data-points')), { timeout: 20_000 })
    .toBeGreaterThan(0);
  const seen = await fractionOf(app);
  await expect.poll(() => fractionOf(app), { timeout: 10_000 }).toBeGreaterThan(seen);
  await expect(app.getByTestId('bench-histogram')).toBeVisible();

  // Another view and back while it measures: the run is still there.
  await app.getByTestId('nav-hardware').click();
  await expect(app.getByTestId('cpu-brand')).not.toBeEmpty();
  await app.getByTestId('nav-bench').click();
  await expect(app.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', runId ?? '');

  const row = app.getByTestId('bench-row-cpu_b1_t0_c1');
  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  await expect(row.getByTestId('bench-median')).toHaveText(/\d+(\.\d+)? (µs|ms)/);
  await expect(row.getByTestId('bench-placement')).toContainText('CPU');
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'completed');
  await expect(progress).toHaveCount(0);
  // The CI target was out of reach, and the run says so beside the configuration.
  await expect(app.getByTestId('bench-warnings')).toContainText('cpu/b1/t0/c1');

  // The profiling trace of the configuration comes down as a file.
  const trace = app.waitForEvent('download');
  await row.getByTestId('bench-trace-cpu_b1_t0_c1').click();
  const traceFile = await trace;
  expect(traceFile.suggestedFilename()).toMatch(/\.trace\.json$/);
  const traceText = readFileSync(await traceFile.path(), 'utf8');
  expect(traceText).toContain('CPUExecutionProvider');
});

test('measures a configuration in several fresh processes and gives the CI across them', async ({ app }) => {
  await openBenchWithSample(app);
  await cpuOnly(app);
  await shortTimes(app, '0.2', '0.6');
  await app.getByTestId('bench-repetitions').fill('3');
  await app.getByTestId('bench-profile').uncheck();
  await app.getByTestId('bench-start').click();
  // Progress names the repetition measuring once the second process has started.
  await expect(app.getByTestId('bench-phase')).toContainText(/Repetition [23] of 3/, { timeout: 30_000 });

  const row = app.getByTestId('bench-row-cpu_b1_t0_c1');
  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(row.getByTestId('bench-ci-scope')).toContainText('3 processes');
  await expect(row.getByTestId('bench-ci-scope')).toHaveAttribute('title', /across 3 fresh worker processes/);
  const details = app.getByTestId('run-config-details');
  await expect(details.getByTestId('run-ci-scope')).toContainText('includes run-to-run variation');
  await expect(details.getByTestId('run-repetitions').locator('tbody tr')).toHaveCount(3);
});

test('cancel keeps what finished, also from a page reloaded mid-run', async ({ app }) => {
  await openBenchWithSample(app);
  await cpuOnly(app);
  await app.getByTestId('bench-batches').fill('1, 2');
  // Long enough for a reload and a click while the second configuration measures, even on a loaded machine.
  await shortTimes(app, '0.5', '8');
  await expect(app.getByTestId('bench-config-count')).toContainText('2 configurations');
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('bench-progress')).toBeVisible();
  const runId = await app.getByTestId('run-dashboard').getAttribute('data-run-id');
  runIds.cancelled = runId ?? undefined;
  await expect(app.getByTestId('bench-row-cpu_b1_t0_c1')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });

  // A reload in the middle picks the run up again from the host.
  await app.reload();
  await expect(app.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', runId ?? '');
  await expect(app.getByTestId('bench-progress')).toBeVisible();
  await expect(app.getByTestId('bench-row-cpu_b1_t0_c1')).toHaveAttribute('data-status', 'done');

  await app.getByTestId('bench-cancel').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled', { timeout: 10_000 });
  await expect(app.getByTestId('bench-row-cpu_b1_t0_c1')).toHaveAttribute('data-status', 'done');
  await expect(app.getByTestId('bench-row-cpu_b1_t0_c1').getByTestId('bench-median')).toHaveText(/\d/);
  await expect(app.getByTestId('bench-row-cpu_b2_t0_c1')).toHaveAttribute('data-status', 'cancelled');
  await expect(app.getByTestId('run-configs-done')).toContainText('1 / 2');
});

test('shows where WebGPU (on a software adapter) ran the operators', async ({ app }) => {
  await openBenchWithSample(app);
  const webgpu = app.getByTestId('bench-ep-webgpu');
  await expect(webgpu).toBeAttached({ timeout: 60_000 });
  test.skip(!(await webgpu.isEnabled()), 'WebGPU is not ready on this machine');
  await app.getByTestId('bench-ep-cpu').uncheck();
  await expect(webgpu).toBeChecked();
  await shortTimes(app, '0.3', '0.6');
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('bench-progress')).toBeVisible();
  runIds.webgpu = (await app.getByTestId('run-dashboard').getAttribute('data-run-id')) ?? undefined;

  const row = app.getByTestId('bench-row-webgpu_b1_t0_c1');
  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 45_000 });
  const placement = row.getByTestId('bench-placement');
  await expect(placement).toHaveAttribute('data-providers', /WebGPU/);
  await expect(placement.getByTestId('bench-placement-WebGPU')).toContainText('%');
  await expect(row).toContainText('software');
  await expect(app.getByTestId('bench-warnings')).toContainText('software adapter');
});

test('lists the runs, opens one read-only, exports, imports and deletes', async ({ app }) => {
  expect(runIds.first && runIds.cancelled).toBeTruthy();
  await app.getByTestId('nav-runs').click();
  const list = app.getByTestId('runs-list');
  await expect(list.getByTestId(`run-row-${runIds.first}`)).toHaveAttribute('data-status', 'completed');
  await expect(list.getByTestId(`run-row-${runIds.cancelled}`)).toHaveAttribute('data-status', 'cancelled');
  await expect(list.getByTestId(`run-row-${runIds.cancelled}`)).toContainText('1 / 2');
  if (runIds.webgpu) await expect(list.getByTestId(`run-row-${runIds.webgpu}`)).toBeVisible();

  await app.getByTestId(`run-open-${runIds.first}`).click();
  await expect(app.getByTestId('run-dashboard')).toHaveAttribute('data-run-id', runIds.first ?? '');
  const row = app.getByTestId('bench-row-cpu_b1_t0_c1');
  await expect(row).toHaveAttribute('data-status', 'done');
  await expect(row.getByTestId('bench-median')).toHaveText(/\d/);
  await expect(app.getByTestId('run-config-histogram').locator('canvas')).toBeVisible();
  await expect(app.getByTestId('run-config-samples')).toHaveAttribute('data-points', /[1-9]/);
  await expect(app.getByTestId('run-method')).toContainText('Warm-up');
  await expect(app.getByTestId('run-environment')).toContainText('onnxruntime');

  // Export the run as JSON, then import the file as if it came from another machine.
  const download = app.waitForEvent('download');
  await app.getByTestId('bench-export-json').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^mnist-cnn-.*\.run\.json$/);
  const exported = JSON.parse(readFileSync(await file.path(), 'utf8')) as { id: string; schema: string };
  expect(exported).toMatchObject({ id: runIds.first, schema: 'inferscope.run' });

  await app.getByTestId('run-back').click();
  const chooser = app.waitForEvent('filechooser');
  await app.getByTestId('runs-import').click();
  await (await chooser).setFiles(await file.path());
  const imported = app.getByTestId('run-dashboard');
  await expect(imported).toBeVisible();
  const importedId = await imported.getAttribute('data-run-id');
  expect(importedId).toBeTruthy();
  expect(importedId).not.toBe(runIds.first);
  await expect(app.getByTestId('run-environment')).toContainText('Imported');
  await expect(app.getByTestId('bench-row-cpu_b1_t0_c1')).toHaveAttribute('data-status', 'done');

  // Delete asks once more before it deletes.
  await app.getByTestId(`run-delete-${importedId}`).click();
  await app.getByTestId(`run-delete-confirm-${importedId}`).click();
  await expect(app.getByTestId('runs-list')).toBeVisible();
  await expect(app.getByTestId(`run-row-${importedId}`)).toHaveCount(0);
  await expect(app.getByTestId(`run-row-${runIds.first}`)).toBeVisible();
});
