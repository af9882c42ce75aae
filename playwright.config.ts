import { defineConfig } from '@playwright/test';
import os from 'node:os';
import path from 'node:path';

const port = Number(process.env.INFERSCOPE_E2E_PORT ?? 5199);
export const E2E_TOKEN = 'e2e-access-token-0123456789abcdef';
/** Where the browser host under test keeps its runs, variants and settings. */
export const E2E_HOME = process.env.INFERSCOPE_HOME ?? path.join(os.tmpdir(), 'inferscope-e2e-home');

/**
 * End to end: the browser host (`inferscope serve`) in Debian's Chromium, clicked as a person would.
 * Playwright never downloads browsers here: the executable is always given.
 */
export default defineConfig({
  testDir: 'test/e2e',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // npm test reads the JSON report to count results; run by hand, the list is enough.
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME
    ? [['list'], ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME }]]
    : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-webgpu',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `node bin/inferscope.js serve --port ${port} --token ${E2E_TOKEN}`,
    url: `http://127.0.0.1:${port}/?token=${E2E_TOKEN}`,
    reuseExistingServer: false,
    timeout: 60_000,
    // npm test points INFERSCOPE_HOME at a scratch folder; run by hand, e2e data goes to a temporary one.
    env: { INFERSCOPE_HOME: E2E_HOME },
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
