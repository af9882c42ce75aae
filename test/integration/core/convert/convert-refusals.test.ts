/**
 * Every way a conversion is refused or stopped, each with its code and words: a pickle without the
 * user's go-ahead, weights without their class, missing or wrong shapes (with Python's last lines),
 * a factory that crashes, one that hangs (time limit) or is cancelled (the process tree is gone),
 * an export that computes something else (CONVERT_MISMATCH, nothing kept), a Python without torch.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../../src/shared/contract/dispatch';
import type { CommandRequest } from '../../../../src/shared/contract';
import type { ConvertedModel, ConvertProgress, SourceIdentity } from '../../../../src/shared/domain/convert';

/** A conversion request as a client writes it (defaults left out). */
type ConvertRequest = CommandRequest<'convert.run'>['request'];
import type { ErrorInfo } from '../../../../src/shared/errors';
import { scratchServices, type ScratchServices } from '../../../support/services';
import { makeTorchFixtures, noTorchReason, runTorchTests, TORCH_PYTHON } from '../../../support/torch-fixtures';

let s: ScratchServices;
let fixtures: string;
let jobs = 0;

async function failure(more: Partial<ConvertRequest> & { path: string }, onProgress?: (p: ConvertProgress) => void): Promise<ErrorInfo> {
  const jobId = more.jobId ?? `refused${++jobs}`;
  const request = { jobId, inputs: [{ name: 'x', shape: [1, 16] }], ...more, path: path.join(fixtures, more.path) };
  const emit = (event: string, payload: unknown) => void (event === 'convert.progress' && onProgress?.(payload as ConvertProgress));
  const result = await dispatch(s.handlers, 'convert.run', { request }, { emit });
  if (result.ok) throw new Error(`converted ${more.path}, expected a refusal`);
  return result.error;
}

/** Processes whose command line names this job's work folder (Linux: /proc). */
function processesOf(jobId: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`/.work/${jobId}-`)) found.push(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

const gateRequest = (factory: string): Partial<ConvertRequest> & { path: string } => ({
  path: 'gate.pth',
  inputs: [{ name: 'x', shape: ['batch', 'sequence', 4], dtype: 'float32' }],
  modelCode: { kind: 'factory', script: path.join(fixtures, factory) },
});

describe.skipIf(!runTorchTests)(`conversion refusals${runTorchTests ? '' : ` (skipped: ${noTorchReason})`}`, () => {
  beforeAll(() => {
    s = scratchServices('convert-refusals');
    fixtures = makeTorchFixtures(s.dir);
  });

  afterAll(async () => {
    await s?.dispose();
  });

  it('refuses to unpickle a whole module without the go-ahead, naming what it would run', async () => {
    const error = await failure({ path: 'whole.pt' });
    expect(error.code).toBe('CONVERT_NOT_TRUSTED');
    expect(error.message).toContain('whole.pt is a pickle: loading it runs code the file names (fixture_models.TinyMLP');
  });

  it('asks for the model class of a state_dict, with a factory template', async () => {
    const error = await failure({ path: 'weights.pth' });
    expect(error.code).toBe('CONVERT_NEEDS_CODE');
    expect(error.message).toContain('weights.pth holds weights only (a state_dict)');
    expect(error.detail).toContain('def make_model():');
    const wrong = await failure({ path: 'weights.pth', modelCode: { kind: 'factory', script: path.join(fixtures, 'gate_factory.py') } });
    expect(wrong.code).toBe('CONVERT_NEEDS_CODE');
    expect(wrong.message).toMatch(/The weights in weights\.pth do not fit LengthGate: .*Missing key/);
  });

  it('asks for shapes, and says which input did not fit with the last lines Python printed', async () => {
    const none = await failure({ path: 'cnn.pt', inputs: [] });
    expect(none.code).toBe('CONVERT_SHAPES_REQUIRED');
    expect(none.message).toContain('The file names it: image');
    const wrong = await failure({ path: 'cnn.pt', inputs: [{ name: 'image', shape: [1, 4, 32, 32], dtype: 'float32' }] });
    expect(wrong.code).toBe('CONVERT_SHAPES_REQUIRED');
    expect(wrong.message).toMatch(/did not run on the inputs given \(image \[1, 4, 32, 32\] \(float32\)\): .*channels/);
    expect(wrong.detail?.split('\n').length).toBeGreaterThan(3);
    expect(wrong.detail).toContain('Traceback');
  });

  it("reports a Python that fails inside the user's code with its last lines", async () => {
    const error = await failure(gateRequest('crash_factory.py'));
    expect(error.code).toBe('CONVERT_FAILED');
    expect(error.message).toContain('RuntimeError: the factory failed on purpose');
    expect(error.detail).toContain('about to fail on purpose');
  });

  it('refuses an export that computes something else, with the figures, and keeps nothing', async () => {
    // LengthGate branches on the length in Python: the trace at 16 keeps "× 2", the second set (8) takes "+ 1".
    const error = await failure({ ...gateRequest('gate_factory.py'), exampleSizes: { sequence: 16 } });
    expect(error.code).toBe('CONVERT_MISMATCH');
    expect(error.message).toMatch(/does not compute what the original computes .*output: max \|Δ\| [\d.]+ .*cosine 0\.\d+/);
    console.info(`CONVERT_MISMATCH: ${error.message}`);
    const listed = await dispatch(s.handlers, 'convert.list', {}, { emit: () => undefined });
    expect(listed.ok && (listed.value as ConvertedModel[]).some((m) => m.source.name === 'gate.pth')).toBe(false);
    const identity = await dispatch(s.handlers, 'convert.identify', { path: path.join(fixtures, 'gate.pth') }, { emit: () => undefined });
    expect(identity.ok && (identity.value as SourceIdentity).converted).toBe(null);
  });

  it('stops a conversion that runs past its time limit, with what Python printed', async () => {
    // Long enough for Python to import torch and reach the factory's sleep on a busy machine.
    process.env.INFERSCOPE_CONVERT_TIMEOUT_MS = '15000';
    try {
      const started = Date.now();
      const error = await failure({ ...gateRequest('sleepy_factory.py'), jobId: 'slow' });
      expect(error.code).toBe('CONVERT_TIMEOUT');
      expect(error.message).toBe('The conversion ran past its time limit of 15 s and was stopped.');
      expect(error.detail).toContain('sleeping before the model is made');
      expect(Date.now() - started).toBeLessThan(45_000);
      expect(processesOf('slow')).toEqual([]);
    } finally {
      delete process.env.INFERSCOPE_CONVERT_TIMEOUT_MS;
    }
  });

  it('cancels a running conversion and ends its Python', async () => {
    let cancelled: Promise<unknown> | undefined;
    const error = await failure({ ...gateRequest('sleepy_factory.py'), jobId: 'cancel-me' }, (progress) => {
      if (progress.message.startsWith('Running make_model()') && !cancelled) {
        cancelled = dispatch(s.handlers, 'convert.cancel', { jobId: 'cancel-me' }, { emit: () => undefined });
      }
    });
    expect(error.code).toBe('CANCELLED');
    expect(await cancelled).toEqual({ ok: true, value: { cancelled: true } });
    expect(processesOf('cancel-me')).toEqual([]);
  });

  it('says which packages a Python lacks and how to install them, and refuses a Python that is not there', async () => {
    const bare = path.join(s.dir, 'bare-venv');
    // A virtualenv of the same Python without its system packages: a real Python without torch.
    expect(spawnSync(TORCH_PYTHON, ['-m', 'venv', '--without-pip', bare]).status).toBe(0);
    const python = path.join(bare, 'bin', 'python');
    const error = await failure({ path: 'cnn.pt', python, inputs: [{ name: 'image', shape: [1, 3, 32, 32], dtype: 'float32' }] });
    expect(error.code).toBe('CONVERT_PACKAGES_MISSING');
    expect(error.message).toContain(`at ${python} lacks torch and onnx`);
    expect(error.detail).toBe(`${python} -m pip install torch onnx`);
    const missing = await failure({ path: 'cnn.pt', python: '/nonexistent/python3' });
    expect(missing.code).toBe('CONVERT_NO_PYTHON');
    expect(missing.message).toBe('There is no Python at /nonexistent/python3.');
  });
});
