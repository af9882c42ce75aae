/**
 * The desktop app's IPC boundary, driven without the Electron binary: the real ipc registration,
 * the real host handlers and the real services (a real worker quantizes a real sample), with
 * fake senders and a fake save dialog standing in for Electron's frames and dialogs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServices, type Services } from '../../src/core/services';
import { nodeForkLauncher } from '../../src/core/worker-host/launcher';
import { COMMAND_NAMES, type Handlers, type Result } from '../../src/shared/contract';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX } from '../../src/shared/contract/names';
import { InferscopeError } from '../../src/shared/errors';
import { desktopHostHandlers, type SaveFileOptions } from '../../src/main/host-handlers';
import { registerIpc, trustedSender, type IpcFrame, type IpcInvokeEvent } from '../../src/main/ipc';
import { ownPage, type OwnPage } from '../../src/main/own-page';
import { SaveGrants } from '../../src/main/save-grants';
import { repoRoot } from '../support/build';

type Listener = (event: IpcInvokeEvent, request: unknown) => Promise<Result<unknown>>;

const rendererFile = path.join(repoRoot, 'out/renderer/index.html');
const production = ownPage({ packaged: true, devRendererUrl: undefined, rendererFile });
const ownUrl = production.url;

let dir: string;
let services: Services;
let handlers: Handlers;
/** What the fake save dialog answers next (null = the user cancelled), and what it was asked. */
let nextSave: string | null = null;
const saveDialogs: SaveFileOptions[] = [];
const sent: { channel: string; message: unknown }[] = [];

/** An ipcMain stand-in that keeps the listeners registerIpc hands it. */
function fakeIpc(page: OwnPage, checkedHandlers: Handlers): Map<string, Listener> {
  const listeners = new Map<string, Listener>();
  registerIpc({
    ipc: { handle: (channel, listener) => void listeners.set(channel, listener) },
    handlers: checkedHandlers,
    isTrustedSender: trustedSender(page.isOwnUrl),
  });
  return listeners;
}

const topFrame = (url: string): IpcFrame => ({ url, parent: null });
const refused = (code: string): { ok: false; error: { code: string } } => ({ ok: false, error: { code } });
const subframe = (url: string): IpcFrame => ({ url, parent: topFrame(ownUrl) });

function invokeFrom(listeners: Map<string, Listener>, frame: IpcFrame | null, command: string, request: unknown): Promise<Result<unknown>> {
  const listener = listeners.get(IPC_INVOKE_PREFIX + command);
  if (!listener) throw new Error(`no handler for ${command}`);
  const sender = { isDestroyed: () => false, send: (channel: string, message: unknown) => void sent.push({ channel, message }) };
  return listener({ senderFrame: frame, sender }, request);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-electron-ipc-'));
  services = createServices({
    host: 'electron',
    userDataDir: path.join(dir, 'home'),
    workerEntry: path.join(repoRoot, 'out/node/worker.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  const host = desktopHostHandlers(services, {
    dialogs: {
      openModel: () => Promise.resolve(null),
      saveFile: (options) => {
        saveDialogs.push(options);
        return Promise.resolve(nextSave);
      },
    },
    grants: new SaveGrants(),
    printPdf: () => Promise.reject(new InferscopeError('NOT_SUPPORTED', 'no PDF printing in this test')),
  });
  handlers = { ...services.handlers, ...host };
});

afterAll(async () => {
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('IPC senders', () => {
  it('registers one channel per contract command, and nothing else', () => {
    const listeners = fakeIpc(production, handlers);
    expect([...listeners.keys()].sort()).toEqual(COMMAND_NAMES.map((c) => IPC_INVOKE_PREFIX + c).sort());
  });

  it('answers our own page in the top frame, with or without query and fragment', async () => {
    const listeners = fakeIpc(production, handlers);
    const info = await invokeFrom(listeners, topFrame(ownUrl), 'app.info', {});
    expect(info.ok).toBe(true);
    expect((await invokeFrom(listeners, topFrame(`${ownUrl}?tab=model#top`), 'app.info', {})).ok).toBe(true);
  });

  it('refuses a subframe, a foreign page, another local file and a frame that is gone', async () => {
    const listeners = fakeIpc(production, handlers);
    const strangers = [
      subframe(ownUrl),
      topFrame('https://evil.example/'),
      topFrame(pathToFileURL(path.join(repoRoot, 'out/renderer/other.html')).href),
      topFrame('not a url'),
      null,
    ];
    for (const frame of strangers) {
      const result = await invokeFrom(listeners, frame, 'app.info', {});
      expect(result, JSON.stringify(frame)).toMatchObject(refused('UNAUTHORIZED'));
    }
  });

  it('refuses a frame whose URL cannot be read any more', async () => {
    const listeners = fakeIpc(production, handlers);
    const disposed: IpcFrame = {
      parent: null,
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    };
    expect(await invokeFrom(listeners, disposed, 'app.info', {})).toMatchObject(refused('UNAUTHORIZED'));
  });

  it('in development trusts exactly the dev server page, not its whole origin', async () => {
    const dev = ownPage({ packaged: false, devRendererUrl: 'http://localhost:5173/', rendererFile });
    expect(dev.url).toBe('http://localhost:5173/');
    const listeners = fakeIpc(dev, handlers);
    expect((await invokeFrom(listeners, topFrame('http://localhost:5173/'), 'app.info', {})).ok).toBe(true);
    expect((await invokeFrom(listeners, topFrame('http://localhost:5173/?v=1#x'), 'app.info', {})).ok).toBe(true);
    for (const url of ['http://localhost:5173/evil.html', 'http://localhost:5174/', 'http://127.0.0.1:5173/', ownUrl]) {
      expect(await invokeFrom(listeners, topFrame(url), 'app.info', {}), url).toMatchObject(refused('UNAUTHORIZED'));
    }
  });

  it('in a packaged app never trusts (or loads) a dev server URL, even when the variable is set', async () => {
    const packaged = ownPage({ packaged: true, devRendererUrl: 'http://localhost:5173/', rendererFile });
    expect(packaged.url).toBe(ownUrl);
    const listeners = fakeIpc(packaged, handlers);
    const result = await invokeFrom(listeners, topFrame('http://localhost:5173/'), 'app.info', {});
    expect(result).toMatchObject(refused('UNAUTHORIZED'));
  });
});

describe('variants.export writes only where the user chose', () => {
  let listeners: Map<string, Listener>;
  let variantId = '';
  let variantBytes: Buffer;
  const call = (command: string, request: unknown): Promise<Result<unknown>> => invokeFrom(listeners, topFrame(ownUrl), command, request);

  beforeAll(async () => {
    listeners = fakeIpc(production, handlers);
    const request = { source: { kind: 'sample', name: 'mlp' }, options: { mode: 'int8-dynamic' }, jobId: 'electron-ipc-1' };
    const made = await call('quantize.run', { request });
    if (!made.ok) throw new Error(`quantize.run failed: ${made.error.code} ${made.error.message}`);
    variantId = (made.value as { id: string }).id;
    variantBytes = readFileSync((await services.variantFile(variantId)).path);
  });

  it('sends the worker’s progress events to the page that asked', () => {
    const events = sent.filter((s) => s.channel === IPC_EVENT_CHANNEL).map((s) => (s.message as { event: string }).event);
    expect(events).toContain('quantize.progress');
  });

  it('refuses a path the renderer names that no save dialog handed out, and writes nothing', async () => {
    const outside = path.join(dir, 'not-chosen.onnx');
    // Relative and ../ paths that would land in the scratch folder if they were ever written.
    const climbing = path.relative(process.cwd(), path.join(dir, 'climbing.onnx'));
    expect(climbing.startsWith('..')).toBe(true);
    const candidates = [outside, climbing, `${climbing}/../relative.onnx`, '/proc/self/x/y', `${dir}/sub/../not-chosen.onnx`, ''];
    for (const target of candidates) {
      const result = await call('variants.export', { id: variantId, path: target });
      expect(result, target).toMatchObject(refused('PATH_NOT_ALLOWED'));
    }
    for (const file of ['not-chosen.onnx', 'climbing.onnx', 'relative.onnx']) expect(existsSync(path.join(dir, file)), file).toBe(false);
    expect(saveDialogs).toHaveLength(0);
  });

  it('shows no dialog and writes nothing for a sender that is not our page', async () => {
    nextSave = path.join(dir, 'foreign.onnx');
    const result = await invokeFrom(listeners, topFrame('https://evil.example/'), 'variants.export', { id: variantId });
    expect(result).toMatchObject(refused('UNAUTHORIZED'));
    expect(saveDialogs).toHaveLength(0);
    expect(existsSync(nextSave)).toBe(false);
    // Nor did the refused request grant that path for later.
    expect(await call('variants.export', { id: variantId, path: nextSave })).toMatchObject(refused('PATH_NOT_ALLOWED'));
  });

  it('exports where the save dialog says; that path may be used again, a different one may not', async () => {
    const chosen = path.join(dir, 'chosen', 'mlp-int8.onnx');
    mkdirSync(path.dirname(chosen));
    nextSave = chosen;
    const exported = await call('variants.export', { id: variantId });
    expect(exported).toEqual({ ok: true, value: { path: chosen } });
    expect(saveDialogs.at(-1)).toMatchObject({ title: 'Save the variant', defaultPath: expect.stringMatching(/\.onnx$/) });
    expect(readFileSync(chosen).equals(variantBytes)).toBe(true);

    rmSync(chosen);
    expect(await call('variants.export', { id: variantId, path: chosen })).toEqual({ ok: true, value: { path: chosen } });
    expect(readFileSync(chosen).equals(variantBytes)).toBe(true);

    const sibling = path.join(dir, 'chosen', 'other.onnx');
    expect(await call('variants.export', { id: variantId, path: sibling })).toMatchObject(refused('PATH_NOT_ALLOWED'));
    expect(existsSync(sibling)).toBe(false);
  });

  it('answers null when the user cancels the dialog', async () => {
    nextSave = null;
    const dialogsBefore = saveDialogs.length;
    expect(await call('variants.export', { id: variantId })).toEqual({ ok: true, value: null });
    expect(saveDialogs).toHaveLength(dialogsBefore + 1);
  });
});
