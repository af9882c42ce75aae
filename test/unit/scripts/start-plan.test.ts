/**
 * `npm start` (scripts/start.mjs) runs the desktop app where Electron can open a window and otherwise the
 * browser host, building it first when out/ is missing or older than the sources.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUILD_OUTPUTS, buildNeeded, chooseHost, electronInstalled, openCommand, servingUrl } from '../../../scripts/start-plan.mjs';

const display = { DISPLAY: ':0' };
const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-start-'));
  temporary.push(dir);
  return dir;
}

function touch(file: string, seconds: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  utimesSync(file, seconds, seconds);
}

afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('which host npm start runs', () => {
  it('starts Electron when its binary is there, without downloading', () => {
    const download = vi.fn(() => false);
    expect(chooseHost({ platform: 'linux', env: display, electronReady: true, download })).toEqual({ host: 'electron' });
    expect(download).not.toHaveBeenCalled();
  });

  it('downloads a missing binary and starts Electron when that works', () => {
    const download = vi.fn(() => true);
    expect(chooseHost({ platform: 'darwin', env: {}, electronReady: false, download })).toEqual({ host: 'electron' });
    expect(download).toHaveBeenCalledOnce();
  });

  it('falls back to the browser host, saying why, when the download fails', () => {
    const choice = chooseHost({ platform: 'win32', env: {}, electronReady: false, download: () => false });
    expect(choice.host).toBe('browser');
    expect(choice.host === 'browser' && choice.reason).toMatch(/Electron binary could not be downloaded/);
    expect(choice.host === 'browser' && choice.reason).not.toContain('\n');
    const detailed = chooseHost({ platform: 'darwin', env: {}, electronReady: false, download: () => 'TypeError: fetch failed\n' });
    expect(detailed).toEqual({
      host: 'browser',
      reason: 'The Electron binary could not be downloaded (TypeError: fetch failed), so the desktop app cannot start.',
    });
  });

  it('uses the browser host on a Linux machine without a display, even with Electron installed, and never downloads', () => {
    const download = vi.fn(() => true);
    const choice = chooseHost({ platform: 'linux', env: {}, electronReady: true, download });
    expect(choice).toEqual({ host: 'browser', reason: expect.stringMatching(/No display/) });
    expect(download).not.toHaveBeenCalled();
    expect(chooseHost({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, electronReady: true, download })).toEqual({
      host: 'electron',
    });
  });

  it('finds the Electron binary through path.txt', () => {
    const dir = tempDir();
    expect(electronInstalled(dir)).toBe(false);
    writeFileSync(path.join(dir, 'path.txt'), 'electron');
    expect(electronInstalled(dir)).toBe(false);
    touch(path.join(dir, 'dist', 'electron'), 1000);
    expect(electronInstalled(dir)).toBe(true);
  });
});

describe('building before serving', () => {
  function project(outputsAt: number, sourcesAt: number): string {
    const root = tempDir();
    for (const file of BUILD_OUTPUTS) touch(path.join(root, file), outputsAt);
    touch(path.join(root, 'src', 'cli', 'index.ts'), sourcesAt);
    touch(path.join(root, 'package.json'), sourcesAt);
    for (const dir of ['src/cli', 'src']) utimesSync(path.join(root, dir), sourcesAt, sourcesAt);
    return root;
  }

  it('builds a clean clone, naming what is missing', () => {
    const root = tempDir();
    touch(path.join(root, 'src', 'cli', 'index.ts'), 1000);
    expect(buildNeeded(root)).toMatch(/not built yet \(out\/node\/cli\.js, out\/node\/worker\.js, out\/renderer\/index\.html missing\)/);
  });

  it('rebuilds when a source is newer than the build', () => {
    const root = project(2000, 1000);
    expect(buildNeeded(root)).toBeNull();
    touch(path.join(root, 'src', 'renderer', 'App.svelte'), 3000);
    expect(buildNeeded(root)).toBe('The build in out/ is older than src.');
  });

  it('rebuilds when one output is missing', () => {
    const root = project(2000, 1000);
    rmSync(path.join(root, 'out', 'renderer', 'index.html'));
    expect(buildNeeded(root)).toMatch(/out\/renderer\/index\.html missing/);
  });
});

describe('opening the URL', () => {
  const url = 'http://127.0.0.1:5178/?token=abc&x=1';

  it('uses the platform opener when there is a display', () => {
    expect(openCommand('linux', display, url)).toEqual({ command: 'xdg-open', args: [url] });
    expect(openCommand('darwin', {}, url)).toEqual({ command: 'open', args: [url] });
    expect(openCommand('win32', {}, url)).toEqual({ command: 'cmd', args: ['/c', 'start', '""', 'http://127.0.0.1:5178/?token=abc^&x=1'] });
  });

  it('only prints it without a display', () => {
    expect(openCommand('linux', {}, url)).toBeNull();
  });

  it('reads the URL from the line inferscope serve prints', () => {
    expect(servingUrl('Inferscope is serving at http://127.0.0.1:5178/?token=0123abcd')).toBe('http://127.0.0.1:5178/?token=0123abcd');
    expect(servingUrl('Open that URL in a browser (it carries the access token). Press Ctrl+C to stop.')).toBeNull();
  });
});
