/**
 * The browser host's HTTP side: the token handshake, uploads (also by content, for another machine's app:
 * GET /api/models/<sha256>, POST /api/upload?sha256=…), variant downloads and the page.
 * Every answer is coded: a malformed request is 400, a missing or wrong token the same 401 page.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { UploadStore } from '../core/store/uploads';
import { withDeadline } from '../core/store/safe-fs';
import { TOKEN_COOKIE, cookieToken, hostAllowed, originAllowed, tokensEqual } from './auth';
import { SECURITY_HEADERS, serveStatic } from './static';

export interface HttpDeps {
  token: string;
  staticRoot: string;
  uploads: UploadStore;
  allowedHosts: () => ReadonlySet<string>;
  variantFile?: (id: string) => Promise<{ path: string; fileName: string }>;
  upgradedFile?: (id: string) => Promise<{ path: string; fileName: string }>;
  convertedFile?: (id: string) => Promise<{ path: string; fileName: string }>;
}

const STATUS: Partial<Record<ErrorInfo['code'], number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PATH_NOT_ALLOWED: 403,
  MODEL_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  DISK_FULL: 507,
};

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

export function sendError(res: http.ServerResponse, error: unknown): void {
  const info = toErrorInfo(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, STATUS[info.code] ?? (info.code === 'INTERNAL' ? 500 : 400), { error: info });
}

const ASK_FOR_TOKEN = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inferscope</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Inferscope</h1>
<p>This page needs its access token. Open the URL that <code>inferscope serve</code> printed
(it ends in <code>?token=…</code>); the token is then kept in a cookie for this browser.</p>
</body></html>
`;

function askForToken(res: http.ServerResponse): void {
  res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(ASK_FOR_TOKEN);
}

/** The request's path, decoded; null when it is not valid percent-encoding. */
function decodedPath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

export function createHttpHandler(deps: HttpDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => sendError(res, error));
  };
}

async function handle(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!hostAllowed(req, deps.allowedHosts()) || !originAllowed(req, deps.allowedHosts())) {
    sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message: 'Unexpected Host or Origin header' } });
    return;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://inferscope.invalid');
  } catch {
    sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: 'Malformed request URL' } });
    return;
  }
  const pathname = decodedPath(url.pathname);
  if (pathname === null) {
    sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: 'Malformed percent-encoding in the path' } });
    return;
  }
  const queryToken = url.searchParams.get('token');
  if (queryToken !== null && req.method === 'GET') {
    if (!tokensEqual(deps.token, queryToken)) {
      askForToken(res);
      return;
    }
    url.searchParams.delete('token');
    res.writeHead(303, {
      'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(deps.token)}; HttpOnly; SameSite=Strict; Path=/`,
      location: url.pathname + url.search,
      'cache-control': 'no-store',
    });
    res.end();
    return;
  }
  if (!tokensEqual(deps.token, cookieToken(req))) {
    askForToken(res);
    return;
  }
  await route(deps, req, res, url, pathname);
}

async function route(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse, url: URL, pathname: string): Promise<void> {
  if (pathname === '/api/upload') {
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: { code: 'BAD_REQUEST', message: 'Upload with POST' } });
      return;
    }
    const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : null;
    const name = url.searchParams.get('name') ?? 'model.onnx';
    const sha256 = url.searchParams.get('sha256');
    if (sha256 !== null) {
      // Another machine's app sends a model by content (docs/machines.md): once, then it is found here.
      const kept = await deps.uploads.cached(sha256, name);
      if (kept !== null) req.resume();
      sendJson(res, 200, {
        path: kept ?? (await deps.uploads.receiveByContent(req, name, Number.isFinite(declared) ? declared : null, sha256)),
      });
      return;
    }
    const stored = await deps.uploads.receive(req, name, Number.isFinite(declared) ? declared : null);
    sendJson(res, 200, { path: stored });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: { code: 'BAD_REQUEST', message: 'Method not allowed' } });
    return;
  }
  const byContent = /^\/api\/models\/([^/]+)$/.exec(pathname);
  if (byContent?.[1]) {
    // Whether a model with this content is kept here, so another machine's app sends it only once.
    const kept = await deps.uploads.cached(byContent[1], url.searchParams.get('name') ?? 'model.onnx');
    if (kept) sendJson(res, 200, { path: kept });
    else sendJson(res, 404, { error: { code: 'MODEL_NOT_FOUND', message: 'No model with this content is kept on this host.' } });
    return;
  }
  const variant = /^\/api\/variants\/([A-Za-z0-9._-]+)\/model$/.exec(pathname);
  if (variant?.[1] && deps.variantFile) {
    await sendDownload(res, await deps.variantFile(variant[1]));
    return;
  }
  const upgraded = /^\/api\/upgraded\/([0-9a-f]{16})\/model$/.exec(pathname);
  if (upgraded?.[1] && deps.upgradedFile) {
    const file = await deps.upgradedFile(upgraded[1]).catch(() => null);
    if (file) await sendDownload(res, file);
    else sendJson(res, 404, { error: { code: 'MODEL_NOT_FOUND', message: 'There is no such upgraded model on the host' } });
    return;
  }
  const converted = /^\/api\/converted\/([0-9a-f]{16})\/model$/.exec(pathname);
  if (converted?.[1] && deps.convertedFile) {
    const file = await deps.convertedFile(converted[1]).catch(() => null);
    if (file) await sendDownload(res, file);
    else sendJson(res, 404, { error: { code: 'MODEL_NOT_FOUND', message: 'There is no such converted model on the host' } });
    return;
  }
  await serveStatic(deps.staticRoot, pathname, res);
}

async function sendDownload(res: http.ServerResponse, file: { path: string; fileName: string }): Promise<void> {
  const stat = await withDeadline(fs.stat(file.path), 'Finding the variant').catch(() => null);
  if (!stat?.isFile()) {
    sendJson(res, 404, { error: { code: 'MODEL_NOT_FOUND', message: `${file.fileName} is gone from the host` } });
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': stat.size,
    'content-disposition': `attachment; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  await pipeline(createReadStream(file.path), res);
}
