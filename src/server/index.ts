import http from 'node:http';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { dispatch } from '../shared/contract/dispatch';
import { events, type CommandContext, type Handlers } from '../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import { ioError } from '../core/store/atomic';
import { TOKEN_COOKIE, cookieToken, hostAllowed, newAccessToken, originAllowed, tokensEqual } from './auth';

export interface ServeOptions {
  handlers: Handlers;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** Where uploaded models are stored. */
  uploadsDir: string;
  port?: number;
  host?: string;
  token?: string;
  /** Files the page may download: a variant's model by id (GET /api/variants/<id>/model). */
  variantFile?: (id: string) => Promise<{ path: string; fileName: string }>;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const ClientMessageSchema = z.object({
  type: z.literal('invoke'),
  id: z.number().int(),
  command: z.string(),
  request: z.unknown(),
});

/** Same-origin WebSocket messages use this shape both ways; see renderer/lib/backend/web.ts. */
type ServerMessage =
  | { type: 'result'; id: number; result: { ok: true; value: unknown } | { ok: false; error: ErrorInfo } }
  | { type: 'event'; event: string; payload: unknown };

function loopbackAliases(host: string, port: number): Set<string> {
  const hosts = new Set([`${host}:${port}`]);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    hosts.add(`127.0.0.1:${port}`);
    hosts.add(`localhost:${port}`);
    hosts.add(`[::1]:${port}`);
  }
  return hosts;
}

const BROADCAST_EVENT = /^(bench|quantize)\./;

const ANY_HOST: ReadonlySet<string> = { has: () => true } as unknown as ReadonlySet<string>;

function sanitizeFileName(name: string): string {
  const base = path.basename(name).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return base.slice(-120) || 'model.onnx';
}

/**
 * The browser host: serves the built renderer and the contract over a WebSocket, on
 * 127.0.0.1 by default, behind a random access token. Opening the printed URL (which carries
 * ?token=) stores the token in an HttpOnly, SameSite=Strict cookie and drops it from the URL.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newAccessToken();
  const staticRoot = path.resolve(options.staticDir);
  let allowedHosts: ReadonlySet<string> = new Set<string>();

  const indexHtml = path.join(staticRoot, 'index.html');
  await fs.access(indexHtml).catch(() => {
    throw new Error(`The user interface is not built (missing ${indexHtml}). Run: npm run build`);
  });

  const server = http.createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      const info = toErrorInfo(error);
      if (!res.headersSent) sendJson(res, info.code === 'INTERNAL' ? 500 : 404, { error: info });
      else res.destroy();
    });
  });

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req, allowedHosts)) {
      sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message: 'Unexpected Host header' } });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && req.method === 'GET') {
      if (!tokensEqual(token, queryToken)) {
        sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'Wrong access token' } });
        return;
      }
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname + url.search,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (!tokensEqual(token, cookieToken(req))) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Inferscope: open the URL printed by `inferscope serve` (it carries the access token).\n');
      return;
    }
    if (url.pathname === '/api/upload') {
      await handleUpload(req, res, url);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'BAD_REQUEST', message: 'Method not allowed' } });
      return;
    }
    const variant = /^\/api\/variants\/([A-Za-z0-9._-]+)\/model$/.exec(url.pathname);
    if (variant?.[1] && options.variantFile) {
      await sendDownload(res, await options.variantFile(variant[1]));
      return;
    }
    await serveStatic(url.pathname, res);
  }

  async function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: { code: 'BAD_REQUEST', message: 'Upload with POST' } });
      return;
    }
    const name = sanitizeFileName(url.searchParams.get('name') ?? 'model.onnx');
    const dir = path.join(options.uploadsDir, randomBytes(6).toString('hex'));
    const target = path.join(dir, name);
    try {
      await fs.mkdir(dir, { recursive: true });
      await pipeline(req, createWriteStream(target));
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      sendJson(res, 500, { error: ioError(error, `the uploaded model ${name}`).toInfo() });
      return;
    }
    sendJson(res, 200, { path: target });
  }

  async function sendDownload(res: http.ServerResponse, file: { path: string; fileName: string }): Promise<void> {
    const stat = await fs.stat(file.path).catch(() => null);
    if (!stat?.isFile()) {
      sendJson(res, 404, { error: { code: 'MODEL_NOT_FOUND', message: `${file.fileName} is gone from the host` } });
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': stat.size,
      'content-disposition': `attachment; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    await pipeline(createReadStream(file.path), res);
  }

  async function serveStatic(pathname: string, res: http.ServerResponse): Promise<void> {
    const relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    const file = path.resolve(staticRoot, '.' + relative);
    if (!file.startsWith(staticRoot + path.sep)) {
      sendJson(res, 404, { error: { code: 'BAD_REQUEST', message: 'Not found' } });
      return;
    }
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': file === indexHtml ? 'no-store' : 'max-age=3600',
    });
    await pipeline(createReadStream(file), res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const given = cookieToken(req) ?? url.searchParams.get('token');
    if (url.pathname !== '/ws' || !hostAllowed(req, allowedHosts) || !originAllowed(req, allowedHosts) || !tokensEqual(token, given)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(text);
  }

  function onConnection(ws: WebSocket): void {
    const send = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const context: CommandContext = {
      emit: (event, payload) => {
        if (!Object.hasOwn(events, event)) return;
        // A run or a quantization job outlives the page that started it (a reload, a second tab):
        // their events go to every page; the pages pick theirs by run or job id.
        if (BROADCAST_EVENT.test(event)) broadcast({ type: 'event', event, payload });
        else send({ type: 'event', event, payload });
      },
    };
    ws.on('message', (data) => {
      let parsed: z.infer<typeof ClientMessageSchema>;
      try {
        parsed = ClientMessageSchema.parse(JSON.parse(String(data)));
      } catch {
        ws.close(1003, 'Malformed message');
        return;
      }
      void dispatch(options.handlers, parsed.command, parsed.request, context).then((result) =>
        send({ type: 'result', id: parsed.id, result: result as ServerMessage extends { result: infer R } ? R : never }),
      );
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = loopbackAliases(host.includes(':') ? `[${host}]` : host, port);
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  // Rebinding protection only makes sense on loopback; a host bound to a network interface is
  // reached under names we cannot know, and the access token is what guards it there.
  if (!loopback) allowedHosts = ANY_HOST;
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  return {
    url: `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
