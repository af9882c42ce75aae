/**
 * The worker's heartbeat: a thread of its own that never runs inference, so neither a long
 * synchronous native call (a TensorRT engine build, one slow inference) nor a stuck one on any
 * other thread holds it back; it stops only when the whole process does (SIGSTOP, a frozen
 * process). With each beat it reports the measuring loops that are inside a run (watch.ts), so
 * the supervisor can tell an inference that never ends from a long one.
 *
 * Only the main thread may use the host's IPC channel, so heartbeats go to a file descriptor
 * the launcher opened for them (HEARTBEAT_ENV), one JSON line each, written synchronously.
 */
import { Worker } from 'node:worker_threads';
import { HEARTBEAT_ENV, type HeartbeatMessage } from '../core/worker-host/protocol';
import { RunWatch, SLOT } from './watch';

interface HeartbeatThreadData {
  fd: number;
  intervalMs: number;
  slot: typeof SLOT;
}

/** Main thread → heartbeat thread: a session's loops to report on, or to forget. */
type WatchMessage = { kind: 'watch' | 'forget'; buffer: SharedArrayBuffer };

let thread: Worker | undefined;

/**
 * Starts the heartbeat thread when the launcher asked for one; returns its interval, or null
 * when there is none (no channel: the host then does not expect heartbeats).
 */
export function startHeartbeat(): number | null {
  const intervalMs = Math.round(Number(process.env[HEARTBEAT_ENV.intervalMs]));
  const fd = Number(process.env[HEARTBEAT_ENV.fd]);
  if (!(intervalMs > 0) || !Number.isInteger(fd) || fd < 0) return null;
  const workerData: HeartbeatThreadData = { fd, intervalMs, slot: SLOT };
  // From source, not the bundle: the thread is beating within milliseconds, without loading onnxruntime.
  thread = new Worker(`(${heartbeatProgram.toString()})()`, { eval: true, workerData });
  // It must not keep the process alive, and its failure must not take the process down: the host then sees no beats.
  thread.unref();
  thread.on('error', (error) => process.stderr.write(`inferscope worker: the heartbeat thread failed: ${error.message}\n`));
  return intervalMs;
}

/** A watch for one session's measuring loops, reported with every heartbeat until stopWatching. */
export function watchRuns(): RunWatch {
  const watch = new RunWatch();
  thread?.postMessage({ kind: 'watch', buffer: watch.buffer } satisfies WatchMessage);
  return watch;
}

export function stopWatching(watch: RunWatch): void {
  thread?.postMessage({ kind: 'forget', buffer: watch.buffer } satisfies WatchMessage);
}

/**
 * The heartbeat thread's whole program. It runs from its source text, so it must not use
 * anything from outside its own body (no imports, no module constants): what it needs comes in
 * workerData, the built-in modules through process.getBuiltinModule.
 */
function heartbeatProgram(): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const { writeSync } = process.getBuiltinModule('node:fs');
  const { fd, intervalMs, slot } = workerData as HeartbeatThreadData;
  const watches = new Set<SharedArrayBuffer>();
  parentPort?.on('message', (message: WatchMessage) => {
    if (message.kind === 'watch') watches.add(message.buffer);
    else watches.delete(message.buffer);
  });
  const beat = (): void => {
    const now = Number(process.hrtime.bigint()) / 1e6;
    const runs: HeartbeatMessage['runs'] = [];
    for (const buffer of watches) {
      const slots = new Float64Array(buffer);
      const lastEndMs = slots[slot.lastEndMs] as number;
      const slowestMs = slots[slot.slowestMs] as number;
      // Between loops, or before its first run has finished: nothing to judge yet.
      if (!Number.isNaN(lastEndMs) && !Number.isNaN(slowestMs)) runs.push({ runningMs: Math.max(0, now - lastEndMs), slowestMs });
    }
    const message: HeartbeatMessage = { type: 'heartbeat', runs };
    try {
      writeSync(fd, `${JSON.stringify(message)}\n`);
    } catch {
      // A full or closed channel: the host is busy or gone; the next beat tries again.
    }
  };
  beat();
  setInterval(beat, intervalMs);
}
