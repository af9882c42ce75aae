import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/server';
import { createServices, type Services } from '../../../src/core/services';
import { nodeForkLauncher } from '../../../src/core/worker-host/launcher';
import type { Handlers } from '../../../src/shared/contract';
import { headlessHostHandlers } from '../../../src/server/host-handlers';

let server: RunningServer;
let services: Services;
let dir: string;

function get(
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: urlPath, headers, method: headers['x-method'] ?? 'GET' },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (headers['x-body']) req.write(headers['x-body']);
    req.end();
  });
}

const cookie = (): string => `inferscope_token=${server.token}`;

function openSocket(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function invoke(
  ws: WebSocket,
  id: number,
  command: string,
  request: unknown,
): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as {
        type: string;
        id: number;
        result: { ok: boolean; value?: unknown; error?: { code: string } };
      };
      if (message.type === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'invoke', id, command, request }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-server-'));
  const staticDir = path.join(dir, 'renderer');
  const fs = await import('node:fs/promises');
  await fs.mkdir(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Inferscope</title>');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the static folder');
  services = createServices({
    host: 'browser',
    userDataDir: path.join(dir, 'home'),
    workerEntry: path.join(dir, 'no-worker-needed.js'),
    launcher: nodeForkLauncher,
    versions: { electron: null, chromium: null },
  });
  const handlers: Handlers = { ...services.handlers, ...headlessHostHandlers(services, 'browser') };
  server = await startServer({ handlers, staticDir, uploadsDir: path.join(dir, 'uploads'), port: 0 });
});

afterAll(async () => {
  await server?.close();
  await services?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('browser host', () => {
  it('binds loopback and prints a URL carrying the token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses requests without the token, and with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/', { cookie: 'inferscope_token=wrong' })).status).toBe(401);
  });

  it('trades the URL token for an HttpOnly SameSite cookie and drops it from the URL', async () => {
    const res = await get(`/?token=${server.token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(String(res.headers['set-cookie'])).toMatch(/inferscope_token=.+; HttpOnly; SameSite=Strict/);
    const page = await get('/', { cookie: cookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Inferscope</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const res = await get('/', { cookie: cookie(), host: 'evil.example:80' });
    expect(res.status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await get('/../secret.txt', { cookie: cookie() });
    expect(res.body).not.toContain('outside the static folder');
    const encoded = await get('/%2e%2e/secret.txt', { cookie: cookie() });
    expect(encoded.body).not.toContain('outside the static folder');
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(openSocket({})).rejects.toThrow(/401/);
    await expect(openSocket({ cookie: cookie(), origin: 'http://evil.example' })).rejects.toThrow(/401/);
  });

  it('serves the contract over the WebSocket with validation and error codes', async () => {
    const ws = await openSocket({ cookie: cookie(), origin: `http://127.0.0.1:${server.port}` });
    try {
      const info = await invoke(ws, 1, 'app.info', {});
      expect(info.ok).toBe(true);
      expect((info.value as { host: string }).host).toBe('browser');
      expect((await invoke(ws, 2, 'no.such.command', {})).error?.code).toBe('UNKNOWN_COMMAND');
      expect((await invoke(ws, 3, 'model.inspect', { source: { kind: 'nope' } })).error?.code).toBe('BAD_REQUEST');
      expect((await invoke(ws, 4, 'dialog.openModel', {})).error?.code).toBe('NOT_SUPPORTED');
      const missing = await invoke(ws, 5, 'model.inspect', { source: { kind: 'path', path: path.join(dir, 'missing.onnx') } });
      expect(missing.error?.code).toBe('MODEL_NOT_FOUND');
    } finally {
      ws.close();
    }
  });

  it('stores uploads under the uploads folder with a sanitized name', async () => {
    const res = await get('/api/upload?name=' + encodeURIComponent('../../evil name.onnx'), {
      cookie: cookie(),
      'x-method': 'POST',
      'x-body': 'not really a model',
    });
    expect(res.status).toBe(200);
    const stored = (JSON.parse(res.body) as { path: string }).path;
    expect(stored.startsWith(path.join(dir, 'uploads') + path.sep)).toBe(true);
    expect(path.basename(stored)).toBe('evil_name.onnx');
    expect(readFileSync(stored, 'utf8')).toBe('not really a model');
    expect((await get('/api/upload?name=x.onnx', { 'x-method': 'POST', 'x-body': 'x' })).status).toBe(401);
  });
});
