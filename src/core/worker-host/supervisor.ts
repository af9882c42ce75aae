/**
 * Supervises the inference worker process: spawn + handshake, one request at a time,
 * progress, cancel, per-request timeout, crash → typed error, respawn with backoff.
 * Modelled on VS Code's utility process wrapper: typed options, lifecycle events, an
 * exit reason as a string union, a timed wait then kill.
 *
 * Guarantees callers rely on:
 * - every request promise settles, whatever the worker does (exit, hang, garbage);
 * - a crash, timeout or kill rejects with WORKER_CRASHED / WORKER_TIMEOUT / CANCELLED, and the
 *   next request gets a fresh process;
 * - a worker that announced heartbeats and misses them for stallTimeoutMs (frozen, SIGSTOP), or
 *   whose inference has run far longer than any before it, is killed and its request rejected
 *   with WORKER_STALLED within about stallTimeoutMs, long before the request's own timeout;
 * - cancel settles the request at once (CANCELLED) and the worker is stopped within
 *   CANCEL_GRACE_MS: it either acknowledges or is killed before anything else is sent to it.
 *
 * Requests are sent one at a time: a worker measures one thing at a time so two
 * benchmarks never share its cores, and a kill for one request never takes another
 * request with it. Parallelism = several supervisors.
 */
import { EventEmitter } from 'node:events';
import { InferscopeError, type ErrorCode } from '../../shared/errors';
import type { WorkerExitInfo, WorkerHandle, WorkerLauncher } from './launcher';
import {
  REQUESTS,
  WorkerMessageSchema,
  type HeartbeatMessage,
  type ProgressOf,
  type ReadyMessage,
  type RequestBody,
  type RequestType,
  type ResultOf,
} from './protocol';

/** Why a worker process ended. The first four happen to us; the rest we did on purpose. */
export type WorkerExitReason =
  /** exited with code 0 although nobody asked it to */
  | 'clean-exit'
  /** exited with a non-zero code */
  | 'abnormal-exit'
  /** ended by a signal we did not send (SIGSEGV in an EP, SIGABRT from a failed assertion) */
  | 'crashed'
  /** V8 ran out of heap */
  | 'oom'
  /** never completed the handshake: spawn error, exit before ready, or no answer in startTimeoutMs */
  | 'start-failed'
  /** killed by us: a request ran past its timeout */
  | 'timeout'
  /** killed by us: no heartbeat for stallTimeoutMs (frozen), or one inference ran far longer than any before it */
  | 'stalled'
  /** killed by us: a cancelled request did not stop within CANCEL_GRACE_MS */
  | 'cancelled'
  /** killed by us: it sent a message that does not follow the protocol */
  | 'protocol-error'
  /** killed by us: dispose() */
  | 'disposed'
  /** stopped by us while idle: the next request asked for a fresh process (a benchmark repetition) */
  | 'recycled';

export interface WorkerExitEvent {
  reason: WorkerExitReason;
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  /** The last ~2 KB the worker wrote to stderr. */
  stderrTail: string;
}

export interface WorkerReadyInfo {
  pid: number;
  versions: ReadyMessage['versions'];
  backends: ReadyMessage['backends'];
  transport: ReadyMessage['transport'];
  heartbeatMs: ReadyMessage['heartbeatMs'];
}

export interface WorkerSupervisorOptions {
  launcher: WorkerLauncher;
  /** Path of the built worker bundle (out/node/worker.js). */
  workerEntry: string;
  /** Added to the host's environment (e.g. VK_ICD_FILENAMES for the WebGPU EP on SwiftShader); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  execArgv?: string[];
  /** How long a fresh worker may take to answer the handshake (loading onnxruntime's native library). */
  startTimeoutMs?: number;
  /** Default per-request limit; a request's own timeoutMs wins. Counted from when the worker receives it. */
  requestTimeoutMs?: number;
  /** How long a cancelled request may take to stop before its worker is killed. */
  cancelGraceMs?: number;
  /**
   * A running request whose worker sent no heartbeat for this long fails with WORKER_STALLED (0
   * turns heartbeats off). Also the shortest an inference may run before it counts as never ending.
   */
  stallTimeoutMs?: number;
}

export interface RequestOptions<T extends RequestType> {
  /** Caller-chosen id (for cancel(id)); assigned when omitted. */
  id?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each progress value; never awaited, exceptions are swallowed. */
  onProgress?: (value: ProgressOf<T>) => void;
  /**
   * Run in a worker process that has served no request before: a worker that has is stopped first
   * (benchmark repetitions sample the process level: memory layout, thread placement, allocator state).
   */
  freshProcess?: boolean;
}

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15 * 60_000;
/** A worker silent this long while it has a request is frozen. */
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;
/** Heartbeats come at most this far apart, and at least five to a stall timeout. */
export const HEARTBEAT_INTERVAL_MS = 1_000;
/** An inference running this many times longer than the slowest before it (and longer than the stall timeout) never ends. */
export const RUN_STALL_FACTOR = 10;
/** Cancel must take effect within 1 s: the grace plus SIGKILL stays well under it. */
export const CANCEL_GRACE_MS = 800;
/** Delay before the 1st, 2nd, 3rd+ restart after consecutive failures. */
export const RESTART_DELAYS_MS = [0, 250, 1_000] as const;
/** A worker that lived this long before failing was healthy: its failure starts the backoff afresh. */
export const HEALTHY_UPTIME_MS = 30_000;

type SupervisorEvents = {
  spawn: [{ pid: number | undefined }];
  ready: [WorkerReadyInfo];
  exit: [WorkerExitEvent];
};

interface LiveWorker {
  handle: WorkerHandle;
  startedAt: number;
  ready: WorkerReadyInfo | undefined;
  readyPromise: Promise<WorkerReadyInfo>;
  settleReady: (result: { ok: true; info: WorkerReadyInfo } | { ok: false; error: InferscopeError }) => void;
  /** Set when we kill it, so its exit is reported with our reason rather than as a crash. */
  killReason: WorkerExitReason | undefined;
  exited: boolean;
  /** When its last heartbeat (or its handshake) arrived. */
  lastBeatAt: number;
  /** Requests sent to it so far. */
  served: number;
}

interface PendingRequest {
  id: string;
  type: RequestType;
  message: Record<string, unknown>;
  timeoutMs: number;
  onProgress: ((value: unknown) => void) | undefined;
  freshProcess: boolean;
  resolve: (value: unknown) => void;
  reject: (error: InferscopeError) => void;
  cleanup: () => void;
  worker: LiveWorker | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Checks the worker's heartbeats while the request runs. */
  watchdog: ReturnType<typeof setInterval> | undefined;
}

export class WorkerSupervisor extends EventEmitter<SupervisorEvents> {
  private readonly options: Required<Omit<WorkerSupervisorOptions, 'env' | 'execArgv'>> & Pick<WorkerSupervisorOptions, 'env' | 'execArgv'>;
  private worker: LiveWorker | undefined;
  private readonly queue: PendingRequest[] = [];
  private inFlight: PendingRequest | undefined;
  /** A cancelled request whose worker has not yet acknowledged; nothing else is sent meanwhile. */
  private draining: { worker: LiveWorker; id: string; timer: ReturnType<typeof setTimeout> } | undefined;
  private pumping = false;
  private disposed = false;
  private consecutiveFailures = 0;
  private nextId = 1;
  private readonly exits = new Set<Promise<void>>();

  constructor(options: WorkerSupervisorOptions) {
    super();
    this.options = {
      startTimeoutMs: DEFAULT_START_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      cancelGraceMs: CANCEL_GRACE_MS,
      stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS,
      ...options,
    };
  }

  /** The running worker's pid, if one is running. */
  get pid(): number | undefined {
    return this.worker?.handle.pid;
  }

  /** Starts a worker (if none is running) and waits for its handshake. */
  async start(): Promise<WorkerReadyInfo> {
    if (this.disposed) throw new InferscopeError('CANCELLED', 'The worker supervisor was disposed.');
    const worker = await this.ensureWorker();
    return worker.ready as WorkerReadyInfo;
  }

  request<T extends RequestType>(body: RequestBody<T> & { type: T }, options: RequestOptions<T> = {}): Promise<ResultOf<T>> {
    if (this.disposed) return Promise.reject(new InferscopeError('CANCELLED', 'The worker supervisor was disposed.'));
    const id = options.id ?? `r${this.nextId++}`;
    if (this.isPending(id)) {
      return Promise.reject(new InferscopeError('BAD_REQUEST', `A request with id ${id} is already pending.`));
    }
    if (options.signal?.aborted) return Promise.reject(cancelledError(id));
    // Checked here too, so a malformed request fails at once, with defaults filled before it travels.
    const parsed = REQUESTS[body.type].request.safeParse({ ...body, id });
    if (!parsed.success) {
      return Promise.reject(new InferscopeError('BAD_REQUEST', `Invalid "${body.type}" request: ${parsed.error.message}`));
    }

    return new Promise<ResultOf<T>>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => this.cancel(id);
      signal?.addEventListener('abort', onAbort, { once: true });
      const pending: PendingRequest = {
        id,
        type: body.type,
        message: parsed.data as Record<string, unknown>,
        timeoutMs: options.timeoutMs ?? this.options.requestTimeoutMs,
        onProgress: options.onProgress as ((value: unknown) => void) | undefined,
        freshProcess: options.freshProcess ?? false,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        worker: undefined,
        timer: undefined,
        watchdog: undefined,
      };
      this.queue.push(pending);
      void this.pump();
    });
  }

  /** Cancels a queued or running request: it rejects with CANCELLED now; a running worker stops or is killed within CANCEL_GRACE_MS. */
  cancel(id: string): void {
    const queued = this.queue.findIndex((p) => p.id === id);
    if (queued >= 0) {
      const [pending] = this.queue.splice(queued, 1);
      if (pending) this.settle(pending, { error: cancelledError(id) });
      return;
    }
    const running = this.inFlight;
    if (!running || running.id !== id || !running.worker) return;
    const worker = running.worker;
    this.inFlight = undefined;
    this.settle(running, { error: cancelledError(id) });
    const timer = setTimeout(() => {
      if (this.draining?.id === id) this.kill(worker, 'cancelled');
    }, this.options.cancelGraceMs);
    this.draining = { worker, id, timer };
    worker.handle.postMessage({ type: 'cancel', id });
  }

  /** Rejects everything pending with CANCELLED and kills the worker; resolves once every worker process has exited. */
  async dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      const error = new InferscopeError('CANCELLED', 'The worker supervisor was disposed.');
      for (const pending of this.queue.splice(0)) this.settle(pending, { error });
      if (this.inFlight) {
        const running = this.inFlight;
        this.inFlight = undefined;
        this.settle(running, { error });
      }
      this.endDraining();
      if (this.worker) this.kill(this.worker, 'disposed');
    }
    await Promise.all([...this.exits]);
  }

  // ---- internals

  private isPending(id: string): boolean {
    return this.inFlight?.id === id || this.queue.some((p) => p.id === id);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.disposed && !this.inFlight && !this.draining && this.queue.length > 0) {
        let worker: LiveWorker;
        try {
          worker = await this.ensureWorker();
        } catch (error) {
          // The same entry and environment would fail the same way for every queued request.
          const failure = asInferscopeError(error, 'WORKER_START_FAILED');
          for (const pending of this.queue.splice(0)) this.settle(pending, { error: failure });
          continue;
        }
        if (this.inFlight || this.draining || worker.exited || worker !== this.worker) continue;
        if (this.queue[0]?.freshProcess && worker.served > 0) {
          this.kill(worker, 'recycled');
          continue;
        }
        const next = this.queue.shift();
        if (next) this.dispatch(worker, next);
      }
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(worker: LiveWorker, pending: PendingRequest): void {
    pending.worker = worker;
    worker.served += 1;
    this.inFlight = pending;
    if (Number.isFinite(pending.timeoutMs) && pending.timeoutMs > 0) {
      pending.timer = setTimeout(() => {
        if (this.inFlight !== pending) return;
        this.inFlight = undefined;
        this.kill(worker, 'timeout');
        this.settle(pending, {
          error: new InferscopeError(
            'WORKER_TIMEOUT',
            `The worker did not finish "${pending.type}" within ${pending.timeoutMs} ms and was stopped.`,
            detailOf(worker.handle.stderrTail()),
          ),
        });
        void this.pump();
      }, pending.timeoutMs);
    }
    this.watchHeartbeats(worker, pending);
    worker.handle.postMessage(pending.message);
  }

  /** While `pending` runs, a worker that announced heartbeats must keep sending them. */
  private watchHeartbeats(worker: LiveWorker, pending: PendingRequest): void {
    const stallMs = this.options.stallTimeoutMs;
    if (!worker.ready?.heartbeatMs || !(stallMs > 0) || !Number.isFinite(stallMs)) return;
    const everyMs = Math.max(10, Math.min(worker.ready.heartbeatMs, stallMs / 4));
    let lastCheckAt = Date.now();
    pending.watchdog = setInterval(() => {
      const now = Date.now();
      // This process was itself blocked: heartbeats may be waiting unread in the pipe, so judge next time.
      const hostWasBusy = now - lastCheckAt > 2 * everyMs;
      lastCheckAt = now;
      if (hostWasBusy || this.inFlight !== pending) return;
      const silentMs = now - worker.lastBeatAt;
      if (silentMs > stallMs) {
        const how = `sent no heartbeat for ${seconds(silentMs)} while running "${pending.type}" (frozen or stopped)`;
        this.stall(worker, `The worker ${how} and was stopped.`);
      }
    }, everyMs);
  }

  private onHeartbeat(worker: LiveWorker, beat: HeartbeatMessage): void {
    worker.lastBeatAt = Date.now();
    const stallMs = this.options.stallTimeoutMs;
    if (!(stallMs > 0) || this.inFlight?.worker !== worker) return;
    const stuck = beat.runs.find((run) => run.runningMs > Math.max(stallMs, RUN_STALL_FACTOR * run.slowestMs));
    if (stuck) {
      this.stall(
        worker,
        `One inference has run for ${seconds(stuck.runningMs)}; the slowest before it took ${stuck.slowestMs.toFixed(1)} ms. ` +
          `The worker was stopped as stuck while running "${this.inFlight.type}".`,
      );
    }
  }

  private stall(worker: LiveWorker, message: string): void {
    const pending = this.inFlight?.worker === worker ? this.inFlight : undefined;
    if (!pending) return;
    this.inFlight = undefined;
    this.kill(worker, 'stalled');
    this.settle(pending, { error: new InferscopeError('WORKER_STALLED', message, detailOf(worker.handle.stderrTail())) });
    void this.pump();
  }

  private ensureWorker(): Promise<LiveWorker> {
    const current = this.worker;
    if (current && !current.exited) return current.readyPromise.then(() => current);
    return this.spawn();
  }

  private async spawn(): Promise<LiveWorker> {
    const delay =
      this.consecutiveFailures === 0 ? 0 : (RESTART_DELAYS_MS[Math.min(this.consecutiveFailures, RESTART_DELAYS_MS.length) - 1] ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.disposed) throw new InferscopeError('CANCELLED', 'The worker supervisor was disposed.');
    // Another caller may have spawned while we waited.
    if (this.worker && !this.worker.exited) {
      const existing = this.worker;
      return existing.readyPromise.then(() => existing);
    }

    let settleReady!: LiveWorker['settleReady'];
    const readyPromise = new Promise<WorkerReadyInfo>((resolve, reject) => {
      settleReady = (result) => (result.ok ? resolve(result.info) : reject(result.error));
    });
    // A failed start is reported through pump/start; this keeps an unobserved rejection from crashing the host.
    readyPromise.catch(() => {});

    const stallMs = this.options.stallTimeoutMs;
    const handle = this.options.launcher.launch(this.options.workerEntry, {
      env: workerEnvironment(this.options.env),
      ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
      ...(stallMs > 0 && Number.isFinite(stallMs) ? { heartbeatMs: heartbeatInterval(stallMs) } : {}),
    });
    const worker: LiveWorker = {
      handle,
      startedAt: Date.now(),
      ready: undefined,
      readyPromise,
      settleReady,
      killReason: undefined,
      exited: false,
      lastBeatAt: Date.now(),
      served: 0,
    };
    this.worker = worker;
    let exited!: () => void;
    const exitPromise = new Promise<void>((r) => (exited = r));
    this.exits.add(exitPromise);
    const startTimer = setTimeout(() => {
      if (worker.ready || worker.exited) return;
      const error = new InferscopeError(
        'WORKER_START_FAILED',
        `The worker did not answer within ${this.options.startTimeoutMs} ms of starting.`,
        detailOf(handle.stderrTail()),
      );
      this.kill(worker, 'start-failed');
      worker.settleReady({ ok: false, error });
    }, this.options.startTimeoutMs);

    handle.onMessage((raw) => this.onMessage(worker, raw));
    handle.onExit((info) => {
      clearTimeout(startTimer);
      this.onExit(worker, info);
      this.exits.delete(exitPromise);
      exited();
    });
    this.emit('spawn', { pid: handle.pid });
    // The worker also announces itself unprompted; hello covers a transport that dropped that first message.
    handle.postMessage({ type: 'hello' });

    await readyPromise.finally(() => clearTimeout(startTimer));
    return worker;
  }

  private onMessage(worker: LiveWorker, raw: unknown): void {
    if (worker.exited || worker.killReason) return;
    const parsed = WorkerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.protocolError(worker, `unreadable message from the worker: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'heartbeat') {
      this.onHeartbeat(worker, message);
      return;
    }
    if (message.type === 'ready') {
      if (worker.ready) return;
      const info: WorkerReadyInfo = {
        pid: message.pid,
        versions: message.versions,
        backends: message.backends,
        transport: message.transport,
        heartbeatMs: message.heartbeatMs,
      };
      worker.ready = info;
      worker.lastBeatAt = Date.now();
      worker.settleReady({ ok: true, info });
      this.emit('ready', info);
      return;
    }

    if (this.draining && this.draining.worker === worker && this.draining.id === message.id) {
      // The cancelled request's last word: the worker is free again.
      if (message.type !== 'progress') {
        this.endDraining();
        void this.pump();
      }
      return;
    }

    const pending = this.inFlight;
    if (!pending || pending.worker !== worker || pending.id !== message.id) return;
    const schemas = REQUESTS[pending.type];
    if (message.type === 'progress') {
      const value = schemas.progress.safeParse(message.value);
      if (!value.success) {
        this.protocolError(worker, `invalid progress for "${pending.type}": ${value.error.message}`);
        return;
      }
      try {
        pending.onProgress?.(value.data);
      } catch {
        // A throwing progress listener must not break the request it observes.
      }
      return;
    }

    this.inFlight = undefined;
    if (message.type === 'result') {
      const value = schemas.result.safeParse(message.value);
      if (!value.success) {
        this.inFlight = pending;
        this.protocolError(worker, `invalid result for "${pending.type}": ${value.error.message}`);
        return;
      }
      this.settle(pending, { value: value.data });
    } else {
      const { code, message: text, detail } = message.error;
      this.settle(pending, { error: new InferscopeError(code, text, detail !== undefined ? { detail } : undefined) });
    }
    void this.pump();
  }

  private protocolError(worker: LiveWorker, why: string): void {
    const pending = this.inFlight?.worker === worker ? this.inFlight : undefined;
    this.inFlight = undefined;
    this.kill(worker, 'protocol-error');
    if (pending) {
      this.settle(pending, {
        error: new InferscopeError('WORKER_CRASHED', 'The worker broke the message protocol and was stopped.', {
          detail: why,
        }),
      });
    }
    void this.pump();
  }

  private onExit(worker: LiveWorker, info: WorkerExitInfo): void {
    worker.exited = true;
    const uptimeMs = Date.now() - worker.startedAt;
    const stderrTail = worker.handle.stderrTail();
    const reason = worker.killReason ?? classifyExit(info, stderrTail, worker.ready !== undefined);
    if (!worker.killReason) this.countFailure(reason, uptimeMs);
    if (this.worker === worker) this.worker = undefined;

    if (!worker.ready) {
      const how = info.spawnError ?? describeExit(info);
      worker.settleReady({
        ok: false,
        error: new InferscopeError('WORKER_START_FAILED', `The worker could not start: ${how}.`, detailOf(stderrTail)),
      });
    }
    if (this.inFlight?.worker === worker) {
      const pending = this.inFlight;
      this.inFlight = undefined;
      this.settle(pending, {
        error: new InferscopeError('WORKER_CRASHED', `The worker stopped while running "${pending.type}": ${describeExit(info)}.`, {
          detail: [describeExit(info), stderrTail].filter(Boolean).join('\n'),
        }),
      });
    }
    if (this.draining?.worker === worker) this.endDraining();

    this.emit('exit', { reason, pid: worker.handle.pid, code: info.code, signal: info.signal, uptimeMs, stderrTail });
    void this.pump();
  }

  private kill(worker: LiveWorker, reason: WorkerExitReason): void {
    if (worker.exited || worker.killReason) return;
    worker.killReason = reason;
    if (this.worker === worker) this.worker = undefined;
    this.countFailure(reason, Date.now() - worker.startedAt);
    worker.handle.kill();
  }

  private countFailure(reason: WorkerExitReason, uptimeMs: number): void {
    // The user's cancel, our dispose and a worker that simply ended are not signs of a broken EP.
    if (reason === 'cancelled' || reason === 'disposed' || reason === 'clean-exit' || reason === 'recycled') return;
    this.consecutiveFailures = uptimeMs >= HEALTHY_UPTIME_MS ? 1 : this.consecutiveFailures + 1;
  }

  private endDraining(): void {
    if (!this.draining) return;
    clearTimeout(this.draining.timer);
    this.draining = undefined;
  }

  private settle(pending: PendingRequest, outcome: { value: unknown } | { error: InferscopeError }): void {
    if (pending.timer) clearTimeout(pending.timer);
    if (pending.watchdog) clearInterval(pending.watchdog);
    pending.cleanup();
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.value);
  }
}

/** The host's environment plus `extra`; a variable set to undefined in `extra` is removed. */
export function workerEnvironment(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) if (value !== undefined) env[key] = value;
  return env;
}

/** Five heartbeats to a stall timeout, at most one a second. */
export function heartbeatInterval(stallTimeoutMs: number): number {
  return Math.max(10, Math.min(HEARTBEAT_INTERVAL_MS, Math.round(stallTimeoutMs / 5)));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function cancelledError(id: string): InferscopeError {
  return new InferscopeError('CANCELLED', `Request ${id} was cancelled.`);
}

function asInferscopeError(error: unknown, fallback: ErrorCode): InferscopeError {
  if (error instanceof InferscopeError) return error;
  return new InferscopeError(fallback, error instanceof Error ? error.message : String(error), { cause: error });
}

function detailOf(stderrTail: string): { detail: string } | undefined {
  return stderrTail ? { detail: stderrTail } : undefined;
}

export function describeExit(info: WorkerExitInfo): string {
  if (info.spawnError) return `could not be started (${info.spawnError})`;
  if (info.signal) return `killed by signal ${info.signal}`;
  return `exit code ${info.code ?? 'unknown'}`;
}

function classifyExit(info: WorkerExitInfo, stderrTail: string, wasReady: boolean): WorkerExitReason {
  if (!wasReady) return 'start-failed';
  if (/heap out of memory|Allocation failed/i.test(stderrTail)) return 'oom';
  if (info.signal) return 'crashed';
  return info.code === 0 ? 'clean-exit' : 'abnormal-exit';
}
