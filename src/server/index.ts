/**
 * The browser host: serves the built renderer and the contract over a WebSocket, on 127.0.0.1 by
 * default, behind a random access token. Opening the printed URL (which carries ?token=) stores the
 * token in an HttpOnly, SameSite=Strict cookie and drops it from the URL.
 *
 * auth.ts: tokens, Host and Origin checks · http.ts: routes · static.ts: the page · socket.ts: the contract.
 */
import http from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Handlers } from '../shared/contract';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../shared/contract/wire';
import { UploadStore } from '../core/store/uploads';
import { allowedHostsFor, isLoopback, newAccessToken, validateAccessToken } from './auth';
import { createHttpHandler } from './http';
import { createContractSocket } from './socket';

export interface ServeOptions {
  handlers: Handlers;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** Where uploaded models are stored. */
  uploadsDir: string;
  port?: number;
  host?: string;
  /** A token of the user's (at least 128 bits); a random one otherwise. */
  token?: string;
  /** Host names the server is also reached by (a DNS name, a proxy), beside its own addresses. */
  allowHosts?: readonly string[];
  /** The largest upload; default 4 GiB or the free disk less 1 GiB, whichever is smaller. */
  maxUploadBytes?: number;
  /** The largest WebSocket message a page may send (default 64 MiB). */
  maxMessageBytes?: number;
  /** Files the page may download: a variant's model by id (GET /api/variants/<id>/model). */
  variantFile?: (id: string) => Promise<{ path: string; fileName: string }>;
  upgradedFile?: (id: string) => Promise<{ path: string; fileName: string }>;
  convertedFile?: (id: string) => Promise<{ path: string; fileName: string }>;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  token: string;
  /** False when bound to an address other machines can reach. */
  loopback: boolean;
  maxMessageBytes: number;
  close(): Promise<void>;
}

/** Commands one page may have in flight at once: plenty for the UI, a bound for a flood. */
const MAX_IN_FLIGHT = 64;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === undefined ? newAccessToken() : validateAccessToken(options.token);
  const staticRoot = path.resolve(options.staticDir);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let allowedHosts: ReadonlySet<string> = new Set<string>();

  const indexHtml = path.join(staticRoot, 'index.html');
  await fs.access(indexHtml).catch(() => {
    throw new Error(`The user interface is not built (missing ${indexHtml}). Run: npm run build`);
  });
  const uploads = new UploadStore(options.uploadsDir, options.maxUploadBytes ?? null);
  await uploads.removeStale();

  const server = http.createServer(
    createHttpHandler({
      token,
      staticRoot,
      uploads,
      allowedHosts: () => allowedHosts,
      ...(options.variantFile ? { variantFile: options.variantFile } : {}),
      ...(options.upgradedFile ? { upgradedFile: options.upgradedFile } : {}),
      ...(options.convertedFile ? { convertedFile: options.convertedFile } : {}),
    }),
  );
  const socket = createContractSocket({
    handlers: options.handlers,
    token,
    allowedHosts: () => allowedHosts,
    maxMessageBytes,
    maxInFlight: MAX_IN_FLIGHT,
  });
  server.on('upgrade', (req, raw, head) => socket.handleUpgrade(req, raw, head));
  server.on('clientError', (_error, raw) => {
    if (raw.writable) raw.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else raw.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = allowedHostsFor(host, port, options.allowHosts ?? []);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  return {
    url: `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    loopback: isLoopback(host),
    maxMessageBytes,
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
