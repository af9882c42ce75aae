import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import { InferscopeError } from '../shared/errors';

export const TOKEN_COOKIE = 'inferscope_token';

/** The least guessing a token must take: 2^128 tries. */
export const MIN_TOKEN_BITS = 128;

export function newAccessToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Bits a token can carry at most: its length times the bits of the smallest alphabet it fits
 * (hex 4, base64url 6, other printable ASCII ~6.5). A token typed by hand (`--token a`) is refused.
 */
export function tokenBits(token: string): number {
  if (/^[0-9a-f]+$/i.test(token)) return token.length * 4;
  if (/^[A-Za-z0-9_-]+$/.test(token)) return token.length * 6;
  return token.length * Math.log2(94);
}

export function validateAccessToken(token: string): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InferscopeError('BAD_REQUEST', 'The access token must be printable ASCII without spaces (e.g. from `openssl rand -hex 16`).');
  }
  const distinct = new Set(token).size;
  if (tokenBits(token) < MIN_TOKEN_BITS || distinct < 8) {
    throw new InferscopeError(
      'BAD_REQUEST',
      `The access token is too weak: it needs at least ${MIN_TOKEN_BITS} random bits (32 hex or 22 base64url characters, ` +
        'e.g. `openssl rand -hex 16`). Leave --token out to get a random one.',
    );
  }
  return token;
}

export function tokensEqual(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
  }
  return null;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`.toLowerCase();

/**
 * Every `Host` a request to this server may carry: the bound address, its loopback aliases, and
 * for a wildcard bind every address of this machine's interfaces and its host name, plus the
 * names the user adds (`serve --allow-host`). Anything else is a DNS-rebinding page or a proxy
 * we were not told about, on loopback and off it alike.
 */
export function allowedHostsFor(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>([host]);
  if (isLoopback(host) || isWildcard(host)) for (const alias of ['127.0.0.1', 'localhost', '::1']) names.add(alias);
  if (isWildcard(host)) {
    names.delete(host);
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) for (const entry of list ?? []) names.add(entry.address.replace(/%.*$/, ''));
  }
  for (const name of extra) names.add(name);
  const allowed = new Set<string>();
  for (const name of names) allowed.add(hostPort(name, port));
  return allowed;
}

/**
 * A browser page on another site can make the user's browser talk to this host; a DNS-rebinding
 * page can even make it look same-origin. Only requests addressed to a host we serve are served.
 */
export function hostAllowed(req: IncomingMessage, allowedHosts: ReadonlySet<string>): boolean {
  const host = req.headers.host;
  return host !== undefined && allowedHosts.has(host.toLowerCase());
}

/** Requests from a browser page must come from our own page: the Origin must be a host we serve. */
export function originAllowed(req: IncomingMessage, allowedHosts: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // non-browser clients (tests, scripts) still need the token
  try {
    return allowedHosts.has(new URL(origin).host.toLowerCase());
  } catch {
    return false;
  }
}
