/**
 * Packaging of the desktop app (`npm run dist`). The Electron binary cannot be downloaded here, so
 * the config is checked as electron-builder reads it, the afterPack hook runs @electron/fuses for
 * real on a stand-in binary carrying Electron's fuse wire, and — where electron-vite's output
 * exists — electron-builder packs a Linux folder around that stand-in.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { afterPack, electronBinary, FUSES, type AfterPackContext } from '../../scripts/after-pack.mjs';
import { repoRoot } from '../support/build';

// The YAML parser electron-builder itself reads its config with.
const builderRequire = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };

interface PlatformConfig {
  target: string | string[];
  icon: string;
  files: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { output: string; buildResources: string };
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  afterPack: string;
  linux: PlatformConfig & { executableName: string };
  mac: PlatformConfig;
  win: PlatformConfig;
}

const config = yaml.load(readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** What main loads at run time (src/main/index.ts: its entry, the worker, the preload, the page). */
const APP_FILES = ['out/main/index.js', 'out/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

/** Electron's fuse wire: sentinel, wire version 1, length, one ASCII '0'/'1' per fuse. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's defaults, with a ninth fuse @electron/fuses 1.8 does not know (it must stay as it is). */
const STOCK_WIRE = '101100011';
const SHIPPED_WIRE = '010011011';

function standInElectron(file: string, wire = STOCK_WIRE): void {
  const filler = Buffer.alloc(256, 0x07);
  const fuses = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire)]);
  writeFileSync(file, Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), filler, fuses, filler]), { mode: 0o755 });
}

function wireOf(file: string): string {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(SENTINEL) + SENTINEL.length;
  return bytes.subarray(at + 2, at + 2 + (bytes[at + 1] ?? 0)).toString('latin1');
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'inferscope-packaging-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const linuxContext = (appOutDir: string): AfterPackContext => ({
  appOutDir,
  electronPlatformName: 'linux',
  arch: 1,
  packager: { executableName: config.linux.executableName, appInfo: { productFilename: config.productName } },
});

describe('electron-builder.yml', () => {
  it('names the app and writes its packages to dist/', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(config.productName).toBe('Inferscope');
    expect(config.directories).toEqual({ output: 'dist', buildResources: 'resources' });
  });

  it('builds an AppImage and a deb on Linux, a dmg on macOS and an NSIS installer on Windows, each with the icon', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
    for (const platform of [config.linux, config.mac, config.win]) expect(platform.icon).toBe('resources/icon.png');
    const icon = PNG.sync.read(readFileSync(path.join(repoRoot, 'resources/icon.png')));
    expect([icon.width, icon.height]).toEqual([512, 512]);
    expect(readFileSync(path.join(repoRoot, 'resources/icon.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 512 512"/);
  });

  it('packs electron-vite’s output (main, its worker, preload, renderer) into an asar, onnxruntime’s native code beside it', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/bin/**');
    expect(config.npmRebuild).toBe(false);
    const loaded = [packageJson.main, ...APP_FILES];
    for (const [name, platform] of Object.entries({ linux: config.linux, mac: config.mac, win: config.win })) {
      expect(platform.files.slice(0, 3), name).toEqual(['out/main/**', 'out/preload/**', 'out/renderer/**']);
      for (const file of loaded)
        expect(
          platform.files.some((p) => file.startsWith(p.replace('**', ''))),
          `${name}: ${file}`,
        ).toBe(true);
    }
    expect(packageJson.main).toBe('out/main/index.js');
  });

  it('flips the fuses in the afterPack hook; `npm run dist` builds first; the tools are pinned', () => {
    expect(config.afterPack).toBe('./scripts/after-pack.mjs');
    expect(existsSync(path.join(repoRoot, config.afterPack))).toBe(true);
    expect(packageJson.scripts.dist).toMatch(/^npm run build && electron-builder /);
    expect(packageJson.devDependencies['electron-builder']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(packageJson.devDependencies['@electron/fuses']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('fuses', () => {
  it('ships with Node-as-a-runtime, NODE_OPTIONS and inspector flags off, asar-only loading and integrity checks on', () => {
    expect(FUSES).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
    });
  });

  it('afterPack flips them in the binary and leaves fuses it does not know alone', async () => {
    const out = mkdtempSync(path.join(scratch, 'hook-'));
    standInElectron(path.join(out, config.linux.executableName));
    await afterPack(linuxContext(out));
    expect(wireOf(path.join(out, config.linux.executableName))).toBe(SHIPPED_WIRE);
  });

  it('fails the build when the binary’s wire has no room for a fuse', async () => {
    const out = mkdtempSync(path.join(scratch, 'short-'));
    standInElectron(path.join(out, config.linux.executableName), '1011');
    await expect(afterPack(linuxContext(out))).rejects.toThrow(/not long enough/);
  });

  it('finds the binary that carries the wire on each platform', () => {
    const context = (electronPlatformName: string): AfterPackContext => ({ ...linuxContext('/pack'), electronPlatformName });
    expect(electronBinary(context('linux'))).toBe(path.join('/pack', 'inferscope'));
    expect(electronBinary(context('win32'))).toBe(path.join('/pack', 'Inferscope.exe'));
    expect(electronBinary(context('darwin'))).toBe(path.join('/pack', 'Inferscope.app'));
  });
});

/** The paths in an asar archive's header (Chromium pickle: sizes, then the JSON file tree). */
function asarEntries(file: string): { path: string; unpacked: boolean }[] {
  const fd = openSync(file, 'r');
  try {
    const sizes = Buffer.alloc(16);
    readSync(fd, sizes, 0, 16, 0);
    const json = Buffer.alloc(sizes.readUInt32LE(12));
    readSync(fd, json, 0, json.length, 16);
    type Node = { files?: Record<string, Node>; unpacked?: boolean };
    const entries: { path: string; unpacked: boolean }[] = [];
    const walk = (node: Node, prefix: string): void => {
      for (const [name, child] of Object.entries(node.files ?? {})) {
        if (child.files) walk(child, `${prefix}${name}/`);
        else entries.push({ path: `${prefix}${name}`, unpacked: child.unpacked === true });
      }
    };
    walk(JSON.parse(json.toString('utf8')) as Node, '');
    return entries;
  } finally {
    closeSync(fd);
  }
}

const built = APP_FILES.every((f) => existsSync(path.join(repoRoot, f)));
const canPack = process.platform === 'linux' && process.arch === 'x64' && built;

describe('a Linux package folder around a stand-in Electron', () => {
  it.skipIf(!canPack)('holds the app in an asar, onnxruntime unpacked beside it, and the fuses flipped', () => {
    const electronDist = mkdtempSync(path.join(scratch, 'electron-'));
    standInElectron(path.join(electronDist, 'electron'));
    writeFileSync(path.join(electronDist, 'version'), '45.5.0');
    const output = path.join(scratch, 'dist');
    const cli = createRequire(import.meta.url).resolve('electron-builder/cli.js');
    const args = [cli, '--linux', 'dir', '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.directories.output=${output}`];
    const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/fuses set in inferscope/);

    const appDir = path.join(output, 'linux-unpacked');
    expect(wireOf(path.join(appDir, 'inferscope'))).toBe(SHIPPED_WIRE);
    const entries = asarEntries(path.join(appDir, 'resources/app.asar'));
    const own = entries.filter((e) => !e.path.startsWith('node_modules/')).map((e) => e.path);
    for (const file of ['package.json', ...APP_FILES]) expect(own).toContain(file);
    expect(own.filter((p) => !/^(package\.json|out\/(main|preload|renderer)\/)/.test(p) || p.endsWith('.map'))).toEqual([]);
    const binding = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node';
    expect(entries.find((e) => e.path === binding)?.unpacked).toBe(true);
    expect(existsSync(path.join(appDir, 'resources/app.asar.unpacked', binding))).toBe(true);
    expect(entries.some((e) => /onnxruntime-node\/bin\/napi-v6\/(darwin|win32)\//.test(e.path))).toBe(false);
  });
});
