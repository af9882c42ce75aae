/**
 * The PyTorch files conversion tests open, made by test/support/torch-models.py with Debian's
 * python3-torch (/usr/bin/python3). Where that Python lacks torch or onnx the tests are skipped
 * with the reason, except on CI (CI set), where .ci/run installs them and a missing torch fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './build';

export const TORCH_PYTHON = '/usr/bin/python3';

function probeTorch(): { version: string | null; reason: string } {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import torch, onnx; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) return { version: null, reason: `${TORCH_PYTHON} does not run (${probe.error.message})` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return { version: null, reason: `${TORCH_PYTHON} cannot import torch and onnx (${last}); install python3-torch and python3-onnx` };
  }
  return { version: probe.stdout.trim(), reason: '' };
}

const probed = probeTorch();
/** torch's version at /usr/bin/python3, or null. */
export const torchVersion = probed.version;
/** Why the real-conversion tests are skipped here (empty when they run). */
export const noTorchReason = probed.reason;
/** On CI the packages are installed: their absence is a failure, not a skip. */
export const mustHaveTorch = Boolean(process.env.CI);
export const runTorchTests = torchVersion !== null || mustHaveTorch;

/** Makes the fixtures (cnn.pt, tagger.pt, whole.pt, weights.pth, …) in a new folder under `parent`. */
export function makeTorchFixtures(parent = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(parent, 'torch-fixtures-'));
  const made = spawnSync(TORCH_PYTHON, [path.join(repoRoot, 'test/support/torch-models.py'), dir], { encoding: 'utf8', timeout: 120_000 });
  if (made.status !== 0) throw new Error(`torch-models.py failed: ${made.stderr || made.error?.message}`);
  return dir;
}
