import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { deleteVariants, test, expect } from './fixtures';

/**
 * Bringing a model as it was trained, in the browser host: a TorchScript CNN uploaded through the page is
 * recognised, given its input shape, converted with the machine's own Python, checked against the original,
 * opened, benchmarked and quantized, each naming the .pt it came from. A state_dict asks for the model's
 * code (and converts with it); a whole pickled module waits for the person's go-ahead.
 *
 * Needs Debian's python3-torch and python3-onnx: on CI a missing torch fails the tests, elsewhere they are skipped.
 */
test.describe.configure({ mode: 'serial' });

const PYTHON = '/usr/bin/python3';
const SHOTS = process.env.CONVERT_SHOTS_DIR ?? path.join(os.tmpdir(), 'convert-shots');

/** Why this machine cannot convert PyTorch files, or null. */
function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) return `${PYTHON} does not run (${probe.error.message}): install python3-torch and python3-onnx`;
  if (probe.status !== 0)
    return `${PYTHON} lacks torch or onnx (install python3-torch and python3-onnx): ${probe.stderr.trim().split('\n').pop()}`;
  return null;
}

/**
 * Each run makes files of its own (a fresh seed): the host keeps conversions by the source's content, and a file
 * converted by an earlier run would open from that cache instead of converting.
 */
const GENERATE = String.raw`
import os, sys, torch
from torch import nn
folder, seed = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, folder)
with open(os.path.join(folder, "model_def.py"), "w") as f:
    f.write('''
import torch
from torch import nn


class TinyMLP(nn.Module):
    def __init__(self, features=16, hidden=32, classes=4):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class LengthGate(nn.Module):
    def __init__(self, channels=4):
        super().__init__()
        self.proj = nn.Linear(channels, channels)

    def forward(self, x):
        # Decided in Python from the shape: an export keeps whichever branch its example took.
        if x.shape[1] > 8:
            return self.proj(x) * 2.0
        return self.proj(x) + 1.0
''')
with open(os.path.join(folder, "gate_factory.py"), "w") as f:
    f.write('from model_def import LengthGate\n\n\ndef make_model():\n    return LengthGate(channels=4)\n')
with open(os.path.join(folder, "crash_factory.py"), "w") as f:
    f.write('import sys\n\n\ndef make_model():\n    print("about to fail on purpose", file=sys.stderr, flush=True)\n'
            '    raise RuntimeError("the factory failed on purpose")\n')
with open(os.path.join(folder, "sleepy_factory.py"), "w") as f:
    f.write('import time\n\n\ndef make_model():\n    time.sleep(600)\n')
import model_def
torch.manual_seed(seed)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = nn.Linear(16, 10)

    def forward(self, image):
        x = torch.relu(self.conv1(image))
        x = torch.relu(self.conv2(x))
        return torch.softmax(self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)), dim=1)


cnn = SmallCnn().eval()
torch.jit.save(torch.jit.trace(cnn, torch.rand(1, 3, 32, 32)), os.path.join(folder, "small-cnn.pt"))
mlp = model_def.TinyMLP().eval()
torch.save(mlp.state_dict(), os.path.join(folder, "mlp-weights.pth"))
torch.save(mlp, os.path.join(folder, "mlp-whole.pt"))
torch.save(model_def.TinyMLP(hidden=8).state_dict(), os.path.join(folder, "slow-weights.pth"))
torch.save(model_def.LengthGate().state_dict(), os.path.join(folder, "gate-weights.pth"))
`;

let dir = '';

test.beforeAll(() => {
  const missing = torchMissing();
  if (missing && process.env.CI) throw new Error(`Converting PyTorch models is tested for real on CI: ${missing}`);
  test.skip(missing !== null, missing ?? '');
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-e2e-convert-'));
  mkdirSync(SHOTS, { recursive: true });
  const script = path.join(dir, 'generate.py');
  writeFileSync(script, GENERATE);
  const made = spawnSync(PYTHON, [script, dir, String(Date.now() % 1_000_000_007)], { encoding: 'utf8', timeout: 120_000 });
  if (made.status !== 0) throw new Error(`Making the PyTorch files failed: ${made.stderr || made.error?.message}`);
  // A Python without torch: a virtualenv that does not see the system's packages.
  const venv = spawnSync(PYTHON, ['-m', 'venv', '--without-pip', path.join(dir, 'bare-venv')], { encoding: 'utf8', timeout: 60_000 });
  if (venv.status !== 0) throw new Error(`Making a virtualenv failed: ${venv.stderr || venv.error?.message}`);
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startFresh(app: Page) {
  // 1024 px wide, as the app's narrowest supported window; tall enough that a card's screenshot shows all of it.
  await app.setViewportSize({ width: 1024, height: 1600 });
  await app.getByTestId('nav-model').click();
  if (await app.getByTestId('close-model').isVisible()) await app.getByTestId('close-model').click();
}

async function upload(app: Page, file: string) {
  const chooser = app.waitForEvent('filechooser');
  await app.getByTestId('open-model').click();
  await (await chooser).setFiles(file);
}

/** Drops a file on the page as a person drags it from their file manager. */
async function drop(app: Page, file: string) {
  const transfer = await app.evaluateHandle(
    ({ base64, name }) => {
      // Runs in the page: the DOM's DataTransfer, which these Node-typed tests do not declare.
      const { DataTransfer } = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name));
      return data;
    },
    { base64: readFileSync(file).toString('base64'), name: path.basename(file) },
  );
  const zone = app.getByTestId('drop-zone');
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
}

/** A Python the host found with torch and onnx is chosen by itself. */
async function expectReadyPython(app: Page) {
  const chosen = app.getByTestId('convert-python').locator('[data-testid="convert-python-option"]:has(input:checked)');
  await expect(chosen).toHaveAttribute('data-usable', 'true', { timeout: 60_000 });
  await expect(chosen).toContainText(/torch \d/);
}

test('a TorchScript file dropped into the page is converted, checked, opened, benchmarked and quantized', async ({ app }) => {
  test.setTimeout(300_000);
  await startFresh(app);
  await drop(app, path.join(dir, 'small-cnn.pt'));

  const card = app.getByTestId('convert-card');
  await expect(card).toBeVisible();
  // The host says what the file is from its content; nothing in the page ran it.
  await expect(app.getByTestId('convert-identity')).toHaveAttribute('data-format', 'torchscript');
  await expect(app.getByTestId('convert-identity')).toContainText('TorchScript');
  await expect(app.getByTestId('convert-source-name')).toHaveText('small-cnn.pt');
  await expect(app.getByTestId('convert-trust-note')).toHaveCount(0);
  await expectReadyPython(app);

  // The file names its input (forward's argument); its shape is the person's to give, batch kept dynamic.
  await expect(app.getByTestId('convert-input-name-0')).toHaveValue('image');
  const shape = app.getByTestId('convert-input-shape-0');
  await shape.fill('batch, 3, 32, 32!');
  await app.getByTestId('convert-start').click();
  await expect(app.getByTestId('convert-input-shape-error-0')).toContainText('“32!”');
  await shape.fill('batch, 3, 32, 32');
  await expect(app.getByTestId('convert-input-shape-error-0')).toHaveCount(0);
  await expect(app.getByTestId('convert-size-batch')).toHaveAttribute('placeholder', '1');
  await app.getByTestId('convert-size-batch').fill('2');
  await card.screenshot({ path: path.join(SHOTS, '1-identified.png') });

  await app.getByTestId('convert-start').click();
  const progress = app.getByTestId('convert-progress');
  await expect(progress).toBeVisible();
  await expect(app.getByTestId('convert-cancel')).toBeEnabled();
  await expect(app.getByTestId('convert-elapsed')).toHaveText(/\d+ s/);
  await card.screenshot({ path: path.join(SHOTS, '2-converting.png') });

  const result = app.getByTestId('convert-result');
  await expect(result).toBeVisible({ timeout: 180_000 });
  await expect(progress).toHaveCount(0);
  const check = result.getByTestId('convert-check');
  await expect(check).toHaveAttribute('data-passed', 'true');
  await expect(check.getByTestId('convert-check-output')).toHaveCount(1);
  await expect(check.getByTestId('convert-check-output')).toHaveAttribute('data-ok', 'true');
  const maxDiff = await check.getByTestId('convert-max-diff').textContent();
  const cosine = await check.getByTestId('convert-cosine').textContent();
  expect(Number(maxDiff)).toBeLessThan(1e-4);
  expect(Number(cosine)).toBeGreaterThan(0.9999);
  await expect(result.getByTestId('convert-opset')).toHaveText(/^\d+$/);
  await expect(result.getByTestId('convert-made-with')).toContainText(/Python 3\.\d+.* \/ torch \d/);
  await expect(result).toContainText('image float32[batch, 3, 32, 32]');
  await card.screenshot({ path: path.join(SHOTS, '3-verified.png') });
  console.log(`TorchScript CNN → ONNX, checked: max |Δ| ${maxDiff}, cosine ${cosine}; ${await check.textContent()}`);

  // The browser host downloads the converted model: an ONNX protobuf (its first field is ir_version, tag 0x08).
  const href = await result.getByTestId('convert-download').getAttribute('href');
  const download = await app.request.get(href ?? '');
  expect(download.status()).toBe(200);
  const bytes = await download.body();
  expect(bytes.length).toBeGreaterThan(1000);
  expect(bytes[0]).toBe(0x08);

  // Opened, it is an ONNX model like any other, naming the file it came from.
  await app.getByTestId('convert-open').click();
  await expect(app.getByTestId('model-name')).toContainText('small-cnn');
  await expect(app.getByTestId('convert-card')).toHaveCount(0);
  const origin = app.getByTestId('converted-from');
  await expect(origin).toContainText('Converted from small-cnn.pt');
  await expect(origin).toContainText('TorchScript');
  await expect(origin).toContainText('verified: max |Δ|');
  await expect(app.getByTestId('inputs-table')).toContainText('image');
  await app.screenshot({ path: path.join(SHOTS, '4-opened.png') });

  // The same file again: converted already, it opens from the cache with its figures.
  await app.getByTestId('close-model').click();
  await drop(app, path.join(dir, 'small-cnn.pt'));
  const cached = app.getByTestId('convert-cached');
  await expect(cached).toBeVisible();
  await expect(cached.getByTestId('convert-check')).toHaveAttribute('data-passed', 'true');
  await expect(cached.getByTestId('convert-max-diff')).toHaveText(maxDiff ?? '');
  await expect(cached.getByTestId('convert-made-with')).toContainText(/converted .+ with Python 3\.\d+.* \/ torch \d/);
  await expect(app.getByTestId('convert-again')).toBeVisible();
  await card.screenshot({ path: path.join(SHOTS, '4b-cached.png') });
  await app.getByTestId('convert-close').click();

  // The converted list on the start screen names the source, and so does Recent.
  await expect(app.getByTestId('recent-list').getByTestId('recent-converted-from').first()).toContainText('converted from small-cnn.pt');
  await expect(app.getByTestId('converted-list').getByTestId('converted-item').first()).toContainText('small-cnn.pt');
  await app.getByTestId('converted-list').getByTestId('converted-item').first().click();
  await expect(app.getByTestId('model-name')).toContainText('small-cnn');

  // A short benchmark on the CPU.
  await app.getByTestId('nav-bench').click();
  await expect(app.getByTestId('bench-converted-from')).toContainText('Converted from small-cnn.pt');
  const webgpu = app.getByTestId('bench-ep-webgpu');
  await expect(webgpu).toBeAttached({ timeout: 60_000 });
  if (await webgpu.isEnabled()) await webgpu.uncheck();
  await app.getByTestId('bench-advanced').locator('summary').click();
  await app.getByTestId('bench-min-time').fill('0.2');
  await app.getByTestId('bench-max-time').fill('0.6');
  await app.getByTestId('bench-warmup-max').fill('0.3');
  await app.getByTestId('bench-repetitions').fill('1');
  await app.getByTestId('bench-start').click();
  await expect(app.getByTestId('run-status')).toHaveAttribute('data-status', 'completed', { timeout: 90_000 });
  await expect(app.getByTestId('run-converted-from')).toContainText('converted from small-cnn.pt');
  await app.getByTestId('bench-converted-from').scrollIntoViewIfNeeded();
  await app.screenshot({ path: path.join(SHOTS, '5-benchmarked.png') });

  // And int8 dynamic.
  await app.getByTestId('nav-quantize').click();
  await expect(app.getByTestId('quantize-model')).toContainText('small-cnn');
  await expect(app.getByTestId('quantize-converted-from')).toContainText('Converted from small-cnn.pt');
  await expect(app.getByTestId('variants-list')).toBeVisible();
  await deleteVariants(app);
  const mode = app.getByTestId('quantize-mode-int8-dynamic');
  await expect(mode).toHaveAttribute('data-available', 'true');
  await mode.click();
  await app.getByTestId('quantize-run').click();
  const row = app.locator('[data-testid^="variant-row-"][data-mode="int8-dynamic"]');
  await expect(row).toHaveCount(1, { timeout: 60_000 });
  await expect(app.getByTestId('quantize-make').getByTestId('error-panel')).toHaveCount(0);
  await app.getByTestId('quantize-converted-from').scrollIntoViewIfNeeded();
  await app.screenshot({ path: path.join(SHOTS, '6-quantized.png') });
});

test('a state_dict asks for the model’s code, with a template, and converts with it', async ({ app }) => {
  test.setTimeout(240_000);
  await startFresh(app);
  // By path on the host this time.
  await app.getByTestId('path-input').fill(path.join(dir, 'mlp-weights.pth'));
  await app.getByTestId('path-open').click();

  await expect(app.getByTestId('convert-identity')).toHaveAttribute('data-format', 'torch-state-dict');
  const code = app.getByTestId('convert-model-code');
  await expect(code).toBeVisible();
  await expect(code).toHaveAttribute('data-kind', 'class');
  await expect(app.getByTestId('convert-code-template')).toContainText('class Net(nn.Module):');
  await app.getByTestId('convert-code-classname').fill('TinyMLP');
  await expect(app.getByTestId('convert-code-template')).toContainText('class TinyMLP(nn.Module):');
  await app.getByTestId('convert-code-factory').check();
  await expect(app.getByTestId('convert-code-template')).toContainText('def make_model():');
  await app.getByTestId('convert-code-class').check();
  await expectReadyPython(app);

  // Nothing declared: the person names the input.
  await app.getByTestId('convert-input-name-0').fill('x');
  await app.getByTestId('convert-input-shape-0').fill('batch, 16');
  await app.getByTestId('convert-code-kwargs').fill('{"hidden": ');
  const trust = app.getByTestId('convert-trust');
  if ((await trust.count()) > 0) await trust.check();
  await app.getByTestId('convert-start').click();
  // Missing code and bad JSON are the person's to fix before anything runs.
  await expect(app.getByTestId('convert-form-error')).toBeVisible();
  await expect(code).toContainText('A .py file, or a module');
  await expect(code).toContainText('Not valid JSON');
  await expect(app.getByTestId('convert-progress')).toHaveCount(0);
  await app.getByTestId('convert-code-module').fill(path.join(dir, 'model_def.py'));
  await app.getByTestId('convert-code-kwargs').fill('{"hidden": 32}');
  await app.getByTestId('convert-card').screenshot({ path: path.join(SHOTS, '7-state-dict.png') });

  await app.getByTestId('convert-start').click();
  const result = app.getByTestId('convert-result');
  await expect(result).toBeVisible({ timeout: 180_000 });
  await expect(result.getByTestId('convert-check')).toHaveAttribute('data-passed', 'true');
  console.log(`state_dict (TinyMLP) → ONNX, checked: ${await result.getByTestId('convert-check').textContent()}`);

  await app.getByTestId('convert-open').click();
  await expect(app.getByTestId('converted-from')).toContainText('Converted from mlp-weights.pth');
});

test('a whole pickled module waits for the person’s go-ahead; a slow conversion can be cancelled', async ({ app }) => {
  test.setTimeout(180_000);
  await startFresh(app);
  await upload(app, path.join(dir, 'mlp-whole.pt'));

  await expect(app.getByTestId('convert-identity')).toHaveAttribute('data-format', 'torch-module');
  const note = app.getByTestId('convert-trust-note');
  await expect(note).toContainText(
    'This file is a Python pickle: loading it runs code it contains. Only continue for a file you made or trust.',
  );
  await expect(note).toContainText('TinyMLP');
  await expectReadyPython(app);
  await app.getByTestId('convert-input-name-0').fill('x');
  await app.getByTestId('convert-input-shape-0').fill('1, 16');
  const start = app.getByTestId('convert-start');
  await expect(start).toBeDisabled();
  await expect(app.getByTestId('convert-blocked')).toContainText('Tick the box');
  await app.getByTestId('convert-card').screenshot({ path: path.join(SHOTS, '8-pickle-untrusted.png') });
  await app.getByTestId('convert-trust').check();
  await expect(start).toBeEnabled();
  await expect(app.getByTestId('convert-blocked')).toHaveCount(0);

  // The script to convert it by hand, with the shape typed.
  await app.getByTestId('convert-by-hand').locator('summary').click();
  await app.getByTestId('convert-by-hand-show').click();
  await expect(app.getByTestId('convert-script')).toContainText('torch');
  await expect(app.getByTestId('convert-command')).not.toBeEmpty();

  // A Python without the packages: the commands installing them, and Retry.
  const bare = path.join(dir, 'bare-venv', 'bin', 'python');
  await app.getByTestId('convert-python-path').fill(bare);
  await app.getByTestId('convert-python-check').click();
  const chosen = app.getByTestId('convert-python').locator('[data-testid="convert-python-option"]:has(input:checked)');
  await expect(chosen).toContainText('chosen by you');
  await expect(chosen).toContainText(bare);
  await expect(chosen).toHaveAttribute('data-usable', 'false');
  await expect(chosen).toContainText('lacks torch, onnx');
  await expect(app.getByTestId('convert-help-lead')).toContainText(`${bare} lacks torch and onnx`);
  await expect(app.getByTestId('convert-install')).toContainText(`${bare} -m pip install`);
  await expect(app.getByTestId('convert-script')).toContainText('torch.onnx.export');
  await expect(start).toBeDisabled();
  await expect(app.getByTestId('convert-blocked')).toContainText('This Python lacks torch, onnx');
  await app.getByTestId('convert-card').screenshot({ path: path.join(SHOTS, '9-packages-missing.png') });
  await app.getByTestId('convert-retry').click();
  await expect(app.getByTestId('convert-retry')).toBeEnabled();
  await expect(chosen).toContainText(bare);
  await expect(app.getByTestId('convert-help')).toBeVisible();
  // Back to a Python that has them: the help goes, Convert is offered again.
  await app.locator('[data-testid="convert-python-option"][data-usable="true"]').first().locator('input').check();
  await expect(app.getByTestId('convert-help-lead')).toHaveCount(0);
  await expect(start).toBeEnabled();

  // A state_dict whose factory never returns: Cancel stops it and keeps nothing.
  await app.getByTestId('convert-close').click();
  await app.getByTestId('path-input').fill(path.join(dir, 'slow-weights.pth'));
  await app.getByTestId('path-open').click();
  await expect(app.getByTestId('convert-model-code')).toBeVisible();
  await app.getByTestId('convert-code-factory').check();
  await app.getByTestId('convert-code-script').fill(path.join(dir, 'sleepy_factory.py'));
  await app.getByTestId('convert-input-name-0').fill('x');
  await app.getByTestId('convert-input-shape-0').fill('1, 16');
  const trust = app.getByTestId('convert-trust');
  if ((await trust.count()) > 0) await trust.check();
  await expectReadyPython(app);
  await app.getByTestId('convert-start').click();
  await expect(app.getByTestId('convert-progress')).toBeVisible();
  await expect(app.getByTestId('convert-elapsed')).toHaveText(/^[1-9]\d* s$/, { timeout: 15_000 });
  await app.getByTestId('convert-cancel').click();
  await expect(app.getByTestId('convert-cancelled')).toBeVisible({ timeout: 30_000 });
  await expect(app.getByTestId('convert-progress')).toHaveCount(0);
  await expect(app.getByTestId('convert-result')).toHaveCount(0);
  await expect(app.getByTestId('convert-start')).toBeEnabled();
});

test('a conversion that computes something else is refused with its figures; a crash shows what Python printed', async ({ app }) => {
  test.setTimeout(240_000);
  await startFresh(app);
  await app.getByTestId('path-input').fill(path.join(dir, 'gate-weights.pth'));
  await app.getByTestId('path-open').click();
  await expect(app.getByTestId('convert-model-code')).toBeVisible();
  await expectReadyPython(app);
  await app.getByTestId('convert-input-name-0').fill('x');
  await app.getByTestId('convert-input-shape-0').fill('batch, sequence, 4');
  await expect(app.getByTestId('convert-size-sequence')).toHaveAttribute('placeholder', '8');
  await app.getByTestId('convert-code-factory').check();

  await app.getByTestId('convert-code-script').fill(path.join(dir, 'crash_factory.py'));
  await app.getByTestId('convert-start').click();
  const panel = app.getByTestId('convert-card').getByTestId('error-panel');
  await expect(panel).toHaveAttribute('data-code', 'CONVERT_FAILED', { timeout: 120_000 });
  await expect(panel).toContainText('the factory failed on purpose');
  await expect(panel).toContainText('about to fail on purpose');

  // The trace at 16 keeps one branch; the check's other input set takes the other: refused, with the numbers.
  await app.getByTestId('convert-code-script').fill(path.join(dir, 'gate_factory.py'));
  await app.getByTestId('convert-size-sequence').fill('16');
  await app.getByTestId('convert-start').click();
  await expect(panel).toHaveAttribute('data-code', 'CONVERT_MISMATCH', { timeout: 120_000 });
  await expect(panel).toContainText('does not agree with the original');
  await expect(panel).toContainText(/max \|Δ\| [\d.]+/);
  // The figures as a table, per output, not as raw text.
  const figures = app.getByTestId('convert-mismatch');
  await expect(figures).toHaveAttribute('data-passed', 'false');
  await expect(figures.getByTestId('convert-check-output')).toHaveAttribute('data-ok', 'false');
  expect(Number(await figures.getByTestId('convert-cosine').textContent())).toBeLessThan(0.9999);
  await expect(panel).not.toContainText('"maxAbsDiff"');
  await expect(app.getByTestId('convert-result')).toHaveCount(0);
  await app.getByTestId('convert-card').screenshot({ path: path.join(SHOTS, '10-mismatch.png') });
  console.log(`CONVERT_MISMATCH shown: ${await panel.textContent()}`);
});

test('TensorFlow files are recognised by content; without TensorFlow the card says how to install it and convert by hand', async ({
  app,
}) => {
  test.setTimeout(120_000);
  // A TFLite flatbuffer is known by "TFL3" at byte 4, whatever its name; a SavedModel is a folder.
  const tflite = path.join(dir, 'classifier.bin');
  writeFileSync(tflite, Buffer.concat([Buffer.from([0x1c, 0, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(64)]));
  const saved = path.join(dir, 'saved_classifier');
  mkdirSync(path.join(saved, 'variables'), { recursive: true });
  writeFileSync(path.join(saved, 'saved_model.pb'), Buffer.from('\u0008\u0001 serving_default'));

  await startFresh(app);
  await app.getByTestId('path-input').fill(saved);
  await app.getByTestId('path-open').click();
  await expect(app.getByTestId('convert-identity')).toHaveAttribute('data-format', 'tf-savedmodel');
  await expect(app.getByTestId('convert-source-name')).toHaveText('saved_classifier');
  await expect(app.getByTestId('convert-evidence')).toContainText('saved_model.pb');

  await app.getByTestId('convert-close').click();
  await upload(app, tflite);
  await expect(app.getByTestId('convert-identity')).toHaveAttribute('data-format', 'tflite');
  await expect(app.getByTestId('convert-identity')).toContainText('TFL3');
  await expect(app.getByTestId('convert-python').getByTestId('convert-python-option').first()).toBeVisible({ timeout: 60_000 });
  const ready = app.locator('[data-testid="convert-python-option"][data-usable="true"]');
  if ((await ready.count()) > 0) {
    // This machine has TensorFlow and tf2onnx: the card offers to convert.
    await expect(app.getByTestId('convert-help-lead')).toHaveCount(0);
    return;
  }
  await expect(app.getByTestId('convert-help-lead')).toContainText(/lacks .*tensorflow|No Python was found/);
  await expect(app.getByTestId('convert-install')).toContainText('tensorflow');
  await expect(app.getByTestId('convert-install')).toContainText('tf2onnx');
  await expect(app.getByTestId('convert-script')).toContainText('tf2onnx');
  await expect(app.getByTestId('convert-start')).toBeDisabled();
  await app.getByTestId('convert-card').screenshot({ path: path.join(SHOTS, '11-tensorflow-missing.png') });
  await app.getByTestId('convert-retry').click();
  await expect(app.getByTestId('convert-retry')).toBeEnabled();
  await expect(app.getByTestId('convert-help')).toBeVisible();
});
