import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The Electron binary, if this machine has one (it cannot be downloaded everywhere). */
function electronBinary(): string | null {
  try {
    const dir = path.dirname(require.resolve('electron/package.json'));
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8'));
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();

test.describe('desktop app (Electron)', () => {
  test.skip(binary === null, 'No Electron binary on this machine (npm start downloads it where the network allows)');

  test('opens a secure window that shows the hardware and opens a sample', async () => {
    const app = await electron.launch({ executablePath: binary ?? undefined, args: [path.resolve('out/main/index.js')] });
    try {
      const window = await app.firstWindow();
      // Context isolation, sandbox and no Node integration: the page sees only window.api.
      const page = await window.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        api: Object.keys((globalThis as { api?: object }).api ?? {}).sort(),
      }));
      expect(page).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'on', 'pathForFile'] });
      await window.getByTestId('nav-hardware').click();
      await expect(window.getByTestId('provider-row-cpu')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
      await window.getByTestId('nav-model').click();
      await window.getByTestId('sample-card-mnist-cnn').click();
      await expect(window.getByTestId('model-name')).toContainText('mnist-cnn');
      // Navigation away from our own page is refused.
      await window.evaluate(() => {
        (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
      });
      await window.waitForTimeout(500);
      expect(window.url()).toMatch(/^file:|^http:\/\/localhost/);
    } finally {
      await app.close();
    }
  });
});
