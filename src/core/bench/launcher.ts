/**
 * How a worker process is started. The supervisor only sees this interface, so the
 * same supervision runs over Node's child_process.fork (CLI, browser host, tests) and
 * Electron's utilityProcess (src/main/worker-launcher.ts).
 */
import { fork } from 'node:child_process';

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

/** child_process.fork with structured-clone IPC and captured stderr. */
export const nodeForkLauncher: WorkerLauncher = {
  kind: 'node-fork',
  launch(entry, options) {
    const stderr = new OutputTail();
    const exited = new OnceEvent<WorkerExitInfo>();
    const child = fork(entry, [], {
      env: options.env,
      execArgv: options.execArgv ?? [],
      // 'advanced' = v8 structured clone: Uint8Array model bytes and Float64Array samples travel without base64/JSON.
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Drained so a chatty worker never blocks on a full pipe; the worker does not talk on stdout.
    child.stdout?.on('data', () => {});
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
