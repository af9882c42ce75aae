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
import { BENCH_THREAD_ROLE, FLAG, FLAGS_BYTES, SHARED_BYTES, TIME, type BenchThreadData, type BenchThreadMessage } from './bench-thread';
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

/** The memory the coordinator and the threads share: the start/stop/abort flags and the window's times. */
interface SharedWindow {
  buffer: SharedArrayBuffer;
  flags: Int32Array;
  times: Float64Array;
}

/** Where the threads' samples go once the measuring window is open (none before). */
interface MeasurementSlot {
  current?: Measurement;
}

/** The coordinator's view of its request threads. */
interface Crew {
  shared: SharedWindow;
  threads: ThreadState[];
  events: ThreadEvents;
  measurement: MeasurementSlot;
}

/** The measuring window as the coordinator timed it. */
interface MeasuredWindow {
  startMs: number;
  stopMs: number;
  stopReason: TimedPhases['stopReason'];
  cpu: NodeJS.CpuUsage;
  machineBefore: CpuTimes;
  machineAfter: CpuTimes | undefined;
}

/**
 * The coordinator waits on its threads' messages: every message wakes it to check what it waits
 * for, and the first failure (a thread's error or exit, a cancel) ends every wait.
 */
class ThreadEvents {
  private failure: InferscopeError | undefined;
  private wake: (() => void) | undefined;

  readonly changed = (): void => {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  };

  readonly fail = (error: InferscopeError): void => {
    this.failure ??= error;
    this.changed();
  };

  async until(ready: () => boolean): Promise<void> {
    while (!this.failure && !ready()) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
  }
}

export async function measureConcurrently(config: BenchConfig, context: BenchContext, rss: RssPeak): Promise<TimedPhases> {
  const entry = benchThreadEntry(config);
  const buffer = new SharedArrayBuffer(SHARED_BYTES);
  const shared: SharedWindow = {
    buffer,
    flags: new Int32Array(buffer, 0, FLAGS_BYTES / 4),
    times: new Float64Array(buffer, FLAGS_BYTES, 2),
  };
  const rssBeforeCreateBytes = rss.read();
  context.progress(phaseProgress('session-create'));

  const events = new ThreadEvents();
  const measurement: MeasurementSlot = {};
  const threads = Array.from({ length: config.concurrency }, (_, index) =>
    startThread(entry, index, config, shared.buffer, events, measurement),
  );
  const crew: Crew = { shared, threads, events, measurement };
  const onAbort = (): void => events.fail(new InferscopeError('CANCELLED', 'Cancelled by the host.'));
  context.signal.addEventListener('abort', onAbort);

  try {
    const rssAfterCreateBytes = await untilWarm(threads, events, context, rss);
    const window = await measureWindow(config, context, rss, crew);
    return timedPhases(threads, window, rss, rssBeforeCreateBytes, rssAfterCreateBytes);
  } catch (error) {
    Atomics.store(shared.flags, FLAG.abort, 1);
    Atomics.store(shared.flags, FLAG.stop, 1);
    throw error;
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((t) => t.worker.terminate()));
    for (const t of threads) stopWatching(t.watch);
  }
}

/** The file bench threads run; refuses what the runner would have skipped. */
function benchThreadEntry(config: BenchConfig): URL {
  // The runner skips these; a plan sent straight to the worker is refused the same way.
  const refusal = concurrencyRefusal(config.ep, config.concurrency);
  if (refusal) throw new InferscopeError('NOT_SUPPORTED', refusal);
  if (!threadEntry) throw new InferscopeError('INTERNAL', 'The bench thread entry was not registered.');
  return threadEntry;
}

/** Starts request thread `index` and records what it reports in its ThreadState. */
function startThread(
  entry: URL,
  index: number,
  config: BenchConfig,
  shared: SharedArrayBuffer,
  events: ThreadEvents,
  measurement: MeasurementSlot,
): ThreadState {
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
        events.fail(new InferscopeError(message.error.code, `Request thread ${index + 1}: ${message.error.message}`));
        break;
    }
    events.changed();
  });
  state.worker.on('error', (error) => events.fail(new InferscopeError('INTERNAL', `Request thread ${index + 1} failed: ${error.message}`)));
  state.worker.on('exit', (code) => {
    if (!state.done) events.fail(new InferscopeError('INTERNAL', `Request thread ${index + 1} exited (code ${code}) before finishing.`));
  });
  return state;
}

/** Steps 2–4 on every thread: sessions created, first runs done, warm-ups over. Returns the RSS once sessions exist. */
async function untilWarm(threads: ThreadState[], events: ThreadEvents, context: BenchContext, rss: RssPeak): Promise<number> {
  await events.until(() => threads.every((t) => t.created));
  const rssAfterCreateBytes = rss.read();
  context.progress(phaseProgress('first-run'));
  await events.until(() => threads.every((t) => t.firstRunMs !== undefined));
  context.progress(phaseProgress('warmup'));
  await events.until(() => threads.every((t) => t.warmup));
  return rssAfterCreateBytes;
}

/**
 * Step 5: opens the common measuring window, applies the stop rule every STOP_CHECK_EVERY_MS
 * to every thread's samples, and closes the window for all threads at once.
 */
async function measureWindow(config: BenchConfig, context: BenchContext, rss: RssPeak, crew: Crew): Promise<MeasuredWindow> {
  const {
    shared: { flags, times },
    threads,
    events,
    measurement,
  } = crew;
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
      events.changed();
    } else if (throttle.due(now)) {
      const recent = current.samples.slice(reported);
      reported = current.samples.length;
      context.progress(phaseProgress('measure', current.samples.length, current.elapsedMs, null, current.lastCiHalfWidthRel, recent));
    }
  }, STOP_CHECK_EVERY_MS);
  try {
    await events.until(() => stopMs !== undefined && threads.every((t) => t.done));
  } finally {
    clearInterval(ticker);
  }
  const decision = current.decision;
  if (!decision?.stop || stopMs === undefined || !cpu)
    throw new InferscopeError('INTERNAL', 'Concurrent measurement ended without a stop decision.');
  return { startMs, stopMs, stopReason: decision.reason, cpu, machineBefore, machineAfter };
}

/** Every thread's steps 2–5 as one measurement: the slowest session and warm-up, every sample. */
function timedPhases(
  threads: ThreadState[],
  window: MeasuredWindow,
  rss: RssPeak,
  rssBeforeCreateBytes: number,
  rssAfterCreateBytes: number,
): TimedPhases {
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
      cut: warmups.find((w) => w.cut === 'skipped')?.cut ?? warmups.find((w) => w.cut !== null)?.cut ?? null,
    },
    samplesMs: threads.flatMap((t) => t.samples),
    samplesPerThread: threads.map((t) => t.samples.length),
    measureMs: window.stopMs - window.startMs,
    stopReason: window.stopReason,
    rssBeforeCreateBytes,
    rssAfterCreateBytes,
    rssAfterMeasureBytes: rss.read(),
    cpu: window.cpu,
    machineCpu: { before: window.machineBefore, after: window.machineAfter ?? machineCpuTimes() },
  };
}
