/**
 * How a worker process is started. The supervisor only sees this interface, so the
 * same supervision runs over Node's child_process.fork (CLI, browser host, tests) and
 * Electron's utilityProcess (src/main/worker-launcher.ts).
 */
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import { HEARTBEAT_ENV } from './protocol';

export interface WorkerExitInfo {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Signal name (SIGABRT, SIGKILL, …), or null for a normal exit or where the platform does not say. */
  signal: string | null;
  /** Set when the process could not be started at all (spawn error). */
  spawnError?: string;
}

export interface WorkerLaunchOptions {
  /** The complete environment of the worker (not merged with anything by the launcher). */
  env: Record<string, string | undefined>;
  /** Node flags for the worker; none by default, so the host's own flags (test runners, loaders) never leak in. */
  execArgv?: string[];
  /**
   * Ask the worker for a heartbeat this often, on a channel of its own (HEARTBEAT_ENV); the
   * heartbeats reach onMessage listeners like any message. A launcher without such a channel
   * ignores it, and the worker then announces none.
   */
  heartbeatMs?: number;
}

export interface WorkerHandle {
  /** Undefined until the OS has started the process (Electron reports it asynchronously). */
  readonly pid: number | undefined;
  /** Sends a structured-clone message; silently dropped once the process is gone (its exit is reported instead). */
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called exactly once, when the process has ended or failed to start. */
  onExit(listener: (info: WorkerExitInfo) => void): void;
  /** Ends the process at once; a stuck native call cannot delay it. */
  kill(): void;
  /** The last STDERR_TAIL_BYTES of the worker's stderr, for crash reports. */
  stderrTail(): string;
}

export interface WorkerLauncher {
  /** Names the transport in logs and crash reports ('node-fork', 'electron-utility'). */
  readonly kind: string;
  launch(entry: string, options: WorkerLaunchOptions): WorkerHandle;
}

export const STDERR_TAIL_BYTES = 2048;
/** The worker's file descriptor for heartbeats under nodeForkLauncher: the pipe after the IPC channel. */
export const HEARTBEAT_FD = 4;
/** A heartbeat line longer than this is not one (the channel is ours, so it is garbage). */
const MAX_HEARTBEAT_LINE = 64 * 1024;

/** Keeps the last `limit` characters of a stream (ONNX Runtime and native crashes write there). */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = STDERR_TAIL_BYTES) {}

  push(chunk: Buffer | string): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }

  toString(): string {
    return this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
  }
}

/**
 * Calls listeners registered before or after the event: exit can happen before the
 * supervisor has attached its listener (a spawn error is reported synchronously-ish).
 */
export class OnceEvent<T> {
  private value: { v: T } | undefined;
  private listeners: Array<(v: T) => void> = [];

  fire(v: T): void {
    if (this.value) return;
    this.value = { v };
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l(v);
  }

  on(listener: (v: T) => void): void {
    if (this.value) listener(this.value.v);
    else this.listeners.push(listener);
  }

  get fired(): boolean {
    return this.value !== undefined;
  }
}

/**
 * Reads a heartbeat channel: one JSON message per line, handed to `deliver` (the supervisor checks
 * it against the protocol). A line that is not JSON goes to `garbage`, for crash reports.
 */
export function heartbeatReader(deliver: (message: unknown) => void, garbage: (line: string) => void): (chunk: Buffer | string) => void {
  let pending = '';
  return (chunk) => {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (pending.length > MAX_HEARTBEAT_LINE) {
      garbage(pending.slice(0, 200));
      pending = '';
    }
    for (const line of lines) {
      if (!line.trim()) continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        garbage(line.slice(0, 200));
        continue;
      }
      deliver(message);
    }
  };
}

/** Environment and stdio of a forked worker; heartbeats add a pipe after the IPC channel. */
function forkSetup(options: WorkerLaunchOptions): { env: Record<string, string | undefined>; stdio: Array<'ignore' | 'pipe' | 'ipc'> } {
  if (!options.heartbeatMs) return { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] };
  return {
    env: { ...options.env, [HEARTBEAT_ENV.intervalMs]: String(options.heartbeatMs), [HEARTBEAT_ENV.fd]: String(HEARTBEAT_FD) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
  };
}

/** child_process.fork with structured-clone IPC and captured stderr. */
export const nodeForkLauncher: WorkerLauncher = {
  kind: 'node-fork',
  launch(entry, options) {
    const stderr = new OutputTail();
    const exited = new OnceEvent<WorkerExitInfo>();
    const { env, stdio } = forkSetup(options);
    const listeners: Array<(message: unknown) => void> = [];
    const child = fork(entry, [], {
      env,
      execArgv: options.execArgv ?? [],
      // 'advanced' = v8 structured clone: Uint8Array model bytes and Float64Array samples travel without base64/JSON.
      serialization: 'advanced',
      stdio,
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Drained so a chatty worker never blocks on a full pipe; the worker does not talk on stdout.
    child.stdout?.on('data', () => {});
    const heartbeats = child.stdio[HEARTBEAT_FD] as Readable | null | undefined;
    heartbeats?.on(
      'data',
      heartbeatReader(
        (message) => listeners.forEach((listener) => listener(message)),
        (line) => stderr.push(`[host] not a heartbeat: ${line}\n`),
      ),
    );
    // A pipe error (the worker gone mid-write) is reported through 'exit'.
    heartbeats?.on('error', () => {});
    child.on('error', (error) => {
      // 'error' without a process (spawn failed) is followed by no 'exit'; with a process, 'exit' still comes.
      if (child.pid === undefined) exited.fire({ code: null, signal: null, spawnError: error.message });
    });
    child.on('exit', (code, signal) => exited.fire({ code, signal }));

    return {
      get pid() {
        return child.pid;
      },
      postMessage(message) {
        if (!child.connected) return;
        // The callback swallows EPIPE-style failures: a process that is going away reports through onExit.
        child.send(message as never, (error) => {
          if (error) stderr.push(`[host] could not send to worker: ${error.message}\n`);
        });
      },
      onMessage(listener) {
        child.on('message', listener);
        listeners.push(listener);
      },
      onExit(listener) {
        exited.on(listener);
      },
      kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      stderrTail: () => stderr.toString(),
    };
  },
};
