/**
 * A real `inferscope serve` process for the attacks in this folder: the built CLI, its own data
 * folder and HOME, on a free port. Requests go over real HTTP and WebSocket connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { repoRoot } from '../support/build';

export const cli = path.join(repoRoot, 'bin/inferscope.js');

export interface Serve {
  proc: ChildProcess;
  url: string;
  port: number;
  token: string;
  home: string;
  stdout: () => string;
  stderr: () => string;
  /** Whether the process is still running. */
  alive: () => boolean;
  stop: () => Promise<void>;
}

/** Environment of a child that leaves nothing behind: its own data folder and HOME, no inherited cache folder. */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, INFERSCOPE_HOME: path.join(home, 'data'), HOME: home, FORCE_COLOR: '0', ...extra };
  // Whatever the test runner sets, the product must turn onnxruntime's telemetry off by itself.
  delete env.XDG_CACHE_HOME;
  delete env.ORT_DISABLE_TELEMETRY;
  return env;
}

export function newHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'inferscope-sec-'));
}

/** Starts `inferscope serve --port 0 ARGS` and waits for the URL it prints. */
export function startServe(args: string[] = [], home = newHome()): Promise<Serve> {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    env: isolatedEnv(home),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited = false;
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  proc.on('exit', () => (exited = true));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 30_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}${err}`));
    });
    proc.stdout?.on('data', () => {
      const match = /serving at (http:\/\/\S+)/.exec(out);
      if (!match?.[1]) return;
      clearTimeout(timer);
      const url = new URL(match[1]);
      resolve({
        proc,
        url: match[1],
        port: Number(url.port),
        token: url.searchParams.get('token') ?? '',
        home,
        stdout: () => out,
        stderr: () => err,
        alive: () => !exited && proc.exitCode === null,
        stop: () =>
          new Promise<void>((done) => {
            if (exited) return done();
            proc.once('exit', () => done());
            proc.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs the CLI to the end: exit code and output. */
export function runCli(
  args: string[],
  home: string,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cli, ...args], { env: isolatedEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(
  serve: Serve,
  urlPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { host: `127.0.0.1:${serve.port}`, ...options.headers };
    const req = http.request({ host: '127.0.0.1', port: serve.port, path: urlPath, method: options.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        // Without Content-Length: the size limit must hold while the bytes arrive.
        const body = Buffer.from(options.body);
        const step = 256 * 1024;
        for (let at = 0; at < body.length; at += step) req.write(body.subarray(at, at + step));
      } else req.write(options.body);
    }
    req.end();
  });
}

export const cookieOf = (serve: Serve): string => `inferscope_token=${serve.token}`;

export function openSocket(serve: Serve, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws`, {
      headers: { cookie: cookieOf(serve), origin: `http://127.0.0.1:${serve.port}`, ...headers },
      maxPayload: 256 * 1024 * 1024,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

export interface Answer {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

let nextId = 1;

export function invoke(ws: WebSocket, command: string, request: unknown): Promise<Answer> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(String(data)) as { type: string; id: number; result: Answer };
      if (message.type === 'result' && message.id === id) {
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(message.result);
      }
    };
    const onClose = (code: number): void => reject(new Error(`socket closed (${code}) before the answer to ${command}`));
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.send(JSON.stringify({ type: 'invoke', id, command, request }));
  });
}

/** Opens a socket, runs one command, closes. */
export async function call(serve: Serve, command: string, request: unknown): Promise<Answer> {
  const ws = await openSocket(serve);
  try {
    return await invoke(ws, command, request);
  } finally {
    ws.close();
  }
}
