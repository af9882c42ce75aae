import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';

/**
 * Several machines in one answer, as a person gets it from the browser host: another `inferscope serve` on loopback
 * (its own data folder and port) plays a GPU server reached through an SSH tunnel. It is added in the Machines view by
 * the URL it printed (a wrong token, nothing there and another contract version are refused, each with its code), its
 * hardware shows in the same cards as this machine's, one plan runs on both machines from the Benchmark form, Decide
 * gives one verdict over both with a price per machine, and the PDF names both. A run there can be cancelled, and the
 * machine killed mid-run fails that run as the machine's, while this app goes on.
 */
test.describe.configure({ mode: 'serial' });

const SHOTS = process.env.INFERSCOPE_SHOTS ?? path.join(os.tmpdir(), 'machines-shots');

interface Remote {
  url: string;
  port: number;
  proc: ChildProcess;
  home: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const homes: string[] = [];
const remotes: Remote[] = [];

/** `inferscope serve` on a port of its own, with its own data folder and HOME: the other machine. */
function startRemote(env: Record<string, string> = {}): Promise<Remote> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-remote-'));
  homes.push(home);
  const proc = spawn(process.execPath, ['bin/inferscope.js', 'serve', '--port', '0'], {
    env: { ...process.env, INFERSCOPE_HOME: path.join(home, 'data'), HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the other machine did not start: ${out}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`the other machine exited with ${code}: ${out}`)));
    proc.stdout?.on('data', () => {
      const match = /serving at (http:\/\/\S+)/.exec(out);
      if (!match?.[1]) return;
      clearTimeout(timer);
      const remote: Remote = {
        url: match[1],
        port: Number(new URL(match[1]).port),
        proc,
        home,
        stop: (signal = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      };
      remotes.push(remote);
      resolve(remote);
    });
  });
}

let gpuBox: Remote;

test.beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  gpuBox = await startRemote();
});

test.afterAll(async () => {
  await Promise.all(remotes.map((remote) => remote.stop()));
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** The whole view, however long, for the note that describes the flow. */
async function shot(app: Page, name: string) {
  const height = await app.locator('main').evaluate((el) => el.scrollHeight + 60);
  await app.setViewportSize({ width: 1280, height: Math.min(Math.max(height, 720), 4000) });
  await app.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  await app.setViewportSize({ width: 1280, height: 720 });
}

async function addMachine(app: Page, url: string, name: string) {
  await app.getByTestId('machine-url').fill(url);
  await app.getByTestId('machine-name').fill(name);
  await app.getByTestId('machine-add').click();
}

async function expectRefused(app: Page, code: string, message: RegExp) {
  const panel = app.getByTestId('machine-add-card').getByTestId('error-panel');
  await expect(panel).toHaveAttribute('data-code', code, { timeout: 60_000 });
  await expect(panel).toContainText(message);
}

test('adds the other machine by its URL, after refusing a wrong token, nothing there and another version', async ({ app }) => {
  await app.getByTestId('nav-machines').click();
  await expect(app.getByTestId('machines-view')).toBeVisible();
  // This machine is always listed first.
  await expect(app.locator('[data-testid^="machine-"][data-state]').first()).toHaveAttribute('data-testid', 'machine-local');
  await expect(app.getByTestId('machine-token-storage')).toContainText('in memory only');

  const host = new URL(gpuBox.url);
  await addMachine(app, `${host.origin}/?token=${'x'.repeat(32)}`, 'gpu-box');
  await expectRefused(app, 'MACHINE_UNAUTHORIZED', /gpu-box: it refused the access token/);
  await addMachine(app, `http://127.0.0.1:1/?token=${'y'.repeat(32)}`, 'nobody');
  await expectRefused(app, 'MACHINE_UNREACHABLE', /nobody: cannot reach http:\/\/127\.0\.0\.1:1/);
  await addMachine(app, host.origin, 'gpu-box');
  await expectRefused(app, 'BAD_REQUEST', /no access token/);
  const newer = await startRemote({ INFERSCOPE_TEST_HOOKS: '1', INFERSCOPE_TEST_CONTRACT_VERSION: '99' });
  await addMachine(app, newer.url, 'newer');
  await expectRefused(app, 'MACHINE_INCOMPATIBLE', /newer: /);
  await expect(app.getByTestId('machine-add-card').getByTestId('error-panel')).toContainText('contract 99 there, 1 here');
  await newer.stop();
  // None of those was saved.
  await expect(app.locator('[data-testid^="machine-"][data-state]')).toHaveCount(1);

  await addMachine(app, gpuBox.url, 'gpu-box');
  await expect(app.getByTestId('machine-added')).toContainText('gpu-box was checked and added', { timeout: 120_000 });
  const card = app.getByTestId('machine-gpu-box');
  await expect(card).toHaveAttribute('data-state', 'ready');
  await expect(card.getByTestId('machine-version')).toContainText('contract 1');
  await expect(card.getByTestId('machine-token-note')).toHaveAttribute('data-storage', 'memory');
  // Its hardware in the same cards as this machine's.
  await expect(card.getByTestId('cpu-brand')).not.toBeEmpty();
  await expect(card.getByTestId('providers').getByTestId('provider-row-cpu')).toHaveAttribute('data-status', 'ready');
  await expect(card.getByTestId('machine-ready-providers')).toContainText('CPU');
  await card.getByTestId('machine-check').click();
  await expect(card.getByTestId('machine-check')).toHaveText(/Check again/, { timeout: 60_000 });
  await expect(card).toHaveAttribute('data-state', 'ready');
  await shot(app, 'machines-view');
});

const ids: { here?: string; there?: string } = {};

/** The plan form set for a short run of the MNIST sample on the CPU, on the machines ticked. */
async function shortPlan(app: Page, machines: { here: boolean; there: boolean }, times: { min: string; max: string }) {
  await app.getByTestId('nav-bench').click();
  const model = app.getByTestId('bench-model');
  await expect(model.locator('option[value="sample:mnist-cnn"]')).toHaveCount(1);
  await model.selectOption('sample:mnist-cnn');
  await expect(app.getByTestId('bench-plan')).toContainText('8 nodes');
  const picker = app.getByTestId('bench-machine');
  await expect(picker).toBeVisible();
  if (machines.there) await app.getByTestId('bench-machine-gpu-box').check();
  if (machines.here) await app.getByTestId('bench-machine-local').check();
  else await app.getByTestId('bench-machine-local').uncheck();
  if (!machines.there) await app.getByTestId('bench-machine-gpu-box').uncheck();
  const webgpu = app.getByTestId('bench-ep-webgpu');
  await expect(app.getByTestId('bench-ep-cpu')).toBeAttached({ timeout: 60_000 });
  if ((await webgpu.count()) > 0 && (await webgpu.isEnabled()) && (await webgpu.isChecked())) await webgpu.uncheck();
  await expect(app.getByTestId('bench-ep-cpu')).toBeChecked();
  await app.getByTestId('bench-batches').fill('1');
  await app.getByTestId('bench-concurrency').fill('1, 2');
  const advanced = app.getByTestId('bench-advanced');
  if ((await advanced.getAttribute('open')) === null) await advanced.locator('summary').click();
  await app.getByTestId('bench-min-time').fill(times.min);
  await app.getByTestId('bench-max-time').fill(times.max);
  await app.getByTestId('bench-repetitions').fill('1');
  await app.getByTestId('bench-profile').uncheck();
}

test('runs one plan on this machine and on gpu-box, each run saved with its machine', async ({ app }) => {
  await shortPlan(app, { here: true, there: true }, { min: '0.5', max: '1.5' });
  await expect(app.getByTestId('bench-machine-local')).toBeChecked();
  await expect(app.getByTestId('bench-machine-gpu-box')).toBeChecked();
  await shot(app, 'plan-form-machines');
  await app.getByTestId('bench-start').click();

  const dashboard = app.getByTestId('run-dashboard');
  await expect(dashboard).toHaveAttribute('data-run-id', /.+/);
  ids.here = (await dashboard.getAttribute('data-run-id')) ?? '';
  const there = app.getByTestId('machine-run-gpu-box');
  await expect(there).toHaveAttribute('data-run-id', /.+/, { timeout: 60_000 });
  ids.there = (await there.getAttribute('data-run-id')) ?? '';
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(there).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(app.getByTestId('run-machine')).not.toContainText('gpu-box');

  // The Runs view lists both, the remote one with its machine's name.
  await app.getByTestId('nav-runs').click();
  await expect(app.getByText(/^gpu-box · /).first()).toBeVisible();
});

test('Decide gives one verdict over both machines, each with its price, and the PDF names both', async ({ app }) => {
  expect(ids.here && ids.there).toBeTruthy();
  await app.getByTestId('nav-decide').click();
  for (const id of [ids.here, ids.there]) {
    const box = app.getByTestId(`decide-run-${id}`);
    if (!(await box.isChecked())) await box.check();
  }
  await expect(app.getByTestId('decide-runs').locator('input:checked')).toHaveCount(2);
  await expect(app.getByTestId('decide-runs').getByTestId('decide-run-machine')).toContainText('on gpu-box');
  await app.getByTestId('decide-latency-percentile').selectOption('p95');
  await app.getByTestId('decide-latency-ms').fill('50');
  await app.getByTestId('decide-throughput').fill('200');
  await expect(app.getByTestId('decide-machine-prices')).toBeVisible();
  await app.getByTestId('decide-machine-price-local').fill('0.15');
  await app.getByTestId('decide-machine-price-gpu-box').fill('0.90');

  const card = app.getByTestId('verdict-card');
  await expect(card).toHaveAttribute('aria-busy', 'false');
  await expect(card).not.toHaveClass(/\bstale\b/);
  // A short run on a shared machine may be too noisy for a verdict; the machines are weighed side by side either way.
  await expect(card).toHaveAttribute('data-status', /^(cpu-suffices|insufficient-data)$/);
  await expect(app.getByTestId('verdict-summary')).toContainText('Machine by machine: CPU on this machine: ');
  await expect(app.getByTestId('verdict-summary')).toContainText('CPU on gpu-box: ');
  const rows = app.getByTestId('verdict-machines').getByTestId('verdict-machine-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute('data-machine', 'this machine');
  await expect(rows.nth(1)).toHaveAttribute('data-machine', 'gpu-box');
  await expect(rows.nth(1)).toContainText('$0.90/h');
  await expect(rows.nth(0)).toContainText('$0.15/h');
  await expect(app.getByTestId('cost-table')).toContainText('price of gpu-box, $0.90/h');
  await shot(app, 'decide-across-machines');

  const waiting = app.waitForEvent('download');
  await app.getByTestId('export-pdf').click();
  const pdf = await waiting;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-machines-pdf-'));
  try {
    const saved = path.join(scratch, 'report.pdf');
    copyFileSync(await pdf.path(), saved);
    const text = execFileSync('pdftotext', ['-layout', saved, '-'], { encoding: 'utf8' });
    expect(text).toContain('Machine by machine');
    expect(text).toMatch(/CPU on this machine/);
    expect(text).toMatch(/CPU on gpu-box/);
    expect(text).toMatch(/gpu-box \(each setup there\)\s+\$0\.90 per hour/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('makes a variant on gpu-box from the Quantize view: it is kept there, and listed there only', async ({ app }) => {
  await app.getByTestId('nav-model').click();
  await app.getByTestId('sample-card-mlp').click();
  await expect(app.getByTestId('model-name')).toContainText('mlp');
  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('mlp');
  await app.getByTestId('quantize-machine-gpu-box').check();
  const card = app.getByTestId('quantize-mode-int8-dynamic');
  await expect(card).toHaveAttribute('data-available', 'true', { timeout: 30_000 });
  await card.click();
  await app.getByTestId('quantize-run').click();
  const row = app.locator('[data-testid^="variant-row-"][data-mode="int8-dynamic"]');
  await expect(row).toHaveCount(1, { timeout: 60_000 });
  await expect(app.getByTestId('quantize-make').getByTestId('error-panel')).toHaveCount(0);
  const id = ((await row.getAttribute('data-testid')) ?? '').replace(/^variant-row-/, '');
  await expect(app.getByTestId(`variant-kept-on-${id}`)).toHaveText('kept on gpu-box');
  // Not this machine's: its list does not have it.
  await app.getByTestId('quantize-machine-local').check();
  await expect(app.getByTestId(`variant-row-${id}`)).toHaveCount(0);
});

test('a run on gpu-box can be cancelled; killed mid-run, the machine fails its run as its own and this app goes on', async ({ app }) => {
  await shortPlan(app, { here: true, there: true }, { min: '30', max: '60' });
  await app.getByTestId('bench-start').click();
  const there = app.getByTestId('machine-run-gpu-box');
  await expect(there).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await app.getByTestId('machine-run-cancel-gpu-box').click();
  await expect(there).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
  await app.getByTestId('bench-cancel').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });

  // On gpu-box alone: the run shown in full is that machine's, until the machine goes away.
  await shortPlan(app, { here: false, there: true }, { min: '30', max: '60' });
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect(app.getByTestId('run-machine')).toContainText('gpu-box · ');
  await expect(app.getByTestId('bench-progress')).toBeVisible();
  await gpuBox.stop('SIGKILL');
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  const failure = app.getByTestId('run-dashboard').getByTestId('error-panel');
  await expect(failure).toHaveAttribute('data-code', 'MACHINE_UNREACHABLE');
  await expect(failure).toContainText('The run on gpu-box stopped early');
  await expect(failure).toContainText(/gpu-box: the connection to http:\/\/127\.0\.0\.1:\d+ was lost/);
  await expect(app.getByTestId('connection')).toHaveCount(0);

  await app.getByTestId('nav-machines').click();
  const card = app.getByTestId('machine-gpu-box');
  await card.getByTestId('machine-check').click();
  await expect(card).toHaveAttribute('data-state', 'unreachable', { timeout: 60_000 });
  await expect(card.getByTestId('error-panel')).toHaveAttribute('data-code', 'MACHINE_UNREACHABLE');
  await card.getByTestId('machine-remove').click();
  await card.getByTestId('machine-remove-confirm').click();
  await expect(app.getByTestId('machine-gpu-box')).toHaveCount(0);
  // This machine measures on as before.
  await expect(app.getByTestId('machine-local')).toBeVisible();
});
