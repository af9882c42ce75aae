import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { withDeadline } from '../core/store/safe-fs';

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

export const CSP = [
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

/** Headers every page and file of the host carries. */
export const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Serves the built renderer; `pathname` is already decoded, and nothing outside `root` is served. */
export async function serveStatic(root: string, pathname: string, res: http.ServerResponse): Promise<void> {
  const relative = pathname === '/' ? '/index.html' : pathname;
  const file = path.resolve(root, '.' + relative);
  const stat = file.startsWith(root + path.sep) ? await withDeadline(fs.stat(file), 'Reading the page').catch(() => null) : null;
  if (!stat?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    res.end('Not found');
    return;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
    ...SECURITY_HEADERS,
    'cache-control': path.basename(file) === 'index.html' ? 'no-store' : 'max-age=3600',
  });
  await pipeline(createReadStream(file), res);
}
