/**
 * Real `inferscope serve` processes on loopback for the machines tests: each with its own data
 * folder, HOME and port, one playing this app (the page's host), the others other machines.
 * The test talks to "this app" over its WebSocket, as the page does, and watches its events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type WebSocket from 'ws';
import { cli, isolatedEnv, openSocket, type Answer, type Serve } from '../../security/serve';

export interface Host extends Serve {
  /** The process's data folder (INFERSCOPE_HOME). */
  data: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const homes: string[] = [];

/** Starts `inferscope serve --port 0 ARGS` with test hooks on (and `env` on top); resolves with its URL. */
export function startHost(args: string[] = [], env: Record<string, string> = {}): Promise<Host> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'inferscope-machines-'));
  homes.push(home);
  const proc: ChildProcess = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    env: isolatedEnv(home, { INFERSCOPE_TEST_HOOKS: '1', XDG_CACHE_HOME: path.join(home, 'cache'), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited = false;
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  proc.on('exit', () => (exited = true));
  const stopped = (): Promise<void> => new Promise((done) => (exited ? done() : proc.once('exit', () => done())));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}${err}`)));
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
        data: path.join(home, 'data'),
        stdout: () => out,
        stderr: () => err,
        alive: () => !exited && proc.exitCode === null,
        stop: () => {
          if (!exited) proc.kill('SIGTERM');
          return stopped();
        },
        kill: (signal = 'SIGKILL') => {
          if (!exited) proc.kill(signal);
          return stopped();
        },
      });
    });
  });
}

export function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

/** A page's connection to a host: commands, and every event the host sends it. */
export class Page {
  readonly events: { event: string; payload: Record<string, unknown> }[] = [];
  private lastId = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; event?: string; payload?: Record<string, unknown> };
      if (message.type === 'event' && message.event && message.payload) {
        this.events.push({ event: message.event, payload: message.payload });
        for (const wake of [...this.waiters]) wake();
      }
    });
  }

  static async open(host: Serve): Promise<Page> {
    return new Page(await openSocket(host));
  }

  invoke(command: string, request: unknown): Promise<Answer> {
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new Error(`socket closed before the answer to ${command}`));
      const onMessage = (data: WebSocket.RawData): void => {
        const message = JSON.parse(String(data)) as { type: string; id: number; result: Answer };
        if (message.type !== 'result' || message.id !== id) return;
        this.ws.off('message', onMessage);
        this.ws.off('close', onClose);
        resolve(message.result);
      };
      this.ws.on('message', onMessage);
      this.ws.once('close', onClose);
      this.ws.send(JSON.stringify({ type: 'invoke', id, command, request }));
    });
  }

  /** The command's value; a failure fails the test with its code and message. */
  async value<T>(command: string, request: unknown): Promise<T> {
    const answer = await this.invoke(command, request);
    if (!answer.ok) throw new Error(`${command}: ${answer.error?.code}: ${answer.error?.message}`);
    return answer.value as T;
  }

  /** Resolves with the first event (seen or to come) that matches. */
  waitFor(event: string, match: (payload: Record<string, unknown>) => boolean, timeoutMs = 90_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find((e) => e.event === event && match(e.payload));
        if (!found) return false;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(found.payload);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A short plan: the CPU, one repetition, no profiled pass. */
export function quickPlan(model: { kind: 'path'; path: string } | { kind: 'sample'; name: string }, extra: Record<string, unknown> = {}) {
  return { model, eps: ['cpu'], minTimeMs: 200, maxTimeMs: 1000, minIterations: 10, repetitions: 1, profile: false, ...extra };
}

/** Runs the CLI to the end in `home` (its own data folder), with `env` on top: exit code and output. */
export function runCli(
  args: string[],
  home: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [cli, ...args], {
      env: isolatedEnv(home, { XDG_CACHE_HOME: path.join(home, 'cache'), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh HOME (and data folder) for a CLI, removed with the hosts'. */
export function newHome(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'inferscope-machines-cli-'));
  homes.push(home);
  return home;
}
