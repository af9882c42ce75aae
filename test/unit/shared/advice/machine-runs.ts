/** One model measured on this laptop and on gpu-box (a saved machine): verdicts, comparisons and reports across machines. */
import type { MachineRef } from '../../../../src/shared/domain/machine';
import type { RunDocument } from '../../../../src/shared/domain/run';
import { syntheticRun } from '../../../fixtures/runs/build';

export const GPU_BOX: MachineRef = { id: 'gpu-box', name: 'gpu-box', url: 'http://127.0.0.1:5179' };

/** The model on this laptop: the CPU only, p95 near 31 ms at best, ≈ 70 req/s at two requests in flight. */
export function laptopRun(): RunDocument {
  return syntheticRun({
    id: 'laptop',
    machine: 'cpu-server',
    model: 'encoder',
    createdAt: '2026-11-20T09:00:00.000Z',
    configs: [
      { ep: 'cpu', threads: 8, concurrency: 1, seed: 51, n: 400, shape: { medianMs: 28, sigma: 0.05 } },
      { ep: 'cpu', threads: 8, concurrency: 2, seed: 52, n: 400, shape: { medianMs: 30, sigma: 0.05 } },
    ],
  });
}

/** The same model on gpu-box (measured there from this app): its CPU, and CUDA on an L4 up to concurrency 8. */
export function gpuBoxRun(): RunDocument {
  const run = syntheticRun({
    id: 'gpu-box-run',
    machine: 'gpu-server',
    model: 'encoder',
    createdAt: '2026-11-20T09:05:00.000Z',
    configs: [
      { ep: 'cpu', threads: 8, concurrency: 1, seed: 61, n: 400, shape: { medianMs: 26, sigma: 0.05 } },
      { ep: 'cuda', concurrency: 1, seed: 62, n: 2000, shape: { medianMs: 2.1, sigma: 0.05 } },
      { ep: 'cuda', concurrency: 2, seed: 63, n: 2000, shape: { medianMs: 2.4, sigma: 0.05 } },
      { ep: 'cuda', concurrency: 4, seed: 64, n: 2000, shape: { medianMs: 3.4, sigma: 0.05 } },
    ],
  });
  return { ...run, machine: GPU_BOX };
}
