/**
 * Steps 2–5 with N requests in flight: N sessions on N worker threads (bench-thread.ts),
 * coordinated from the worker's main thread. Per-request latency = every thread's
 * samples; throughput = all samples over the common measuring window, which starts
 * when every thread is warm and ends at the stop time the coordinator sets.
 */
import { machineCpuTimes, type CpuTimes } from '../core/bench/cpu-load';
import { Worker } from 'node:worker_threads';
import { concurrencyRefusal } from '../shared/domain/plan';
import { InferscopeError } from '../shared/errors';
import type { BenchConfig } from '../core/bench/measurement';
import {
  BENCH_THREAD_ROLE,
  FLAG,
  FLAGS_BYTES,
  SHARED_BYTES,
  TIME,
  type BenchThreadData,
  type BenchThreadMessage,
} from './bench-thread';
import { Measurement, nowMs, ProgressThrottle, type RssPeak, type WarmupOutcome } from './loop';
import { phaseProgress, type BenchContext, type TimedPhases } from './steps';
import type { ResolvedInput } from './feeds';
import { stopWatching, watchRuns } from './heartbeat';
import type { RunWatch } from './watch';

/** How often the coordinator applies the stop rule to the samples the threads have sent. */
export const STOP_CHECK_EVERY_MS = 25;

let threadEntry: URL | undefined;

/** The worker bundle (index.ts) registers itself: bench threads run the same file. */
export function setBenchThreadEntry(entry: URL): void {
  threadEntry = entry;
}

interface ThreadState {
  worker: Worker;
  watch: RunWatch;
  created?: { sessionCreateMs: number; inputs: ResolvedInput[]; outputs: string[] };
  firstRunMs?: number;
  warmup?: WarmupOutcome;
  samples: number[];
  done: boolean;
}

export async function measureConcurrently(config: BenchConfig, context: BenchContext, rss: RssPeak): Promise<TimedPhases> {
  // The runner skips these; a plan sent straight to the worker is refused the same way.
  const refusal = concurrencyRefusal(config.ep, config.concurrency);
  if (refusal) throw new InferscopeError('NOT_SUPPORTED', refusal);
  if (!threadEntry) throw new InferscopeError('INTERNAL', 'The bench thread entry was not registered.');
  const entry = threadEntry;

  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const flags = new Int32Array(shared, 0, FLAGS_BYTES / 4);
  const times = new Float64Array(shared, FLAGS_BYTES, 2);
  const rssBeforeCreateBytes = rss.read();
  context.progress(phaseProgress('session-create'));

  let failure: InferscopeError | undefined;
  let wake: (() => void) | undefined;
  const changed = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: InferscopeError): void => {
    failure ??= error;
    changed();
  };

  const measurement: { current?: Measurement } = {};
  const threads: ThreadState[] = Array.from({ length: config.concurrency }, (_, index) => {
    const watch = watchRuns();
    const data: BenchThreadData = { role: BENCH_THREAD_ROLE, index, config, shared, watch: watch.buffer };
    const state: ThreadState = { worker: new Worker(entry, { workerData: data }), watch, samples: [], done: false };
    state.worker.on('message', (message: BenchThreadMessage) => {
      switch (message.kind) {
        case 'created':
          state.created = message;
          break;
        case 'first-run':
          state.firstRunMs = message.firstRunMs;
          break;
        case 'warm':
          state.warmup = message.warmup;
          break;
        case 'samples':
          for (const s of message.samples) state.samples.push(s);
          measurement.current?.addMany(message.samples);
          break;
        case 'done':
          state.done = true;
          break;
        case 'failed':
          fail(new InferscopeError(message.error.code, `Request thread ${index + 1}: ${message.error.message}`));
          break;
      }
      changed();
    });
    state.worker.on('error', (error) => fail(new InferscopeError('INTERNAL', `Request thread ${index + 1} failed: ${error.message}`)));
    state.worker.on('exit', (code) => {
      if (!state.done) fail(new InferscopeError('INTERNAL', `Request thread ${index + 1} exited (code ${code}) before finishing.`));
    });
    return state;
  });
  const onAbort = (): void => fail(new InferscopeError('CANCELLED', 'Cancelled by the host.'));
  context.signal.addEventListener('abort', onAbort);

  const until = async (ready: () => boolean): Promise<void> => {
    while (!failure && !ready()) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
  };

  try {
    await until(() => threads.every((t) => t.created));
    const rssAfterCreateBytes = rss.read();
    context.progress(phaseProgress('first-run'));
    await until(() => threads.every((t) => t.firstRunMs !== undefined));
    context.progress(phaseProgress('warmup'));
    await until(() => threads.every((t) => t.warmup));

    const machineBefore = machineCpuTimes();
    const cpuBefore = process.cpuUsage();
    const startMs = nowMs();
    times[TIME.start] = startMs;
    Atomics.store(flags, FLAG.start, 1);
    const current = new Measurement(startMs, config);
    measurement.current = current;

    const throttle = new ProgressThrottle();
    let reported = 0;
    let stopMs: number | undefined;
    let cpu: NodeJS.CpuUsage | undefined;
    let machineAfter: CpuTimes | undefined;
    const ticker = setInterval(() => {
      const now = nowMs();
      rss.maybeRead(now);
      if (current.check(now, false)) {
        stopMs = now;
        cpu = process.cpuUsage(cpuBefore);
        machineAfter = machineCpuTimes();
        // The time first, then the flag: a thread that sees the flag (an Atomics read) also sees the time.
        times[TIME.stop] = now;
        Atomics.store(flags, FLAG.stop, 1);
        clearInterval(ticker);
        changed();
      } else if (throttle.due(now)) {
        const recent = current.samples.slice(reported);
        reported = current.samples.length;
        context.progress(phaseProgress('measure', current.samples.length, current.elapsedMs, null, current.lastCiHalfWidthRel, recent));
      }
    }, STOP_CHECK_EVERY_MS);
    try {
      await until(() => stopMs !== undefined && threads.every((t) => t.done));
    } finally {
      clearInterval(ticker);
    }
    const decision = current.decision;
    if (!decision?.stop || stopMs === undefined || !cpu) throw new InferscopeError('INTERNAL', 'Concurrent measurement ended without a stop decision.');

    const first = threads[0] as ThreadState;
    const warmups = threads.map((t) => t.warmup as WarmupOutcome);
    return {
      inputs: first.created?.inputs ?? [],
      outputs: first.created?.outputs ?? [],
      // The slowest session: requests can all be served only once every session exists.
      sessionCreateMs: Math.max(...threads.map((t) => t.created?.sessionCreateMs ?? 0)),
      firstRunMs: Math.max(...threads.map((t) => t.firstRunMs ?? 0)),
      warmup: {
        iterations: warmups.reduce((sum, w) => sum + w.iterations, 0),
        ms: Math.max(...warmups.map((w) => w.ms)),
        stable: warmups.every((w) => w.stable),
        windowMedians: warmups[0]?.windowMedians ?? [],
      },
      samplesMs: threads.flatMap((t) => t.samples),
      samplesPerThread: threads.map((t) => t.samples.length),
      measureMs: stopMs - startMs,
      stopReason: decision.reason,
      rssBeforeCreateBytes,
      rssAfterCreateBytes,
      rssAfterMeasureBytes: rss.read(),
      cpu,
      machineCpu: { before: machineBefore, after: machineAfter ?? machineCpuTimes() },
    };
  } catch (error) {
    Atomics.store(flags, FLAG.abort, 1);
    Atomics.store(flags, FLAG.stop, 1);
    throw error;
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const t of threads) stopWatching(t.watch);
  }
}
