import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { COMMAND_NAMES, type CommandName, type Handlers } from '../../../../../src/shared/contract';
import type { ProviderStatus } from '../../../../../src/shared/domain/hardware';
import { InferscopeError } from '../../../../../src/shared/errors';
import { startServer, type RunningServer } from '../../../../../src/server/index';
import { BackendError, type ConnectionState } from '../../../../../src/renderer/lib/backend/types';
import { createWebBackend, type SocketLike, type WebBackend } from '../../../../../src/renderer/lib/backend/web';

// The renderer's WebSocket client against the real browser host on loopback (so it lives with the
// integration tests: it needs Node and the server). Only the services behind the host are
// stand-ins: this test is about the transport, not about what the commands compute.

const provider: ProviderStatus = { name: 'cpu', displayName: 'CPU', status: 'ready', detail: 'ok', probeMs: 3 };
const appInfo = {
  name: 'Inferscope' as const,
  version: '0.0.0-test',
  host: 'browser' as const,
  contractVersion: 1,
  userDataDir: '/tmp/x',
  versions: { node: process.versions.node, onnxruntime: '1.30.0', electron: null, chromium: null },
};

function notHere(command: CommandName) {
  return async () => {
    throw new InferscopeError('NOT_SUPPORTED', `${command} is not part of this test`);
  };
}

/** Every command answers NOT_SUPPORTED except the ones a test needs. */
function withDefaults(covered: Partial<Handlers>): Handlers {
  return { ...Object.fromEntries(COMMAND_NAMES.map((command) => [command, notHere(command)])), ...covered } as Handlers;
}

let releaseSlowCall: () => void = () => {};

const handlers = withDefaults({
  'app.info': async () => appInfo,
  'hardware.detect': async (_request, context) => {
    context.emit('hardware.provider', provider);
    throw new InferscopeError('EP_FAILED', 'probe went wrong');
  },
  'samples.list': async () => [],
  'model.inspect': async () => {
    throw new InferscopeError('MODEL_NOT_ONNX', 'This file is not an ONNX model');
  },
  'model.close': async () => ({ removed: false }),
  'recent.list': () => new Promise((resolve) => (releaseSlowCall = () => resolve([]))),
});

let dir: string;
let server: RunningServer;
let backend: WebBackend | undefined;

async function start(port = 0, maxMessageBytes?: number) {
  return startServer({
    handlers,
    staticDir: dir,
    uploadsDir: path.join(dir, 'uploads'),
    port,
    token: 'test-token-0123456789abcdef',
    ...(maxMessageBytes ? { maxMessageBytes } : {}),
  });
}

function connect(server: RunningServer, options: { backoffMs?: number[]; maxMessageBytes?: number } = {}): WebBackend {
  const base = `127.0.0.1:${server.port}`;
  return createWebBackend({
    socketUrl: `ws://${base}/ws?token=${server.token}`,
    uploadUrl: `http://${base}/api/upload`,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    chooseFile: async () => null,
    // Node's fetch keeps no cookies; send the one the host sets for the page.
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: `inferscope_token=${server.token}` } }),
    ...options,
  });
}

function waitFor(backend: WebBackend, wanted: ConnectionState): Promise<void> {
  return new Promise((resolve) => {
    const stop = backend.onConnection((state) => {
      if (state === wanted) {
        queueMicrotask(() => stop());
        resolve();
      }
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'inferscope-web-backend-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>test</title>');
  server = await start();
});

afterEach(async () => {
  backend?.close();
  backend = undefined;
  releaseSlowCall();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('web backend', () => {
  it('invokes a command and resolves with its value', async () => {
    backend = connect(server);
    await expect(backend.invoke('app.info', {})).resolves.toEqual(appInfo);
  });

  it('rejects with the contract error code and message', async () => {
    backend = connect(server);
    const error = await backend.invoke('model.inspect', { source: { kind: 'sample', name: 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'MODEL_NOT_ONNX', message: 'This file is not an ONNX model' });
  });

  it('refuses names outside the contract without sending them', async () => {
    backend = connect(server);
    const error = await backend.invoke('model.delete' as CommandName, {} as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNKNOWN_COMMAND' });
    expect(() => backend?.on('model.deleted' as 'hardware.provider', () => {})).toThrow(BackendError);
  });

  it('refuses a message over the limit before sending it, and keeps the connection', async () => {
    backend = connect(server, { maxMessageBytes: 4096 });
    await waitFor(backend, 'connected');
    const error = await backend.invoke('runs.import', { fileName: 'big.json', text: 'x'.repeat(5000) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(backend.invoke('app.info', {})).resolves.toEqual(appInfo);
  });

  it('turns the host closing for a message too large (1009) into PAYLOAD_TOO_LARGE', async () => {
    await server.close();
    server = await start(0, 4096);
    backend = connect(server, { backoffMs: [20] });
    await waitFor(backend, 'connected');
    const error = await backend.invoke('runs.import', { fileName: 'big.json', text: 'x'.repeat(5000) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // The page reconnects and goes on.
    await waitFor(backend, 'connected');
    await expect(backend.invoke('app.info', {})).resolves.toEqual(appInfo);
  });

  it('delivers events to listeners until they unsubscribe', async () => {
    backend = connect(server);
    const seen: ProviderStatus[] = [];
    const stop = backend.on('hardware.provider', (status) => seen.push(status));
    await expect(backend.invoke('hardware.detect', {})).rejects.toMatchObject({ code: 'EP_FAILED' });
    expect(seen).toEqual([provider]);
    stop();
    await expect(backend.invoke('hardware.detect', {})).rejects.toMatchObject({ code: 'EP_FAILED' });
    expect(seen).toHaveLength(1);
  });

  it('rejects calls in flight when the host goes away, then reconnects', async () => {
    backend = connect(server, { backoffMs: [20] });
    await waitFor(backend, 'connected');
    const slow = backend.invoke('recent.list', {});
    const port = server.port;
    const disconnected = waitFor(backend, 'disconnected');
    await server.close();
    await expect(slow).rejects.toMatchObject({ code: 'IO_ERROR', message: 'Lost connection to the Inferscope host' });
    await disconnected;

    server = await start(port);
    await waitFor(backend, 'connected');
    await expect(backend.invoke('app.info', {})).resolves.toMatchObject({ version: '0.0.0-test' });
  });

  it('uploads a dropped file and opens it by the path the host stored it at', async () => {
    backend = connect(server);
    const bytes = new Uint8Array([8, 7, 18, 0]);
    const source = await backend.uploadModel(new File([bytes], 'tiny model.onnx'));
    expect(source.kind).toBe('path');
    const stored = source.kind === 'path' ? source.path : '';
    expect(path.basename(stored)).toMatch(/tiny.model\.onnx$/);
    expect(new Uint8Array(await readFile(stored))).toEqual(bytes);
  });

  it('turns a refused upload into an error with a code', async () => {
    backend = createWebBackend({
      socketUrl: `ws://127.0.0.1:${server.port}/ws?token=${server.token}`,
      uploadUrl: `http://127.0.0.1:${server.port}/api/upload`,
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      chooseFile: async () => null,
    });
    await expect(backend.uploadModel(new File([new Uint8Array(4)], 'm.onnx'))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('returns null when the person cancels the file chooser', async () => {
    backend = connect(server);
    await expect(backend.pickModel()).resolves.toBeNull();
  });
});
