/**
 * One of N concurrent sessions (BenchConfig.concurrency > 1), on a worker thread of
 * the worker process: onnxruntime-node runs a session synchronously on its JS thread,
 * so real concurrency needs one thread per session. The thread creates its session,
 * warms up until stable, keeps running until every thread is warm (so nobody warms up
 * on an idle machine), then records samples until the coordinator's stop time. The
 * start/stop handshake goes through shared memory, read between runs, never awaited.
 */
import { parentPort } from 'node:worker_threads';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { BenchConfig } from '../core/bench/measurement';
import { benchFeeds, type ResolvedInput } from './feeds';
import { nowMs, runBackToBack, Warmup, type WarmupOutcome } from './loop';
import { createSession, firstRun } from './steps';
import { RunWatch } from './watch';

export const BENCH_THREAD_ROLE = 'inferscope-bench-thread';

/** Int32 slots of the shared flags. */
export const FLAG = { start: 0, stop: 1, abort: 2 } as const;
/** Float64 slots in nowMs() time (process.hrtime is one monotonic clock for all threads); published before the flag that announces them. */
export const TIME = { start: 0, stop: 1 } as const;
export const FLAGS_BYTES = 16;
export const SHARED_BYTES = FLAGS_BYTES + 16;

/** Samples go to the coordinator in batches this far apart. */
export const SAMPLE_BATCH_INTERVAL_MS = 100;

export interface BenchThreadData {
  role: typeof BENCH_THREAD_ROLE;
  index: number;
  config: BenchConfig;
  shared: SharedArrayBuffer;
  /** This thread's RunWatch, which the coordinator shows to the heartbeat thread. */
  watch: SharedArrayBuffer;
}

export type BenchThreadMessage =
  | { kind: 'created'; sessionCreateMs: number; inputs: ResolvedInput[]; outputs: string[] }
  | { kind: 'first-run'; firstRunMs: number }
  | { kind: 'warm'; warmup: WarmupOutcome }
  | { kind: 'samples'; samples: number[] }
  | { kind: 'done' }
  | { kind: 'failed'; error: ErrorInfo };

export function isBenchThreadData(data: unknown): data is BenchThreadData {
  return !!data && typeof data === 'object' && (data as { role?: unknown }).role === BENCH_THREAD_ROLE;
}

export async function runBenchThread(data: BenchThreadData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runBenchThread must run on a worker thread');
  const post = (message: BenchThreadMessage): void => port.postMessage(message);
  const flags = new Int32Array(data.shared, 0, FLAGS_BYTES / 4);
  const times = new Float64Array(data.shared, FLAGS_BYTES, 2);
  const aborted = (): boolean => Atomics.load(flags, FLAG.abort) === 1;
  const { config } = data;
  const watch = new RunWatch(data.watch);

  let session: Awaited<ReturnType<typeof createSession>> | undefined;
  try {
    const createStarted = nowMs();
    session = await createSession(config);
    const sessionCreateMs = nowMs() - createStarted;
    const { feeds, inputs } = benchFeeds(session, config.inputs, config.batch);
    post({ kind: 'created', sessionCreateMs, inputs, outputs: [...session.outputNames] });
    const firstRunMs = await firstRun(session, feeds, config.ep);
    post({ kind: 'first-run', firstRunMs });
    const live = session;

    const warmup = new Warmup(nowMs(), config.warmupMaxMs, { maxTimeMs: config.maxTimeMs, firstRunMs });
    if (!warmup.skipped && !aborted()) {
      await runBackToBack(live, feeds, (ms, endMs) => aborted() || warmup.add(ms, endMs), watch);
    }
    post({ kind: 'warm', warmup: warmup.outcome() });
    if (Atomics.load(flags, FLAG.start) === 0 && !aborted()) {
      await runBackToBack(live, feeds, () => Atomics.load(flags, FLAG.start) === 1 || aborted(), watch);
    }
    if (aborted()) return;

    let batch: number[] = [];
    let lastPostMs = nowMs();
    await runBackToBack(
      live,
      feeds,
      (ms, endMs) => {
        if (Atomics.load(flags, FLAG.stop) === 1) {
          // A run that ended after the stop time partly ran with fewer requests in flight: not a sample.
          if (endMs <= (times[TIME.stop] as number)) batch.push(ms);
          return true;
        }
        batch.push(ms);
        if (endMs - lastPostMs >= SAMPLE_BATCH_INTERVAL_MS) {
          post({ kind: 'samples', samples: batch });
          batch = [];
          lastPostMs = endMs;
        }
        return false;
      },
      watch,
    );
    post({ kind: 'samples', samples: batch });
    post({ kind: 'done' });
  } catch (error) {
    post({ kind: 'failed', error: toErrorInfo(error) });
  } finally {
    await session?.release();
  }
}
