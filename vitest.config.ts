import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          // Replays attacks against a real `inferscope serve` and real worker processes.
          globalSetup: ['test/support/setup-build.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/corpus/**/*.test.ts'],
          // Builds the CLI and worker bundles once: integration tests fork the real worker.
          globalSetup: ['test/support/setup-build.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real onnxruntime sessions in real worker processes: on a 2-core machine
          // parallel files only fight over the same cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
